"""The dashboard's hours, days and months in the tenant's local time (core.dashboard.buckets) and the chart's axis
(portal.dashboard_chart): DST days have 23 or 25 hours, the repeated autumn hour stays two hours, months and days
begin at local midnight, half-hour zones keep their hours."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from core.dashboard.buckets import Metric, Period, bar_starts, bars_of, hour_start
from portal import dashboard_chart, i18n

BERLIN = ZoneInfo("Europe/Berlin")
KOLKATA = ZoneInfo("Asia/Kolkata")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_hour_start_is_the_local_hour() -> None:
    assert hour_start(utc(2026, 7, 1, 10, 59, 59), BERLIN) == utc(2026, 7, 1, 10)
    # India is 5:30 ahead: 10:15 UTC is 15:45 local, whose hour began at 09:30 UTC
    assert hour_start(utc(2026, 7, 1, 10, 15), KOLKATA) == utc(2026, 7, 1, 9, 30)


def test_the_repeated_autumn_hour_is_two_hours() -> None:
    # 25 October 2026: at 03:00 CEST the clocks go back to 02:00 CET (01:00 UTC)
    first = hour_start(utc(2026, 10, 25, 0, 30), BERLIN)  # 02:30 CEST
    second = hour_start(utc(2026, 10, 25, 1, 30), BERLIN)  # 02:30 CET
    assert (first, second) == (utc(2026, 10, 25, 0), utc(2026, 10, 25, 1))


def test_a_day_has_23_24_or_25_hourly_bars() -> None:
    # 29 March 2026: spring forward, the day begins in CET (23:00 UTC) and ends in CEST (22:00 UTC)
    for day, hours, begins, ends in ((29, 23, utc(2026, 3, 28, 23), utc(2026, 3, 29, 22)),
                                     (30, 24, utc(2026, 3, 29, 22), utc(2026, 3, 30, 22))):  # fmt: skip
        starts, end, unit = bar_starts(Period.DAY, utc(2026, 3, day, 12), BERLIN)
        assert (len(starts), unit, starts[0], end) == (hours, "hour", begins, ends)
    starts, end, _ = bar_starts(Period.DAY, utc(2026, 10, 25, 12), BERLIN)
    assert len(starts) == 25 and starts[0] == utc(2026, 10, 24, 22) and end == utc(2026, 10, 25, 23)
    labels = [s.astimezone(BERLIN).strftime("%H") for s in starts]
    assert labels[:5] == ["00", "01", "02", "02", "03"]


def test_days_and_months_begin_at_local_midnight() -> None:
    now = utc(2026, 11, 2, 23, 30)  # already 3 November in Berlin
    starts, end, unit = bar_starts(Period.WEEK, now, BERLIN)
    assert unit == "day" and len(starts) == 7
    assert starts[-1] == utc(2026, 11, 2, 23) and end == utc(2026, 11, 3, 23)
    assert starts[0] == utc(2026, 10, 27, 23)  # 28 October, CET
    assert len(bar_starts(Period.MONTH, now, BERLIN)[0]) == 30
    months, end, unit = bar_starts(Period.YEAR, now, BERLIN)
    assert unit == "month" and len(months) == 12
    assert months[0] == utc(2025, 11, 30, 23) and months[-1] == utc(2026, 10, 31, 23) and end == utc(2026, 11, 30, 23)
    assert months[6] == utc(2026, 5, 31, 22)  # 1 June, CEST
    december, end, _ = bar_starts(Period.YEAR, utc(2026, 12, 15), BERLIN)
    assert december[-1] == utc(2026, 11, 30, 23) and end == utc(2026, 12, 31, 23)


def test_hours_are_added_to_their_bars() -> None:
    now = utc(2026, 10, 25, 12)
    hours = [
        {"hour_start": utc(2026, 10, 25, 0), "sessions": 1, "energy_wh": 1000, "revenue": Decimal("1.50")},
        {"hour_start": "2026-10-25T01:00:00+00:00", "sessions": 2, "energy_wh": 500, "revenue": "0.25"},
        {"hour_start": utc(2026, 10, 24, 21), "sessions": 9, "energy_wh": 9, "revenue": 9},  # 23:00 the day before
    ]
    day = bars_of(Period.DAY, now, BERLIN, hours)
    assert [b.sessions for b in day[2:4]] == [1, 2] and sum(b.sessions for b in day) == 3
    week = bars_of(Period.WEEK, now, BERLIN, hours)
    assert [b.sessions for b in week[-2:]] == [9, 3]
    assert week[-1].value(Metric.ENERGY) == Decimal("1.5") and week[-1].value(Metric.REVENUE) == Decimal("1.75")


def test_axis_steps_are_round() -> None:
    assert [dashboard_chart.nice_step(Decimal(v)) for v in ("0", "7", "38", "1234", "0.3")] == [
        Decimal(1),
        Decimal(2),
        Decimal(10),
        Decimal(500),
        Decimal("0.1"),
    ]


def test_chart_labels_and_numbers_in_german_and_english() -> None:
    now = utc(2026, 10, 25, 12)
    hours = [{"hour_start": utc(2026, 10, 20, 10), "sessions": 3, "energy_wh": 1_234_560, "revenue": "2345.5"}]
    week = bars_of(Period.WEEK, now, BERLIN, hours)
    token = i18n.current_language.set("de")
    try:
        chart = dashboard_chart.build(week, Metric.ENERGY, "EUR")
        assert chart.bars[1].label == "20. Okt." and chart.bars[1].text == "1.234,6 kWh"
        assert chart.ticks[-1].text == "1.500" and chart.bars[1].height > 0 and chart.bars[0].height == 0
        assert dashboard_chart.build(week, Metric.REVENUE, "EUR").total_text == "2.345,50 EUR"
    finally:
        i18n.current_language.reset(token)
    token = i18n.current_language.set("en")
    try:
        chart = dashboard_chart.build(week, Metric.SESSIONS, "EUR")
        assert chart.bars[1].label == "20 Oct" and chart.total_text == "3"
        year = bars_of(Period.YEAR, now, BERLIN, hours)
        assert dashboard_chart.build(year, Metric.REVENUE, "EUR").bars[-1].label == "Oct 26"
    finally:
        i18n.current_language.reset(token)
