"""OCPI 2.2.1 Tariff objects (mod_tariffs.asciidoc) from csms tariffs (core.tariffs.pricing.TariffSnapshot).

One csms tariff holds AC and DC prices; OCPI prices per connector, so each csms tariff is two OCPI tariffs,
``<code>-AC`` and ``<code>-DC``, and a connector lists the one of its power type. A scheduled assignment (a tariff
valid from a later time on a charge point) is the same tariff with ``start_date_time`` under its own id
(``<code>-AC-<valid from, UTC>``), so a partner knows today's and tomorrow's price at once.

How csms's prices become tariff elements (the pricing engine's rules, core/tariffs/pricing.py):

* ENERGY: the price per kWh, ``step_size`` 1 (Wh, exact).
* FLAT: the session fee.
* TIME: csms's blocking fee runs over the whole session from minute N, charging or not. OCPI's TIME counts only
  charging time, so the element from minute N (restriction ``min_duration`` N x 60 s) has TIME and PARKING_TIME at
  that price per hour, ``step_size`` 60 (csms bills started minutes).
* PARKING_TIME: csms's parking price per idle minute. Before minute N it is its own element; from minute N the
  first element's PARKING_TIME carries blocking fee plus parking price, because OCPI uses the first matching
  element per dimension. csms's free idle minutes (``parking_from_minute`` > 0) have no OCPI restriction (OCPI
  restricts by session duration, not by idle time): ``exact_in_ocpi`` says so and the alt text names them.
* Prices are net (as csms stores them) with ``vat`` = the tenant's VAT rate; ``tariff_alt_text`` in German and
  English shows the gross prices drivers pay (Preisangabenverordnung).
* Restrictions are in the location's local time by the specification; csms prices do not depend on the time of
  day, so the only restriction is ``min_duration``, which has no time zone.
"""

from __future__ import annotations

import functools
from datetime import datetime
from decimal import Decimal
from typing import Any

from core.roaming.offer import POWER_OF_CONNECTOR
from core.tariffs.pricing import TariffSnapshot, gross_unit_price
from hub.mapping import ocpi_datetime

MAX_ID = 36
MINUTE = 60  # seconds, the step of TIME and PARKING_TIME


def ocpi_tariff_id(code: str, power: str, valid_from: datetime | None = None) -> str:
    base = f"{code}-{power}"
    if valid_from is not None:
        base += "-" + ocpi_datetime(valid_from).replace("-", "").replace(":", "")[:13]  # 20261201T0000
    if len(base) > MAX_ID:
        raise ValueError(f"Tariff id {base} is longer than {MAX_ID} characters.")
    return base


def exact_in_ocpi(snapshot: TariffSnapshot) -> bool:
    """Whether the OCPI tariff prices every session exactly like csms (see the module docstring)."""
    return snapshot.parking_per_minute == 0 or snapshot.parking_from_minute == 0


def _per_hour(per_minute: Decimal) -> Decimal:
    return (per_minute * MINUTE).normalize() if per_minute else Decimal(0)


def _component(kind: str, price: Decimal, vat: Decimal, step_size: int) -> dict[str, Any]:
    return {"type": kind, "price": price, "vat": vat, "step_size": step_size}


def elements(snapshot: TariffSnapshot, power: str) -> list[dict[str, Any]]:
    prices = snapshot.prices_for(power)
    vat = snapshot.vat_rate
    parking = snapshot.parking_per_minute
    result: list[dict[str, Any]] = []
    if prices.time_per_minute > 0:
        blocking: dict[str, Any] = {
            "price_components": [
                _component("TIME", _per_hour(prices.time_per_minute), vat, MINUTE),
                _component("PARKING_TIME", _per_hour(prices.time_per_minute + parking), vat, MINUTE),
            ]
        }
        if prices.time_from_minute > 0:
            blocking["restrictions"] = {"min_duration": prices.time_from_minute * MINUTE}
        result.append(blocking)
    if parking > 0:
        result.append({"price_components": [_component("PARKING_TIME", _per_hour(parking), vat, MINUTE)]})
    basic = []
    if prices.energy_per_kwh > 0:
        basic.append(_component("ENERGY", prices.energy_per_kwh, vat, 1))
    if prices.session_fee > 0:
        basic.append(_component("FLAT", prices.session_fee, vat, 1))
    if basic:
        result.append({"price_components": basic})
    if not result:  # free of charge (mod_tariffs "Free of Charge Tariff example")
        result.append({"price_components": [_component("FLAT", Decimal(0), vat, 1)]})
    return result


