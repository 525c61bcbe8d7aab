"""A location/tariff push run reads the offered tariffs before and after the locations' changes; a tariff offered at
either reading counts as offered in the run (core.roaming.pushes._either), so a change committed between the
readings never DELETEs a tariff before the EVSE naming it is REMOVED (found by a full run: DELETE came first)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from core.roaming import pushes
from core.roaming.offer import OfferedTariff

AT = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def tariff(tariff_id: int, price: str, power: str = "AC") -> OfferedTariff:
    return OfferedTariff({"id": tariff_id, "price": price}, Decimal(19), "DE", "ISE", power, None, AT)


def test_a_tariff_offered_only_before_is_kept_for_this_run() -> None:
    kept = pushes._either([tariff(1, "0.40"), tariff(2, "0.50")], [tariff(2, "0.50")])
    assert [(t.tariff["id"], t.power) for t in kept] == [(2, "AC"), (1, "AC")]


def test_the_later_reading_wins_for_a_tariff_in_both() -> None:
    kept = pushes._either([tariff(1, "0.40")], [tariff(1, "0.45")])
    assert [t.tariff["price"] for t in kept] == ["0.45"]


def test_each_power_type_is_its_own_tariff() -> None:
    kept = pushes._either([tariff(1, "0.40", "DC")], [tariff(1, "0.40", "AC")])
    assert sorted(t.power for t in kept) == ["AC", "DC"]
