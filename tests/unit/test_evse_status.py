"""The effective status of a charge point, for every combination of station status, connector status and
connection."""

from __future__ import annotations

import itertools

import pytest

from core.infrastructure.evse_status import effective_evse_status, effective_status_of, evse_status_of
from core.infrastructure.specs import EvseStatus

S = EvseStatus


def expected(station: EvseStatus, connector: EvseStatus, online: bool) -> EvseStatus:
    """The rules written out as a table, independently of the implementation's order of checks."""
    if connector in (S.REMOVED, S.PLANNED):
        return connector
    if not online:
        return S.UNKNOWN
    return {
        S.OUTOFORDER: S.OUTOFORDER,
        S.INOPERATIVE: S.CHARGING if connector == S.CHARGING else S.INOPERATIVE,
    }.get(station, connector)


@pytest.mark.parametrize(
    ("station", "connector", "online"), list(itertools.product(list(EvseStatus), list(EvseStatus), (True, False)))
)
def test_every_combination(station: EvseStatus, connector: EvseStatus, online: bool) -> None:
    assert effective_evse_status(station, connector, online) == expected(station, connector, online)


@pytest.mark.parametrize(
    ("station", "connector", "online", "result"),
    [
        ("AVAILABLE", "AVAILABLE", True, "AVAILABLE"),
        ("UNKNOWN", "AVAILABLE", True, "AVAILABLE"),  # the station never reported itself: its connectors count
        ("OUTOFORDER", "AVAILABLE", True, "OUTOFORDER"),  # the case: connector 0 Faulted
        ("OUTOFORDER", "CHARGING", True, "OUTOFORDER"),
        ("INOPERATIVE", "AVAILABLE", True, "INOPERATIVE"),  # connector 0 Unavailable
        ("INOPERATIVE", "CHARGING", True, "CHARGING"),  # a running transaction finishes first
        ("AVAILABLE", "AVAILABLE", False, "UNKNOWN"),  # offline never looks available
        ("AVAILABLE", "CHARGING", False, "UNKNOWN"),
        ("AVAILABLE", "no such status", True, "UNKNOWN"),
        ("OUTOFORDER", "REMOVED", False, "REMOVED"),  # decommissioned by staff
        ("UNKNOWN", "PLANNED", False, "PLANNED"),
    ],
)
def test_named_cases(station: str, connector: str, online: bool, result: str) -> None:
    assert effective_evse_status(station, connector, online) == result


def test_rows_and_ocpp_statuses() -> None:
    assert effective_status_of({"station_status": "OUTOFORDER", "status": "AVAILABLE", "connected": 1}) == S.OUTOFORDER
    assert effective_status_of({"station_status": None, "status": "RESERVED", "connected": True}) == S.RESERVED
    assert effective_status_of({"status": "AVAILABLE", "connected": False}) == S.UNKNOWN
    assert [evse_status_of(s) for s in ("Faulted", "Unavailable", "Finishing", "Available", "Bogus")] == [
        S.OUTOFORDER, S.INOPERATIVE, S.CHARGING, S.AVAILABLE, S.UNKNOWN,
    ]  # fmt: skip
