"""The 7 % rule (pure): a price increase of more than 7 % over the highest tariff of the last 30 days must be
scheduled at least 30 days ahead.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from core.tariffs.pricing import PriceSet, TariffSnapshot

INCREASE_LIMIT_PERCENT = Decimal("7")
LEAD_TIME = timedelta(days=30)
LOOKBACK = timedelta(days=30)


COMPONENT_LABELS = {
    "ac_energy_per_kwh": "AC price per kWh",
    "ac_time_per_minute": "AC price per minute",
    "ac_time_from_minute": "AC free minutes",
    "ac_session_fee": "AC session fee",
    "dc_energy_per_kwh": "DC price per kWh",
    "dc_time_per_minute": "DC price per minute",
    "dc_time_from_minute": "DC free minutes",
    "dc_session_fee": "DC session fee",
    "parking_per_minute": "Parking price per minute",
    "parking_from_minute": "Parking free minutes",
}


@dataclass(frozen=True)
class ComponentIncrease:
    component: str  # a key of COMPONENT_LABELS
    previous: Decimal  # the highest value of the last 30 days (for free minutes: the fewest)
    new: Decimal
    percent: Decimal | None  # None: a fee where there was none, or fewer free minutes


@dataclass(frozen=True)
class IncreaseCheck:
    increases: tuple[ComponentIncrease, ...]  # components raised by more than the limit
    valid_from: datetime
    earliest_valid_from: datetime  # the earliest valid_from the rule permits for this tariff

    @property
    def needs_lead_time(self) -> bool:
        return bool(self.increases)

    @property
    def allowed(self) -> bool:
        return self.valid_from >= self.earliest_valid_from


def _minute_prices(prices: PriceSet) -> Iterable[tuple[str, Decimal, Decimal, int]]:
    yield "energy_per_kwh", prices.energy_per_kwh, Decimal(0), 0
    yield "time_per_minute", prices.time_per_minute, prices.time_per_minute, prices.time_from_minute
    yield "session_fee", prices.session_fee, Decimal(0), 0


def _components(t: TariffSnapshot) -> dict[str, tuple[Decimal, Decimal, int]]:
    """component -> (price, per-minute price the free minutes belong to, free minutes)."""
    result: dict[str, tuple[Decimal, Decimal, int]] = {}
    for power, prices in (("ac", t.ac), ("dc", t.dc)):
        for name, value, per_minute, free in _minute_prices(prices):
            result[f"{power}_{name}"] = (Decimal(value), Decimal(per_minute), free)
    result["parking_per_minute"] = (Decimal(t.parking_per_minute), Decimal(t.parking_per_minute),
                                    t.parking_from_minute)
    return result


def _percent(previous: Decimal, new: Decimal) -> Decimal:
    return (new - previous) * 100 / previous


def check_price_increase(
    new: TariffSnapshot, recent: Sequence[TariffSnapshot], valid_from: datetime, now: datetime
) -> IncreaseCheck:
    """Decide the seed's rule for one charge point (see the module docstring); ``recent``: tariffs active there
    at any moment of the 30 days before ``now``. AC is compared with AC, DC with DC."""
    increases: list[ComponentIncrease] = []
    if recent:
        new_parts = _components(new)
        old_parts = [_components(t) for t in recent]
        for key, (value, per_minute, free) in new_parts.items():
            highest = max(parts[key][0] for parts in old_parts)
            if value > highest and (highest == 0 or _percent(highest, value) > INCREASE_LIMIT_PERCENT):
                percent = None if highest == 0 else _percent(highest, value).quantize(Decimal("0.01"), ROUND_HALF_UP)
                increases.append(ComponentIncrease(key, highest, value, percent))
            if per_minute > 0:
                # Free minutes belong to a per-minute price; fewer of them is an increase of that fee.
                frees = [parts[key][2] for parts in old_parts if parts[key][1] > 0]
                fewest = min(frees) if frees else None
                if fewest is not None and free < fewest:
                    label = key.replace("time_per_minute", "time_from_minute").replace(
                        "parking_per_minute", "parking_from_minute")
                    increases.append(ComponentIncrease(label, Decimal(fewest), Decimal(free), None))
    earliest = now + LEAD_TIME if increases else now
    return IncreaseCheck(tuple(increases), valid_from, earliest)
