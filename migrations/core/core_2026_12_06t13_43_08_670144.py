from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Timestamptz
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-06T13:43:08:670144"
VERSION = "1.38.0"
DESCRIPTION = "Outbox messages can be claimed by a run that sends outside a transaction"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="core", description=DESCRIPTION)

    manager.add_column(
        table_class_name="OutboxMessage",
        tablename="outbox_message",
        column_name="claimed_until",
        db_column_name="claimed_until",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    return manager
