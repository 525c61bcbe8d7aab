"""Unknown stations recorded before the handshake refused charge box ids outside the OCPP identity rules (a NUL,
a line break, an invisible character): removed. No station can be created with such an id, and the list showed
some of them as another station's id (a NUL is invisible on the page). Hand-written, data only.
"""

import re

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-06T03:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "unknown_station: drop ids outside the OCPP identity rules"

# core.infrastructure.specs.CHARGE_BOX_ID_PATTERN as of this migration (a later change of the rule must not change
# what this step did).
IDENTITY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:+\-]{0,47}")


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="core", description=DESCRIPTION)

    async def drop_invalid_ids() -> None:
        from core.charging.tables import UnknownStation

        rows = await UnknownStation.select(UnknownStation.id, UnknownStation.charge_box_id)
        invalid = [row["id"] for row in rows if not IDENTITY.fullmatch(row["charge_box_id"] or "")]
        for start in range(0, len(invalid), 500):
            await UnknownStation.delete().where(UnknownStation.id.is_in(invalid[start : start + 500]))

    manager.add_raw(drop_invalid_ids)
    return manager
