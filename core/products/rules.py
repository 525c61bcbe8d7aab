"""What one product on one station costs in one month: pure rules, no database.

- ``FULL_MONTH`` (360.SUPPORT, seed 001): "immer ein ganzer Monat wird verrechnet, egal ob die Aktivierung am
  Monatsanfang oder Monatsende durchgeführt wurde" and "keine Verrechnung für den Monat, in dem die Deaktivierung
  stattgefunden hat". One rule says both: a month is billed in full when the product is active at the month's end
  (local midnight of the next month's first day). So a reactivation within the month of a deactivation bills that
  month once, and an activation and deactivation on the same day bills nothing.
- ``PRO_RATA`` (eOperate): the month's price times the local calendar days on which the product was assigned,
  divided by the month's days, rounded half up to the cent; the day it starts counts, the day it ends does not (as
  a hotel counts nights), so a whole month costs exactly the monthly price and a start and end on the same day
  costs nothing. Overlapping assignments of the same product on one station count each day once.

Months are local calendar months (core.months) in the tenant's time zone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo

from core.months import Month


class BillingRule(StrEnum):
    FULL_MONTH = "FULL_MONTH"
    PRO_RATA = "PRO_RATA"


Interval = tuple[datetime, datetime | None]  # [starts_at, ends_at); None: still assigned


@dataclass(frozen=True)
class MonthCharge:
    """``days`` the product counted in the month (FULL_MONTH: all the month's days or 0) and the net amount."""

    days: int
    month_days: int
    net_cents: int


def _local_date(at: datetime, zone: ZoneInfo) -> date:
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(zone).date()


def month_days(month: Month) -> int:
    following = month.next()
    return (date(following.year, following.month, 1) - date(month.year, month.month, 1)).days


def active_at_month_end(intervals: Iterable[Interval], month: Month, zone: ZoneInfo) -> bool:
    _, end = month.bounds(zone)
    return any(start < end and (stop is None or stop >= end) for start, stop in intervals)


def assigned_days(intervals: Iterable[Interval], month: Month, zone: ZoneInfo) -> int:
    """The local days of ``month`` on which the product was assigned (the start day counts, the end day does not)."""
    first = date(month.year, month.month, 1)
    following = month.next()
    last = date(following.year, following.month, 1)  # exclusive
    spans = sorted(
        (max(_local_date(start, zone), first), min(_local_date(stop, zone), last) if stop is not None else last)
        for start, stop in intervals
    )
    days, covered = 0, first  # days counted so far and the first day not yet counted (spans overlap)
    for begin, until in spans:
        begin = max(begin, covered)
        if begin < until:
            days += (until - begin).days
            covered = until
    return days


def month_charge(rule: BillingRule | str, monthly_net_cents: int, intervals: Iterable[Interval], month: Month,
                 zone: ZoneInfo) -> MonthCharge:  # fmt: skip
    spans = list(intervals)
    total_days = month_days(month)
    if BillingRule(rule) is BillingRule.FULL_MONTH:
        billed = active_at_month_end(spans, month, zone)
        return MonthCharge(total_days if billed else 0, total_days, monthly_net_cents if billed else 0)
    days = assigned_days(spans, month, zone)
    amount = (Decimal(monthly_net_cents) * days / total_days).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return MonthCharge(days, total_days, int(amount))
