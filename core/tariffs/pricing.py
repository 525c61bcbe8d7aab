"""The pricing engine: a tariff snapshot and the facts of one session give price components and totals.

Pure code on ``Decimal``; no database, no clock. CDRs store the ``TariffSnapshot`` verbatim (``to_json``) so a
session can always be re-priced exactly as it was.

Contract
--------
``price_session(tariff: TariffSnapshot, facts: SessionFacts) -> Price``

* ``TariffSnapshot``: currency, VAT rate in percent (``Decimal("19.0")``), one ``PriceSet`` per power type (AC, DC)
  and an optional parking price. All prices are **net** (without VAT), as the seed says: "Bei den eingegebenen
  Preisen handelt es sich um Nettopreise".
* ``PriceSet``: ``energy_per_kwh``; ``time_per_minute`` charged from minute ``time_from_minute`` on (the
  "Blockiergebühr": 0.02 EUR/min from minute 60 in the seed); ``session_fee`` once per session.
* ``SessionFacts``: ``energy_wh``, ``started_at``/``stopped_at`` (timezone-aware), ``power_type`` "AC" or "DC",
  ``idle_minutes`` (plugged in but not charging), ``time_zone`` of the charge point.
* ``Price``: components (OCPI dimension names ``ENERGY``, ``TIME``, ``FLAT``, ``PARKING_TIME``), ``net``, ``vat``,
  ``gross``, ``vat_rate``, ``currency``.

What is charged
---------------
* ENERGY: kWh (= Wh / 1000, exact) x price per kWh of the session's power type.
* TIME (blocking fee): the whole session duration (start to stop, idle time included: the car blocks the spot
  either way) in *started* minutes, minus ``time_from_minute`` free minutes. A 90-minute session with "0.02 from
  minute 60" pays 30 minutes. A session of 60 min 20 s pays 1 minute.
* PARKING_TIME: the idle minutes (``idle_minutes``, rounded up to started minutes) minus ``parking_from_minute``
  free minutes, x ``parking_per_minute``. It is independent of the power type.
* FLAT: the session fee, once. Components whose price or quantity is zero are left out.
* The time zone does not change the price (no time-of-day prices yet); it is validated so a CDR never carries a
  zone nobody can read.

Rounding (documented, stable)
-----------------------------
* Unit prices are kept as entered (up to 4 decimals, the form's precision).
* Each component's net amount is rounded to the currency's minor unit (2 decimals for EUR/CHF/...; 0 for JPY,
  KRW...) with ``ROUND_HALF_UP`` (kaufmaennisches Runden).
* ``net`` = sum of the rounded component amounts (so net always equals the sum of its components).
* ``vat`` = ``net`` x rate / 100, rounded the same way; ``gross`` = ``net`` + ``vat`` exactly.
* Rounding half-up of a non-negative quantity is monotone, so totals never fall when energy or duration grow.

Bad input (negative energy or prices, stop before start, naive datetimes, unknown power type or time zone)
raises ``ValueError`` with a clear message; callers clamp meter glitches before pricing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

ZERO = Decimal(0)
POWER_TYPES = ("AC", "DC")
# ISO 4217 currencies without minor units; every other currency we accept uses 2 decimals.
_ZERO_DECIMAL_CURRENCIES = frozenset({"JPY", "KRW", "ISK", "CLP", "VND"})


def minor_unit(currency: str) -> Decimal:
    """The smallest amount of ``currency`` as an exponent template: ``Decimal("0.01")`` for EUR."""
    return Decimal(1) if currency.upper() in _ZERO_DECIMAL_CURRENCIES else Decimal("0.01")


def round_money(amount: Decimal, currency: str) -> Decimal:
    """Round ``amount`` half-up to the currency's minor unit."""
    return amount.quantize(minor_unit(currency), rounding=ROUND_HALF_UP)


