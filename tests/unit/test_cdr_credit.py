"""The credit CDR rule (OCPI 2.2.1 mod_cdrs "Credit CDRs"): what a credit CDR copies and negates, when a session's
CDR needs a correction, and how a credit CDR looks on the wire."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from core.cdrs import building
from core.roaming.charged import ChargedCdr
from hub.mapping.cdrs import cdr_object
from tests.unit.test_cdr_building import CHARGE_POINT, LOCATION, OCMF, STATION, TARIFF, session


def stored(**changes: Any) -> dict[str, Any]:
    """A CDR row as read back from the database: the built columns plus id and created_at."""
    meter = [{"timestamp": datetime(2026, 11, 1, 10, tzinfo=UTC), "format": "SignedData", "value": OCMF,
              "context": "Transaction.Begin"}]  # fmt: skip
    values = building.cdr_values(session(), CHARGE_POINT, STATION, LOCATION, meter, TARIFF, currency="EUR")
    return {**values, "id": 41, "created_at": datetime(2026, 11, 1, 12, tzinfo=UTC), "credit": False,
            "credit_reference_id": None, "corrects_cdr_id": None, "roaming_partner_id": 3, **changes}  # fmt: skip


def test_a_credit_cdr_repeats_the_original_with_only_the_total_cost_negated() -> None:
    original = stored()
    credit = building.credit_values(original)
    assert credit["credit"] is True and credit["credit_reference_id"] == 41 and credit["corrects_cdr_id"] is None
    assert "id" not in credit and "created_at" not in credit  # its own id and its own time
    assert (original["total_cost_excl_vat"], original["total_vat"], original["total_cost_incl_vat"]) == (
        Decimal("9.40"), Decimal("1.79"), Decimal("11.19"))  # fmt: skip
    assert (credit["total_cost_excl_vat"], credit["total_vat"], credit["total_cost_incl_vat"]) == (
        Decimal("-9.40"), Decimal("-1.79"), Decimal("-11.19"))  # fmt: skip
    # everything else as in the original: energy, times, components, tariff, token, signed data
    same = set(original) - set(building.CREDIT_NEGATED) - {"id", "created_at", "credit", "credit_reference_id"}
    assert {k: credit[k] for k in same} == {k: original[k] for k in same}
    assert credit["total_energy"] == Decimal("22.000") and credit["total_time"] == Decimal("1.5")


def test_a_credit_cdr_is_not_credited_again() -> None:
    with pytest.raises(ValueError, match="credit"):
        building.credit_values(stored(credit=True, credit_reference_id=40))


def test_a_correction_is_needed_only_when_what_is_billed_or_shown_differs() -> None:
    current = stored()
    same = building.cdr_values(session(), CHARGE_POINT, STATION, LOCATION, [
        {"timestamp": datetime(2026, 11, 1, 10, tzinfo=UTC), "format": "SignedData", "value": OCMF,
         "context": "Transaction.Begin"}], TARIFF, currency="EUR")  # fmt: skip
    assert building.needs_correction(current, same) is False
    # as the database gives it back: decimals with other places, JSON as text
    read_back = {
        **current,
        "total_energy": Decimal("22.0"),
        "price_components": json.dumps(current["price_components"]),
    }
    assert building.needs_correction(read_back, same) is False
    later = building.cdr_values(session(meter_stop_wh=30000, stopped_at=session()["stopped_at"] + timedelta(hours=1)),
                                CHARGE_POINT, STATION, LOCATION, [], TARIFF, currency="EUR")  # fmt: skip
    assert building.needs_correction(current, later) is True
    # a stale close replaced by the station's stop: status and stop reason alone are a correction
    stale = stored(status="FAILED", stop_reason="STATION_REBOOTED")
    assert building.needs_correction(stale, same) is True


def _bundle(row: dict[str, Any]) -> ChargedCdr:
    return ChargedCdr(row, "DE", "ISE", {"id": 2, "latitude": None, "longitude": None}, {}, "")


def test_the_ocpi_credit_cdr_has_credit_reference_and_a_negative_total_cost_only() -> None:
    original = stored()
    credit = {**building.credit_values(original), "id": 42, "created_at": datetime(2026, 11, 2, 8, tzinfo=UTC)}
    sent, credited = cdr_object(_bundle(original)), cdr_object(_bundle(credit))
    assert "credit" not in sent and "credit_reference_id" not in sent
    assert credited["id"] == "42" and credited["credit"] is True and credited["credit_reference_id"] == "41"
    assert credited["total_cost"] == {"excl_vat": Decimal("-9.40"), "incl_vat": Decimal("-11.19")}
    assert sent["total_cost"] == {"excl_vat": Decimal("9.40"), "incl_vat": Decimal("11.19")}
    for key in (
        "total_energy",
        "total_time",
        "total_parking_time",
        "charging_periods",
        "total_energy_cost",
        "total_time_cost",
        "cdr_token",
        "cdr_location",
        "start_date_time",
        "end_date_time",
        "session_id",
    ):
        assert credited[key] == sent[key], key  # fmt: skip
    assert credited["last_updated"] == "2026-11-02T08:00:00Z" != sent["last_updated"]
