"""Location: one index (last_updated, id), the OCPI lists' order and their keyset cursor, instead of the index on
last_updated alone (every change of a location's pieces raises the column, so fewer indexes to update)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Timestamptz

ID = "2026-12-06T09:17:41:575380"
VERSION = "1.38.0"
DESCRIPTION = "Location: index (last_updated, id) for the OCPI lists' order"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="core", description=DESCRIPTION
    )

    async def index() -> None:
        from core.piccolo_conf import DB

        await DB.run_ddl("CREATE INDEX IF NOT EXISTS location_last_updated_id ON location (last_updated, id)")

    manager.add_raw(index)

    manager.alter_column(
        table_class_name="Location",
        tablename="location",
        column_name="last_updated",
        db_column_name="last_updated",
        params={"index": False},
        old_params={"index": True},
        column_class=Timestamptz,
        old_column_class=Timestamptz,
        schema=None,
    )

    return manager
