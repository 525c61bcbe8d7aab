"""The pure rules of the monthly statements: local months, amounts in cents, statement lines and VAT totals.

- A month is a calendar month in the community's time zone (Europe/Berlin unless set otherwise): it begins at local
  midnight of its first day, so in UTC it begins at 23:00 (winter) or 22:00 (summer) of the day before, and March
  and October are an hour shorter or longer. A session belongs to the month in which it started.
- The run after the end of a month writes that month (``completed_month``): on 1 January it writes December of
  the previous year.
- Amounts come from the session's CDR (core.cdrs: priced by the community's tariff, net + VAT = gross, each
  rounded there); a statement adds them up in cents per VAT rate, so the VAT of a statement is the sum of the VAT
  of its sessions, as on their receipts, and the credit note is the sum of the statements.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from core.months import Month, month_of
from core.payments.receipts import number_text

__all__ = ["Month", "month_of"]  # the community's months are core.months'; re-exported for its callers


def completed_month(now: datetime, zone: ZoneInfo) -> Month:
    """The newest month that has ended at ``now`` (local time): the month before the current one."""
    return month_of(now, zone).previous()


def cents(amount: Decimal | int | str | None) -> int:
    """A money amount (two decimals, as CDRs store it) in cents."""
    return int((Decimal(str(amount or 0)) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def wh(kwh: Decimal | str | None) -> int:
    return int((Decimal(str(kwh or 0)) * 1000).quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class StatementLine:
    """One session on a statement."""

    session_id: int
    started_at: str  # ISO, UTC
    evse_id: str
    location_name: str
    card_uid: str
    energy_wh: int
    vat_rate: str  # as the CDR stores it, e.g. "19.00"
    net_cents: int
    vat_cents: int
    gross_cents: int

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def line_of(cdr: dict[str, Any]) -> StatementLine:
    started = cdr["start_date_time"]
    started = started if started.tzinfo else started.replace(tzinfo=UTC)
    return StatementLine(
        session_id=int(cdr["session"]),
        started_at=started.astimezone(UTC).isoformat(),
        evse_id=cdr.get("evse_id") or "",
        location_name=cdr.get("location_name") or "",
        card_uid=cdr.get("token_uid") or "",
        energy_wh=wh(cdr.get("total_energy")),
        vat_rate=f"{Decimal(str(cdr.get('vat_rate') or 0)):.2f}",
        net_cents=cents(cdr.get("total_cost_excl_vat")),
        vat_cents=cents(cdr.get("total_vat")),
        gross_cents=cents(cdr.get("total_cost_incl_vat")),
    )


@dataclass(frozen=True)
class Totals:
    session_count: int
    energy_wh: int
    net_cents: int
    vat_cents: int
    gross_cents: int
    vat: tuple[dict[str, Any], ...]  # per rate: rate, net_cents, vat_cents, gross_cents (ascending rate)


def totals(lines: list[StatementLine] | list[dict[str, Any]]) -> Totals:
    """The sums of statement lines (or of statements, for a credit note), with a VAT breakdown per rate."""
    rows = [line.to_json() if isinstance(line, StatementLine) else line for line in lines]
    by_rate: dict[str, dict[str, Any]] = {}
    for row in rows:
        for part in row.get("vat") or [row]:  # a statement carries its breakdown; a line is one rate
            rate = by_rate.setdefault(part["vat_rate"] if "vat_rate" in part else part["rate"],
                                      {"net_cents": 0, "vat_cents": 0, "gross_cents": 0})  # fmt: skip
            for key in ("net_cents", "vat_cents", "gross_cents"):
                rate[key] += int(part[key])
    vat = tuple({"rate": rate, **sums} for rate, sums in sorted(by_rate.items(), key=lambda item: Decimal(item[0])))
    return Totals(
        session_count=sum(int(row.get("session_count", 1)) for row in rows),
        energy_wh=sum(int(row["energy_wh"]) for row in rows),
        net_cents=sum(int(row["net_cents"]) for row in rows),
        vat_cents=sum(int(row["vat_cents"]) for row in rows),
        gross_cents=sum(int(row["gross_cents"]) for row in rows),
        vat=vat,
    )


def statement_number(community_id: int, month: Month, member_id: int) -> str:
    """The statement's number; unique, so that writing a month twice writes it once."""
    return f"CS-{community_id}-{month.year:04d}{month.month:02d}-{member_id}"


def credit_note_number(community_id: int, month: Month) -> str:
    return f"CN-{community_id}-{month.year:04d}{month.month:02d}"


def money_text(value_cents: int, language: str) -> str:
    """``1.234,56`` (de) or ``1,234.56`` (en), as on receipts."""
    return number_text(Decimal(value_cents) / 100, 2, language)


def first_day(month: Month) -> date:
    return date(month.year, month.month, 1)
