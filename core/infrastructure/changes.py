"""What a location looks like to a roaming partner changed: raise its ``last_updated`` (OCPI Location.last_updated,
which covers the location's EVSEs and connectors too).

Every writer that changes something an OCPI Location shows calls one of these in its own transaction: location,
station (including its connection and its own status), charge point (status included), connector, tariff
assignment, roaming switches and contract groups. The OCPI lists page by this column and the pushes
(core.roaming.pushes) find what changed by it, so a writer that forgets to call it leaves partners with stale data.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from core.infrastructure.tables import ChargePoint, ChargingStation, Location


def _ids(values: Iterable[int | None]) -> list[int]:
    return sorted({int(v) for v in values if v is not None})


async def locations_changed(location_ids: Iterable[int | None], at: datetime | None = None) -> None:
    ids = _ids(location_ids)
    if ids:
        await Location.update({Location.last_updated: at or datetime.now(UTC)}).where(Location.id.is_in(ids))


async def stations_changed(station_ids: Iterable[int | None], at: datetime | None = None) -> None:
    ids = _ids(station_ids)
    if ids:
        rows = await ChargingStation.select(ChargingStation.location).where(ChargingStation.id.is_in(ids))
        await locations_changed((row["location"] for row in rows), at)


async def charge_points_changed(charge_point_ids: Iterable[int | None], at: datetime | None = None) -> None:
    ids = _ids(charge_point_ids)
    if ids:
        rows = await ChargePoint.select(ChargePoint.station.location.as_alias("location")).where(
            ChargePoint.id.is_in(ids)
        )
        await locations_changed((row["location"] for row in rows), at)
