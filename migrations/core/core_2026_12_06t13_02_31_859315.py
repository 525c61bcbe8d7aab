from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-06T13:02:31:859315"
VERSION = "1.38.0"
DESCRIPTION = "Direct Payment: one switch, ChargePoint.auth_direct_payment; the station's unused StationRoaming.direct_payment is merged into it and dropped"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="core", description=DESCRIPTION)

    async def merge_switches() -> None:
        # a station whose (unused) Direct Payment switch was on: its active charge points get the one switch
        from core.piccolo_conf import DB

        await DB.run_ddl(
            "UPDATE charge_point SET auth_direct_payment = TRUE WHERE decommissioned_at IS NULL AND station IN "
            "(SELECT station FROM station_roaming WHERE direct_payment = TRUE)"
        )

    manager.add_raw(merge_switches)

    manager.drop_column(
        table_class_name="StationRoaming",
        tablename="station_roaming",
        column_name="direct_payment",
        db_column_name="direct_payment",
        schema=None,
    )

    return manager
