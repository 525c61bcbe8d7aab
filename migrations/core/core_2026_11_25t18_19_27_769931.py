"""meter_value becomes one row per OCPP MeterValue (1 of 3): the old table, one row per sampled value, moves aside.

Its index and (on PostgreSQL) primary key index and sequence are renamed or dropped first, so that the new
meter_value table (next migration) can take those names.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.postgres import PostgresEngine

ID = "2026-11-25T18:19:27:769931"
VERSION = "1.38.0"
DESCRIPTION = "meter_value: the old table moves aside"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="core", description=DESCRIPTION
    )

    async def free_names() -> None:
        from core.piccolo_conf import DB

        if isinstance(DB, PostgresEngine):
            await DB.run_ddl("ALTER INDEX IF EXISTS meter_value_pkey RENAME TO meter_value_old_pkey")
            await DB.run_ddl("ALTER SEQUENCE IF EXISTS meter_value_id_seq RENAME TO meter_value_old_id_seq")
        await DB.run_ddl("DROP INDEX IF EXISTS meter_value_session")
        await DB.run_ddl("DROP INDEX IF EXISTS meter_value_station")

    manager.add_raw(free_names)

    manager.rename_table(
        old_class_name="MeterValue",
        old_tablename="meter_value",
        new_class_name="MeterValueOld",
        new_tablename="meter_value_old",
        schema=None,
    )

    return manager
