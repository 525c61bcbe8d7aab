"""Community charging rules: local months (month and year edges, DST), amounts in cents, totals per VAT rate,
invitation parsing and the magic link's states."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from core.community import months
from core.community.communities import parse_invitees
from core.community.links import LinkOutcome, link_state
from core.community.months import Month
from core.errors import ValidationError

BERLIN = ZoneInfo("Europe/Berlin")


def test_month_bounds_are_local_midnights_in_utc() -> None:
    start, end = Month(2026, 1).bounds(BERLIN)
    assert start == datetime(2025, 12, 31, 23, 0, tzinfo=UTC)  # winter: UTC+1
    assert end == datetime(2026, 1, 31, 23, 0, tzinfo=UTC)
    start, end = Month(2026, 7).bounds(BERLIN)
    assert start == datetime(2026, 6, 30, 22, 0, tzinfo=UTC)  # summer: UTC+2
    assert end == datetime(2026, 7, 31, 22, 0, tzinfo=UTC)


def test_dst_months_are_an_hour_shorter_or_longer() -> None:
    march = Month(2026, 3).bounds(BERLIN)
    october = Month(2026, 10).bounds(BERLIN)
    assert march[1] - march[0] == timedelta(days=31) - timedelta(hours=1)  # clocks go forward on 29 March
    assert october[1] - october[0] == timedelta(days=31) + timedelta(hours=1)  # and back on 25 October
    assert march[1] == datetime(2026, 3, 31, 22, 0, tzinfo=UTC)


def test_year_edge() -> None:
    assert Month(2026, 12).next() == Month(2027, 1)
    assert Month(2027, 1).previous() == Month(2026, 12)
    start, end = Month(2026, 12).bounds(BERLIN)
    assert (start, end) == (datetime(2026, 11, 30, 23, 0, tzinfo=UTC), datetime(2026, 12, 31, 23, 0, tzinfo=UTC))
    # New Year's Eve 23:30 UTC is already 1 January in Berlin: January, and the completed month is December
    new_year = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
    assert months.month_of(new_year, BERLIN) == Month(2027, 1)
    assert months.completed_month(new_year, BERLIN) == Month(2026, 12)
    # half an hour earlier it is still December in Berlin: November is the completed month
    assert months.completed_month(new_year - timedelta(hours=1), BERLIN) == Month(2026, 11)


def test_session_at_month_edge_belongs_to_local_month() -> None:
    # 31 October 2026 23:30 UTC = 1 November 00:30 CET (after the clocks went back)
    assert months.month_of(datetime(2026, 10, 31, 23, 30, tzinfo=UTC), BERLIN) == Month(2026, 11)
    assert months.month_of(datetime(2026, 10, 31, 22, 59, tzinfo=UTC), BERLIN) == Month(2026, 10)
    # the first instant of a month is in it, the last before its end is not in the next
    start, end = Month(2026, 11).bounds(BERLIN)
    assert months.month_of(start, BERLIN) == Month(2026, 11)
    assert months.month_of(end - timedelta(microseconds=1), BERLIN) == Month(2026, 11)


def test_period_parsing() -> None:
    assert Month.parse("2026-02") == Month(2026, 2)
    assert Month(2026, 2).period == "2026-02"
    for wrong in ("2026-13", "2026-2", "26-02", "", "2026-00"):
        assert Month.parse(wrong) is None


def _cdr(session: int, net: str, vat: str, gross: str, rate: str = "19", kwh: str = "10.5") -> dict[str, object]:
    return {"session": session, "start_date_time": datetime(2026, 11, 3, 8, tzinfo=UTC), "evse_id": "DE*ISE*E1*1",
            "location_name": "Hof", "token_uid": "AA", "total_energy": Decimal(kwh), "vat_rate": Decimal(rate),
            "total_cost_excl_vat": Decimal(net), "total_vat": Decimal(vat),
            "total_cost_incl_vat": Decimal(gross)}  # fmt: skip


def test_totals_in_cents_per_vat_rate() -> None:
    lines = [months.line_of(_cdr(1, "3.15", "0.60", "3.75")), months.line_of(_cdr(2, "10.01", "1.90", "11.91")),
             months.line_of(_cdr(3, "5.00", "0.35", "5.35", rate="7", kwh="0.001"))]  # fmt: skip
    assert lines[0].net_cents == 315 and lines[0].energy_wh == 10_500 and lines[2].energy_wh == 1
    sums = months.totals(lines)
    assert (sums.session_count, sums.net_cents, sums.vat_cents, sums.gross_cents) == (3, 1816, 285, 2101)
    assert sums.energy_wh == 21_001
    assert [v["rate"] for v in sums.vat] == ["7.00", "19.00"]
    assert sums.vat[1] == {"rate": "19.00", "net_cents": 1316, "vat_cents": 250, "gross_cents": 1566}
    # a credit note adds statements up with their breakdowns
    statement = {"session_count": sums.session_count, "energy_wh": sums.energy_wh, "net_cents": sums.net_cents,
                 "vat_cents": sums.vat_cents, "gross_cents": sums.gross_cents, "vat": list(sums.vat)}  # fmt: skip
    note = months.totals([statement, statement])
    assert (note.session_count, note.gross_cents) == (6, 4202)
    assert note.vat[0] == {"rate": "7.00", "net_cents": 1000, "vat_cents": 70, "gross_cents": 1070}
    assert months.totals([]).gross_cents == 0


def test_cents_round_half_up_and_money_text() -> None:
    assert months.cents(Decimal("0.005")) == 1 and months.cents(None) == 0 and months.cents("12.34") == 1234
    assert months.money_text(123456, "de") == "1.234,56"
    assert months.money_text(123456, "en") == "1,234.56"


def test_numbers_are_unique_per_community_month_member() -> None:
    assert months.statement_number(4, Month(2026, 1), 9) == "CS-4-202601-9"
    assert months.credit_note_number(4, Month(2026, 12)) == "CN-4-202612"


def test_parse_invitees() -> None:
    pairs = parse_invitees("anna@example.org, Bernd Berg <BERND@example.org>;\n\nanna@example.org\n")
    assert pairs == [("", "anna@example.org"), ("Bernd Berg", "bernd@example.org")]
    with pytest.raises(ValidationError) as wrong:
        parse_invitees("anna@example.org\nnot-an-address")
    assert "not-an-address" in str(wrong.value.errors["emails"])
    with pytest.raises(ValidationError):
        parse_invitees(" \n ,; ")


def test_link_states() -> None:
    now = datetime(2026, 11, 1, 12, tzinfo=UTC)
    link = {"used_at": None, "expires_at": now + timedelta(minutes=1)}
    assert link_state(link, "INVITED", now) is LinkOutcome.OK
    assert link_state({**link, "used_at": now}, "ACTIVE", now) is LinkOutcome.USED
    assert link_state({**link, "expires_at": now}, "ACTIVE", now) is LinkOutcome.EXPIRED
    assert link_state(link, "REMOVED", now) is LinkOutcome.INVALID
    assert link_state(None, None, now) is LinkOutcome.INVALID
