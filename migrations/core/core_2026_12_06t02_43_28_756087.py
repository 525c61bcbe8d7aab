"""charging_station.connected_node: the node that set the connected flag, so that the flags of a node that died
are reset by the nodes that survive it (ocpp_cs.bus)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-06T02:43:28:756087"
VERSION = "1.38.0"
DESCRIPTION = "charging_station.connected_node"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="core", description=DESCRIPTION
    )

    manager.add_column(
        table_class_name="ChargingStation",
        tablename="charging_station",
        column_name="connected_node",
        db_column_name="connected_node",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 64,
            "default": "",
            "null": False,
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
