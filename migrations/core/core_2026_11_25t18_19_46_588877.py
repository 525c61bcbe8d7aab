"""The OCPP message log keeps one index, (station, id), instead of one per filter column; on PostgreSQL the
sessions table leaves room in each page, so that the MeterValues path's UPDATE of a session's last reading stays a
heap-only update (no entry in its eight indexes).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.postgres import PostgresEngine
from piccolo.columns.column_types import ForeignKey
from piccolo.columns.column_types import Timestamptz
from piccolo.columns.column_types import Varchar

ID = "2026-11-25T18:19:46:588877"
VERSION = "1.38.0"
DESCRIPTION = "ocpp_message: one index; charging_session fillfactor"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="core", description=DESCRIPTION
    )

    async def indexes() -> None:
        from core.piccolo_conf import DB

        await DB.run_ddl("CREATE INDEX IF NOT EXISTS ocpp_message_station_id ON ocpp_message (station, id)")
        if isinstance(DB, PostgresEngine):
            await DB.run_ddl("ALTER TABLE charging_session SET (fillfactor = 70)")

    manager.add_raw(indexes)

    manager.alter_column(
        table_class_name="OcppMessage",
        tablename="ocpp_message",
        column_name="station",
        db_column_name="station",
        params={"index": False},
        old_params={"index": True},
        column_class=ForeignKey,
        old_column_class=ForeignKey,
        schema=None,
    )

    manager.alter_column(
        table_class_name="OcppMessage",
        tablename="ocpp_message",
        column_name="charge_box_id",
        db_column_name="charge_box_id",
        params={"index": False},
        old_params={"index": True},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    manager.alter_column(
        table_class_name="OcppMessage",
        tablename="ocpp_message",
        column_name="action",
        db_column_name="action",
        params={"index": False},
        old_params={"index": True},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    manager.alter_column(
        table_class_name="OcppMessage",
        tablename="ocpp_message",
        column_name="created_at",
        db_column_name="created_at",
        params={"index": False},
        old_params={"index": True},
        column_class=Timestamptz,
        old_column_class=Timestamptz,
        schema=None,
    )

    return manager
