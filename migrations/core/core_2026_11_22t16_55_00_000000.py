"""Indexes of the advanced overview (hand-written: composite and expression indexes).

Sort indexes are (column, id) on charge_point so that a sorted 50-row page is an index scan in either
direction. Search and city/postal-code filters match from the start of a value with a range over
LOWER(...) (on PostgreSQL with COLLATE "C", so that byte order equals prefix order).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.postgres import PostgresEngine

ID = "2026-11-22T16:55:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "overview indexes"

SORT_INDEXES = {
    "overview_cp_evse_id": "charge_point (evse_id, id)",
    "overview_cp_error_rate": "charge_point (error_rate, id)",
    "overview_cp_status": "charge_point (status, id)",
    "overview_cp_tenant_id": "charge_point (tenant, id)",
}


def _expression_indexes(postgres: bool) -> dict[str, str]:
    def fold(column: str) -> str:
        return f'(LOWER({column}) COLLATE "C")' if postgres else f"(LOWER({column}))"

    return {
        "overview_cp_evse_id_fold": f"charge_point ({fold('evse_id')})",
        "overview_station_box_fold": f"charging_station ({fold('charge_box_id')})",
        "overview_station_name_fold": f"charging_station ({fold('name')})",
        "overview_location_name_fold": f"location ({fold('name')})",
        "overview_location_city_fold": f"location ({fold('city')})",
        "overview_location_postal_code": 'location ((postal_code COLLATE "C"))'
        if postgres
        else "location (postal_code)",
    }


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="core", description=DESCRIPTION)

    async def create_indexes() -> None:
        from core.piccolo_conf import DB

        postgres = isinstance(DB, PostgresEngine)
        for name, target in {**SORT_INDEXES, **_expression_indexes(postgres)}.items():
            await DB.run_ddl(f"CREATE INDEX IF NOT EXISTS {name} ON {target}")

    async def drop_indexes() -> None:
        from core.piccolo_conf import DB

        for name in {**SORT_INDEXES, **_expression_indexes(False)}:
            await DB.run_ddl(f"DROP INDEX IF EXISTS {name}")

    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)
    return manager