def gross_unit_price(net: Decimal, vat_rate: Decimal) -> Decimal:
    """A net unit price with VAT on top, kept at 4 decimals (how the form shows the gross price)."""
    return (Decimal(net) * (1 + Decimal(vat_rate) / 100)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def shown_unit_price(price: Any, most: int = 3) -> Decimal:
    """A unit price as people read it: 2 decimals, and up to ``most`` only when the price, rounded half-up to ``most``
    decimals, really has them (PAngV allows 0.399 EUR/kWh): 0.3900 -> 0.39, 0.476 -> 0.476, 0.39249 -> 0.392 with
    ``most`` 3. The exponent of the result is the number of decimals to show. Every page and mail that shows a driver
    a unit price formats it with this (the portal's ``unit_price`` filter)."""
    rounded = _dec(price).quantize(Decimal(1).scaleb(-most), rounding=ROUND_HALF_UP)
    for places in range(2, most):
        shorter = rounded.quantize(Decimal(1).scaleb(-places))
        if shorter == rounded:
            return shorter
    return rounded


def _dec(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


@dataclass(frozen=True)
class PriceSet:
    """Net prices for one power type (AC or DC)."""

    energy_per_kwh: Decimal
    time_per_minute: Decimal = ZERO
    time_from_minute: int = 0
    session_fee: Decimal = ZERO

    def to_json(self) -> dict[str, Any]:
        return {
            "energy_per_kwh": str(self.energy_per_kwh),
            "time_per_minute": str(self.time_per_minute),
            "time_from_minute": self.time_from_minute,
            "session_fee": str(self.session_fee),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PriceSet:
        return cls(
            energy_per_kwh=_dec(data["energy_per_kwh"]),
            time_per_minute=_dec(data.get("time_per_minute", "0")),
            time_from_minute=int(data.get("time_from_minute", 0)),
            session_fee=_dec(data.get("session_fee", "0")),
        )


@dataclass(frozen=True)
class TariffSnapshot:
    """A tariff as it was when a session was priced; stored verbatim on the CDR."""

    tariff_id: int
    code: str
    name: str
    currency: str
    vat_rate: Decimal  # percent, e.g. Decimal("19.0")
    ac: PriceSet
    dc: PriceSet
    parking_per_minute: Decimal = ZERO  # idle time (plugged in, not charging)
    parking_from_minute: int = 0

    def prices_for(self, power_type: str) -> PriceSet:
        if power_type not in POWER_TYPES:
            raise ValueError(f"Unknown power type {power_type!r}; expected AC or DC.")
        return self.ac if power_type == "AC" else self.dc

    def to_json(self) -> dict[str, Any]:
        return {
            "tariff_id": self.tariff_id,
            "code": self.code,
            "name": self.name,
            "currency": self.currency,
            "vat_rate": str(self.vat_rate),
            "ac": self.ac.to_json(),
            "dc": self.dc.to_json(),
            "parking_per_minute": str(self.parking_per_minute),
            "parking_from_minute": self.parking_from_minute,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TariffSnapshot:
        return cls(
            tariff_id=int(data["tariff_id"]),
            code=str(data["code"]),
            name=str(data["name"]),
            currency=str(data["currency"]),
            vat_rate=_dec(data["vat_rate"]),
            ac=PriceSet.from_json(data["ac"]),
            dc=PriceSet.from_json(data["dc"]),
            parking_per_minute=_dec(data.get("parking_per_minute", "0")),
            parking_from_minute=int(data.get("parking_from_minute", 0)),
        )


@dataclass(frozen=True)
class SessionFacts:
    """What happened in one session, as far as the price is concerned."""

    energy_wh: int
    started_at: datetime
    stopped_at: datetime
    power_type: str  # "AC" | "DC"
    idle_minutes: Decimal = ZERO
    time_zone: str = "Europe/Berlin"

    @property
    def duration_minutes(self) -> Decimal:
        """Exact duration in minutes (seconds / 60, not rounded)."""
        return Decimal((self.stopped_at - self.started_at).total_seconds()) / 60


@dataclass(frozen=True)
class PriceComponent:
    kind: str  # "ENERGY" | "TIME" | "FLAT" | "PARKING_TIME" (OCPI TariffDimensionType)
    quantity: Decimal  # kWh, billed minutes, or 1 for FLAT
    unit_price: Decimal  # net
    net: Decimal  # rounded to the currency's minor unit

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "quantity": str(self.quantity), "unit_price": str(self.unit_price),
                "net": str(self.net)}


@dataclass(frozen=True)
class Price:
    currency: str
    components: tuple[PriceComponent, ...]
    net: Decimal
    vat: Decimal
    gross: Decimal
    vat_rate: Decimal

    def to_json(self) -> dict[str, Any]:
        return {
            "currency": self.currency,
            "components": [c.to_json() for c in self.components],
            "net": str(self.net),
            "vat": str(self.vat),
            "gross": str(self.gross),
            "vat_rate": str(self.vat_rate),
        }


def started_minutes(minutes: Decimal) -> Decimal:
    """Minutes rounded up to whole started minutes (60 min 1 s -> 61)."""
    return _dec(minutes).to_integral_value(rounding=ROUND_CEILING)


def _check(tariff: TariffSnapshot, facts: SessionFacts) -> PriceSet:
    prices = tariff.prices_for(facts.power_type)
    if facts.started_at.tzinfo is None or facts.stopped_at.tzinfo is None:
        raise ValueError("Session start and stop must be timezone-aware.")
    if facts.stopped_at < facts.started_at:
        raise ValueError("Session stop lies before its start.")
    if facts.energy_wh < 0:
        raise ValueError("Session energy must not be negative.")
    if _dec(facts.idle_minutes) < 0:
        raise ValueError("Idle minutes must not be negative.")
    try:
        ZoneInfo(facts.time_zone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"Unknown time zone {facts.time_zone!r}.") from exc
    amounts = (prices.energy_per_kwh, prices.time_per_minute, prices.session_fee, tariff.parking_per_minute,
               tariff.vat_rate)
    if any(_dec(a) < 0 for a in amounts) or prices.time_from_minute < 0 or tariff.parking_from_minute < 0:
        raise ValueError("Tariff prices, free minutes and VAT rate must not be negative.")
    return prices


def price_session(tariff: TariffSnapshot, facts: SessionFacts) -> Price:
    """Price one session with ``tariff`` (see the module docstring for what is charged and how it is rounded)."""
    prices = _check(tariff, facts)
    currency = tariff.currency

    def component(kind: str, quantity: Decimal, unit_price: Decimal) -> PriceComponent | None:
        unit_price = _dec(unit_price)
        if quantity <= 0 or unit_price == 0:
            return None
        return PriceComponent(kind, quantity, unit_price, round_money(quantity * unit_price, currency))

    kwh = Decimal(facts.energy_wh) / 1000
    billed_time = max(ZERO, started_minutes(facts.duration_minutes) - prices.time_from_minute)
    billed_parking = max(ZERO, started_minutes(_dec(facts.idle_minutes)) - tariff.parking_from_minute)
    candidates = (
        component("ENERGY", kwh, prices.energy_per_kwh),
        component("TIME", billed_time, prices.time_per_minute),
        component("PARKING_TIME", billed_parking, tariff.parking_per_minute),
        component("FLAT", Decimal(1), prices.session_fee),
    )
    components = tuple(c for c in candidates if c is not None)
    net = sum((c.net for c in components), ZERO)
    net = round_money(net, currency)  # normalises the exponent of an empty sum
    vat = round_money(net * _dec(tariff.vat_rate) / 100, currency)
    return Price(currency=currency, components=components, net=net, vat=vat, gross=net + vat,
                 vat_rate=_dec(tariff.vat_rate))