def _money(amount: Decimal, language: str) -> str:
    text = f"{amount:.2f}" if amount == amount.quantize(Decimal("0.01")) else f"{amount.normalize():f}"
    return text.replace(".", ",") if language == "de" else text


ALT_TEXT = {
    "de": {
        "energy": "{p} {c}/kWh", "time": "ab Minute {n}: {p} {c}/min (Blockiergebühr)", "time0": "{p} {c}/min",
        "parking": "Parken ohne Laden: {p} {c}/min", "parking_free": "Parken ohne Laden ab Minute {n}: {p} {c}/min",
        "fee": "Startgebühr {p} {c}", "free": "Kostenlos", "vat": "inkl. {v} % MwSt.",
    },
    "en": {
        "energy": "{p} {c}/kWh", "time": "from minute {n}: {p} {c}/min (blocking fee)", "time0": "{p} {c}/min",
        "parking": "parking without charging: {p} {c}/min",
        "parking_free": "parking without charging from minute {n}: {p} {c}/min",
        "fee": "session fee {p} {c}", "free": "Free of charge", "vat": "incl. {v} % VAT",
    },
}  # fmt: skip


def alt_text(snapshot: TariffSnapshot, power: str, language: str) -> str:
    """The tariff in words with gross prices, as drivers must see it."""
    words = ALT_TEXT[language]
    prices = snapshot.prices_for(power)
    currency = snapshot.currency

    def gross(net: Decimal) -> str:
        return _money(gross_unit_price(net, snapshot.vat_rate), language)

    parts = []
    if prices.energy_per_kwh > 0:
        parts.append(words["energy"].format(p=gross(prices.energy_per_kwh), c=currency))
    if prices.time_per_minute > 0:
        key = "time" if prices.time_from_minute > 0 else "time0"
        parts.append(words[key].format(p=gross(prices.time_per_minute), c=currency, n=prices.time_from_minute))
    if snapshot.parking_per_minute > 0:
        key = "parking_free" if snapshot.parking_from_minute > 0 else "parking"
        parts.append(words[key].format(p=gross(snapshot.parking_per_minute), c=currency,
                                       n=snapshot.parking_from_minute))  # fmt: skip
    if prices.session_fee > 0:
        parts.append(words["fee"].format(p=gross(prices.session_fee), c=currency))
    if not parts:
        return words["free"]
    vat = _money(snapshot.vat_rate.normalize(), language).removesuffix(",00").removesuffix(".00")
    return ", ".join(parts) + " " + f"({words['vat'].format(v=vat)})"


def tariff_object(
    snapshot: TariffSnapshot,
    power: str,
    *,
    country_code: str,
    party_id: str,
    last_updated: datetime,
    start_date_time: datetime | None = None,
) -> dict[str, Any]:
    """The OCPI Tariff of one power type ("AC" or "DC") of a csms tariff; ``start_date_time`` for a scheduled
    assignment (then also its own id)."""
    result: dict[str, Any] = {
        "country_code": country_code.upper(),
        "party_id": party_id.upper(),
        "id": ocpi_tariff_id(snapshot.code, power, start_date_time),
        "currency": snapshot.currency,
        "tariff_alt_text": [{"language": lang, "text": alt_text(snapshot, power, lang)} for lang in ("de", "en")],
        "elements": elements(snapshot, power),
        "last_updated": ocpi_datetime(last_updated),
    }
    if start_date_time is not None:
        result["start_date_time"] = ocpi_datetime(start_date_time)
    return result


def connector_tariff_ids(
    connector_power_type: str, current_code: str | None, scheduled: list[tuple[str, datetime]] | None = None
) -> list[str]:
    """The tariff ids a connector lists: the tariff in force and each scheduled one (code, valid from), in the
    connector's power type."""
    return list(_tariff_ids(POWER_OF_CONNECTOR.get(connector_power_type, "AC"), current_code, tuple(scheduled or ())))


@functools.lru_cache(maxsize=1024)  # a list page's connectors share a few tariffs
def _tariff_ids(power: str, current_code: str | None, scheduled: tuple[tuple[str, datetime], ...]) -> tuple[str, ...]:
    ids = [ocpi_tariff_id(current_code, power)] if current_code else []
    return tuple(ids + [ocpi_tariff_id(code, power, at) for code, at in scheduled])
