"""roaming.view is new: reading the roaming pages needed roaming.manage until now. Every user group and API key that
holds roaming.manage gets roaming.view, so that nobody loses a page they could use. Hand-written, data only.
"""

import json

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-06T09:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "roaming.view for every group and API key holding roaming.manage"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="core", description=DESCRIPTION)

    async def grant_view() -> None:
        from core.tenancy.tables import ApiKey, UserGroup

        for table in (UserGroup, ApiKey):
            for row in await table.select(table.id, table.permissions):
                codes = row["permissions"]
                codes = json.loads(codes) if isinstance(codes, str) else codes
                if isinstance(codes, list) and "roaming.manage" in codes and "roaming.view" not in codes:
                    await table.update({table.permissions: [*codes, "roaming.view"]}).where(table.id == row["id"])

    manager.add_raw(grant_view)
    return manager
