"""The dashboard's bar chart as geometry for an inline SVG (portal/templates/_dashboard_chart.html): bars, round
axis ticks and labels in the reader's language. No JavaScript: the server draws it, HTMX only swaps it."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from babel.dates import format_date, format_time

from core.dashboard.buckets import Bar, Metric
from portal import i18n

WIDTH, HEIGHT = 760, 300
LEFT, RIGHT, TOP, BOTTOM = 78, 12, 16, 56  # room for the y ticks and title, the x labels and title
MAX_X_LABELS = 15


@dataclass(frozen=True)
class ChartBar:
    x: float
    y: float
    width: float
    height: float
    label: str  # e.g. "14:00", "6. Dez.", "Dez. 26"
    value: Decimal
    text: str  # the value as read, with its unit
    show_label: bool


@dataclass(frozen=True)
class Tick:
    y: float
    text: str


@dataclass(frozen=True)
class Chart:
    bars: list[ChartBar]
    ticks: list[Tick]
    total_text: str
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    bottom: float = HEIGHT - BOTTOM
    plot_width: int = WIDTH - LEFT - RIGHT


def nice_step(top: Decimal, ticks: int = 4) -> Decimal:
    """A round step (1, 2 or 5 times a power of ten) so that about ``ticks`` steps cover ``top``."""
    if top <= 0:
        return Decimal(1)
    raw = top / ticks
    power = Decimal(10) ** (raw.adjusted())
    for factor in (1, 2, 5, 10):
        if raw <= factor * power:
            return factor * power
    return 10 * power  # pragma: no cover - the loop ends at 10


def digits_of(metric: Metric) -> int:
    return 2 if metric == Metric.REVENUE else 1 if metric == Metric.ENERGY else 0


def value_text(value: Decimal, metric: Metric, currency: str) -> str:
    unit = {Metric.ENERGY: "kWh", Metric.REVENUE: currency, Metric.SESSIONS: ""}[metric]
    return f"{i18n.number(value, digits_of(metric))} {unit}".strip()


def bar_label(bar: Bar) -> str:
    locale = "de_DE" if i18n.current_language.get() == "de" else "en_GB"
    if bar.unit == "hour":
        return format_time(bar.start, "HH:mm", locale=locale)
    if bar.unit == "day":
        return format_date(bar.start.date(), "d. MMM" if locale == "de_DE" else "d MMM", locale=locale)
    return format_date(bar.start.date(), "MMM yy", locale=locale)  # short: twelve fit side by side


def build(bars: list[Bar], metric: Metric, currency: str) -> Chart:
    values = [b.value(metric) for b in bars]
    top = max([v for v in values if v > 0], default=Decimal(0))
    step = nice_step(top)
    steps = math.ceil(top / step) if top > 0 else 4
    scale_top = step * max(1, steps)
    plot_h = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT - RIGHT) / max(1, len(bars))
    every = max(1, -(-len(bars) // MAX_X_LABELS))
    chart_bars = []
    for i, (bar, value) in enumerate(zip(bars, values, strict=True)):
        h = float(max(value, Decimal(0)) / scale_top) * plot_h
        chart_bars.append(
            ChartBar(
                x=LEFT + i * slot + slot * 0.1, y=HEIGHT - BOTTOM - h, width=max(slot * 0.8, 1.0), height=h,
                label=bar_label(bar), value=value, text=value_text(value, metric, currency), show_label=i % every == 0,
            )
        )  # fmt: skip
    ticks = []
    n = int(scale_top / step)
    for k in range(n + 1):
        tick_value = step * k
        ticks.append(Tick(y=HEIGHT - BOTTOM - float(tick_value / scale_top) * plot_h,
                          text=i18n.number(tick_value, 0 if step >= 1 else digits_of(metric))))  # fmt: skip
    total = sum(values, Decimal(0))
    return Chart(bars=chart_bars, ticks=ticks, total_text=value_text(total, metric, currency))
