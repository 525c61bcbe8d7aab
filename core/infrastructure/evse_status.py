"""The effective status of a charge point (EVSE): what a driver, the portal and roaming partners are told.

A station reports a status for each connector and one for itself (OCPP 1.6 StatusNotification with
connectorId 0). The connector's own status is not enough: a station that reports itself Faulted cannot charge
on any connector, and a station csms cannot reach may have changed since it last reported. One rule decides,
``effective_evse_status``; every reader uses it (REST API, overview and its filters, station and charge point
pages, dashboard, the OCPI EVSE status). SQL that filters, sorts or counts by the effective status is derived
from the same function (``effective_status_sql``), so the database and Python cannot disagree.

It lives in infrastructure, below charging, because the overview and the dashboard (infrastructure) read it;
core.charging stores the reported statuses.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from core.infrastructure.specs import EvseStatus

# OCPP 1.6 ChargePointStatus -> OCPI EvseStatus. Preparing and Finishing occupy the charge point (a car is
# plugged in), so they count as CHARGING the way OCPI expects.
OCPP_TO_EVSE_STATUS: dict[str, EvseStatus] = {
    "Available": EvseStatus.AVAILABLE,
    "Preparing": EvseStatus.CHARGING,
    "Charging": EvseStatus.CHARGING,
    "SuspendedEV": EvseStatus.CHARGING,
    "SuspendedEVSE": EvseStatus.CHARGING,
    "Finishing": EvseStatus.CHARGING,
    "Reserved": EvseStatus.RESERVED,
    "Unavailable": EvseStatus.INOPERATIVE,
    "Faulted": EvseStatus.OUTOFORDER,
}
_VALUES = frozenset(s.value for s in EvseStatus)
_SET_BY_STAFF = frozenset({EvseStatus.REMOVED, EvseStatus.PLANNED})


def evse_status_of(ocpp_status: str) -> EvseStatus:
    """The OCPI status of an OCPP 1.6 status as sent (UNKNOWN for anything else)."""
    return OCPP_TO_EVSE_STATUS.get(ocpp_status, EvseStatus.UNKNOWN)


def effective_evse_status(station_status: str, connector_status: str, online: bool) -> EvseStatus:
    """The status a charge point really has, from three facts (all as stored, in EvseStatus values):

    - ``station_status``: what the station reported for itself (connector 0), UNKNOWN if it never did;
    - ``connector_status``: what it reported for this charge point, UNKNOWN if it never did;
    - ``online``: whether the station is connected to csms now.

    Rules, in order:
    0. REMOVED and PLANNED are set by staff (decommissioned, not yet built), not reported: they stay.
    1. A station csms cannot reach is UNKNOWN on every charge point (OCPI: "also used when offline"):
       its last report may be stale, so it must not look available.
    2. A station that reported itself OUTOFORDER (Faulted) cannot charge on any charge point.
    3. A station that reported itself INOPERATIVE (Unavailable) makes every charge point INOPERATIVE, except one
       that is CHARGING: OCPP 1.6 lets a running transaction finish before the station becomes unavailable.
    4. Otherwise the charge point's own status counts.
    """
    connector = EvseStatus(connector_status) if connector_status in _VALUES else EvseStatus.UNKNOWN
    if connector in _SET_BY_STAFF:
        return connector
    if not online:
        return EvseStatus.UNKNOWN
    if station_status == EvseStatus.OUTOFORDER:
        return EvseStatus.OUTOFORDER
    if station_status == EvseStatus.INOPERATIVE and connector != EvseStatus.CHARGING:
        return EvseStatus.INOPERATIVE
    return connector


def effective_status_of(row: dict[str, Any], connector_status: str | None = None) -> EvseStatus:
    """``effective_evse_status`` of a row with ``station_status``, ``status`` (the connector's) and ``connected``;
    ``connector_status`` stands for ``status`` when the row is the station's alone."""
    return effective_evse_status(
        str(row.get("station_status") or EvseStatus.UNKNOWN),
        str(connector_status or row.get("status") or ""),
        bool(row.get("connected")),
    )


def _quoted(values: list[str]) -> str:
    # Only EvseStatus members reach the SQL text: they are fixed identifiers of this module, never input.
    return ", ".join(f"'{EvseStatus(v).value}'" for v in values)


def effective_status_sql(station: str = "s", charge_point: str = "cp") -> str:
    """A SQL CASE expression over the aliases ``station`` and ``charge_point`` that equals
    ``effective_evse_status`` for every row: it is built by evaluating the function on every stored combination,
    so a change of the rules changes the SQL with it."""
    branches: list[str] = []
    for online in (False, True):
        # Station statuses that treat every connector status alike share one branch.
        behaviour: dict[tuple[EvseStatus, ...], list[str]] = defaultdict(list)
        for station_status in EvseStatus:
            behaviour[tuple(effective_evse_status(station_status, c, online) for c in EvseStatus)].append(
                station_status
            )
        connected = f"{station}.connected" if online else f"NOT {station}.connected"
        for results, station_statuses in behaviour.items():
            station_in = f"{station}.status IN ({_quoted(station_statuses)})"
            by_result: dict[EvseStatus, list[str]] = defaultdict(list)
            for connector_status, result in zip(EvseStatus, results, strict=True):
                by_result[result].append(connector_status)
            for result, connector_statuses in by_result.items():
                if connector_statuses == [result]:
                    continue  # the connector's own status: the ELSE
                branches.append(
                    f"WHEN {connected} AND {station_in} AND {charge_point}.status IN ({_quoted(connector_statuses)}) "
                    f"THEN '{result.value}'"
                )
    return f"(CASE {' '.join(branches)} ELSE {charge_point}.status END)"
