"""Location.last_updated (OCPI's Location.last_updated, raised by core.infrastructure.changes).

SQLite cannot add a column whose default is the current time to a table that has rows ("Cannot add a column with
non-constant default"), which an embedded installation with locations has. There the column is added with a constant
default and filled from updated_at, then indexed as Piccolo would; PostgreSQL takes Piccolo's own step. The recorded
operation stays Piccolo's, so that auto migrations see the column as it is declared.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Timestamptz
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod
from piccolo.engine.sqlite import SQLiteEngine

ID = "2026-12-06T09:09:18:348074"
VERSION = "1.38.0"
DESCRIPTION = "Location.last_updated"


class _Manager(MigrationManager):
    async def _run_add_columns(self, backwards: bool = False) -> None:
        from core.db import engine

        if backwards or not isinstance(engine(), SQLiteEngine):
            await super()._run_add_columns(backwards)
            return
        from core.infrastructure.tables import Location

        await Location.raw(
            "ALTER TABLE location ADD COLUMN last_updated TIMESTAMP NOT NULL DEFAULT '1970-01-01 00:00:00+00:00'"
        )
        await Location.raw("UPDATE location SET last_updated = COALESCE(updated_at, created_at)")
        await Location.raw("CREATE INDEX IF NOT EXISTS location_last_updated ON location (last_updated)")


async def forwards():
    manager = _Manager(migration_id=ID, app_name="core", description=DESCRIPTION)

    manager.add_column(
        table_class_name="Location",
        tablename="location",
        column_name="last_updated",
        db_column_name="last_updated",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": TimestamptzNow(),
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": True,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    return manager
