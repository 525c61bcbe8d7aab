from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-06T23:12:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "dashboard: backfill sessions, energy and revenue per tenant and local hour from the CDRs"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="core", description=DESCRIPTION)

    async def backfill() -> None:
        # plain SQL inside (core.dashboard.buckets.rebuild): the same computation as `csms dashboard rebuild`
        from core.dashboard.buckets import rebuild_all

        await rebuild_all()

    manager.add_raw(backfill)
    return manager
