"""Tariffs (CPO Tarife): create, edit, assign to charge points, and the 7 % price-increase rule.

Decisions (see docs/tariffs.md):

* Prices are net; VAT comes from the tenant's VAT rate and is added on top (``core.tariffs.pricing``).
* The tenant's first tariff fixes its currency; every later tariff uses it ("The currency cannot be changed later
  and is your default currency for all subsequent tariffs", seed 003).
* Each tariff gets a stable code ``CPO`` + UTC creation time (``CPO20240723073331``), unique per tenant.
* Editing: the name can always change. Prices can change only while the tariff has never been assigned. Once a
  tariff is (or was, or will be) active on a charge point, or is (was) a driver group's tariff, its prices are
  frozen, so assignment history is price history and every CDR's tariff snapshot matches what the portal shows.
  New prices = a new tariff ("Copy") assigned with a valid-from date, which is where the 7 % rule is checked per
  charge point.
* Assignments are never overwritten: a new row with a later ``valid_from`` supersedes the previous one; a
  scheduled (future) assignment can be cancelled, which marks it and keeps it in the history.
* The 7 % rule (``check_price_increase``, pure): compared per price component (AC energy, AC per minute, AC
  session fee, the same for DC, and the parking price per minute), each against the highest value of the same
  component among the tariffs active on the charge point at any moment of the last 30 days. An increase of a
  component by more than 7 % (a fee where there was none counts as more than 7 %; fewer free minutes before a
  per-minute fee also counts) needs ``valid_from`` at least 30 days after now. Exactly 7 % is allowed. A charge
  point without any tariff in the last 30 days has nothing to compare with: no lead time needed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from core.db import referenced, transaction
from core.errors import Conflict, Message, NotFound, ValidationError
from core.tariffs.pricing import Price, PriceSet, SessionFacts, TariffSnapshot, gross_unit_price, price_session
from core.tariffs.tables import Tariff, TariffAssignment
from core.tenancy import audit
from core.tenancy.actor import Actor
from core.tenancy.permissions import Permission
from core.tenancy.tables import Tenant
from core.validation import Field, FormSpec

CURRENCIES = ("EUR", "CHF", "GBP", "DKK", "SEK", "NOK", "PLN", "CZK", "HUF", "USD")


PORTAL_TIME_ZONE = "Europe/Berlin"  # the portal shows and reads local times in this zone
MAX_PRICE = Decimal("1000")
MAX_FREE_MINUTES = 7 * 24 * 60


def _four_places(value: Decimal) -> Message | None:
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -4:
        return Message("At most 4 decimal places.")
    return None


def _price(name: str, label: str, *, required: bool = False) -> Field:
    return Field(name, kind="decimal", required=required, min_value=Decimal(0), max_value=MAX_PRICE,
                 default=Decimal(0), checks=(_four_places,), label=label)


def _minutes(name: str, label: str) -> Field:
    return Field(name, kind="int", min_value=0, max_value=MAX_FREE_MINUTES, default=0, label=label)


PRICE_FIELDS = tuple(
    f
    for power in ("ac", "dc")
    for f in (
        # Required only for a power type the tariff prices (``missing_prices``): an AC-only tariff has no DC prices.
        _price(f"{power}_energy_per_kwh", "Price per kWh"),
        _price(f"{power}_time_per_minute", "Price per minute"),
        _minutes(f"{power}_time_from_minute", "Valid from minute"),
        _price(f"{power}_session_fee", "Session fee"),
    )
) + (
    _price("parking_per_minute", "Parking price per minute"),
    _minutes("parking_from_minute", "Parking free minutes"),
)
PRICE_NAMES = tuple(f.name for f in PRICE_FIELDS)
POWER_TYPES = ("ac", "dc")
_COMPONENTS = ("energy_per_kwh", "time_per_minute", "session_fee")


def _given(value: Any) -> bool:
    return value is not None and str(value).strip() != ""


def priced_powers(raw: dict[str, Any]) -> list[str]:
    """The power types ("ac", "dc") for which a price was entered."""
    return [power for power in POWER_TYPES if any(_given(raw.get(f"{power}_{c}")) for c in _COMPONENTS)]


def missing_prices(raw: dict[str, Any]) -> dict[str, Message]:
    """A tariff prices AC, DC or both: a power type with any price entered needs its price per kWh, and at least
    one power type must be priced. Blank DC fields mean that the tariff has no DC prices (stored as 0)."""
    priced = priced_powers(raw)
    if not priced:
        return {f"{power}_energy_per_kwh": Message("Enter the prices for AC, DC or both.") for power in POWER_TYPES}
    return {
        f"{power}_energy_per_kwh": Message("This field is required.")
        for power in priced
        if not _given(raw.get(f"{power}_energy_per_kwh"))
    }


@dataclass(frozen=True)
class PriceComponent:
    """One price a tariff actually charges, for display: ``kind`` is energy, time, session_fee or parking."""

    name: str  # the tariff's field, e.g. dc_session_fee
    power: str  # "AC", "DC" or "" (parking applies to both)
    kind: str
    amount: Decimal
    from_minute: int = 0


def price_components(row: dict[str, Any]) -> list[PriceComponent]:
    """The prices that exist (above zero), AC before DC, parking last; nothing for a price that is not charged."""
    found: list[PriceComponent] = []
    for power in POWER_TYPES:
        for kind, name, minute in (
            ("energy", f"{power}_energy_per_kwh", None),
            ("time", f"{power}_time_per_minute", f"{power}_time_from_minute"),
            ("session_fee", f"{power}_session_fee", None),
        ):
            amount = Decimal(str(row.get(name) or 0))
            first = int(row.get(minute) or 0) if minute else 0
            if amount > 0:
                found.append(PriceComponent(name, power.upper(), kind, amount, first))
    parking = Decimal(str(row.get("parking_per_minute") or 0))
    if parking > 0:
        first = int(row.get("parking_from_minute") or 0)
        found.append(PriceComponent("parking_per_minute", "", "parking", parking, first))
    return found

TARIFF_SPEC = FormSpec(
    "tariff",
    (
        Field("name", required=True, max_length=120, label="Name"),
        Field("currency", kind="choice", choices=CURRENCIES, label="Currency (fixed by the first tariff)"),
        *PRICE_FIELDS,
    ),
)


def _now() -> datetime:
    return datetime.now(UTC)


def new_code(at: datetime) -> str:
    return "CPO" + at.astimezone(UTC).strftime("%Y%m%d%H%M%S")


def snapshot_of(row: dict[str, Any], vat_rate: Decimal) -> TariffSnapshot:
    """A tariff row (and the VAT rate in force) as the pricing engine's snapshot."""

    def price_set(power: str) -> PriceSet:
        return PriceSet(
            energy_per_kwh=Decimal(str(row[f"{power}_energy_per_kwh"])),
            time_per_minute=Decimal(str(row[f"{power}_time_per_minute"])),
            time_from_minute=int(row[f"{power}_time_from_minute"]),
            session_fee=Decimal(str(row[f"{power}_session_fee"])),
        )

    return TariffSnapshot(
        tariff_id=int(row.get("id") or 0),
        code=str(row.get("code") or ""),
        name=str(row.get("name") or ""),
        currency=str(row["currency"]),
        vat_rate=Decimal(str(vat_rate)),
        ac=price_set("ac"),
        dc=price_set("dc"),
        parking_per_minute=Decimal(str(row["parking_per_minute"])),
        parking_from_minute=int(row["parking_from_minute"]),
    )


def gross_prices(row: dict[str, Any], vat_rate: Decimal) -> dict[str, Decimal]:
    """Gross (VAT included) values of every price field, for display next to the net prices."""
    return {name: gross_unit_price(Decimal(str(row[name])), vat_rate) for name in PRICE_NAMES
            if not name.endswith("_from_minute")}


@dataclass(frozen=True)
class PreviewSession:
    energy_kwh: Decimal = Decimal(22)
    minutes: int = 90
    power_type: str = "AC"


def preview(snapshot: TariffSnapshot, session: PreviewSession = PreviewSession()) -> Price:
    """The price dialog's example: "a 22 kWh AC session of 90 minutes costs ..."."""
    start = datetime(2026, 1, 1, 10, 0, tzinfo=UTC)  # any instant: prices do not depend on the time of day
    facts = SessionFacts(
        energy_wh=int(session.energy_kwh * 1000),
        started_at=start,
        stopped_at=start + timedelta(minutes=session.minutes),
        power_type=session.power_type,
    )
    return price_session(snapshot, facts)


async def tenant_pricing(tenant_id: int) -> tuple[str | None, Decimal, str]:
    """(currency fixed by the first tariff or None, VAT rate, the tenant's default currency)."""
    tenant = await Tenant.select(Tenant.currency, Tenant.vat_rate).where(Tenant.id == tenant_id).first()
    if tenant is None:
        raise NotFound("tenant")
    first = (
        await Tariff.select(Tariff.currency).where(Tariff.tenant == tenant_id).order_by(Tariff.id).first()
    )
    fixed = first["currency"] if first else None
    vat_rate = Decimal(str(tenant["vat_rate"])).quantize(Decimal("0.01"))  # the same on SQLite and PostgreSQL
    return fixed, vat_rate, str(tenant["currency"] or "EUR")


async def list_tariffs(actor: Actor, *, include_archived: bool = False) -> list[dict[str, Any]]:
    actor.require(Permission.TARIFFS_VIEW)
    query = Tariff.select().where(Tariff.tenant.is_in(actor.scope))
    if not include_archived:
        query = query.where(Tariff.archived_at.is_null())
    rows = [_normalised(row) for row in await query.order_by(Tariff.name)]
    if rows:
        counts = await TariffAssignment.raw(
            "SELECT tariff, COUNT(DISTINCT charge_point) AS n FROM tariff_assignment "
            f"WHERE cancelled_at IS NULL AND tariff IN ({', '.join('{}' for _ in rows)}) GROUP BY tariff",
            *[r["id"] for r in rows],
        )
        by_tariff = {int(c["tariff"]): int(c["n"]) for c in counts}
        for row in rows:
            row["charge_point_count"] = by_tariff.get(row["id"], 0)
    return rows


async def get_tariff(actor: Actor, tariff_id: int) -> dict[str, Any]:
    actor.require(Permission.TARIFFS_VIEW)
    row = await Tariff.select().where((Tariff.id == tariff_id) & Tariff.tenant.is_in(actor.scope)).first()
    if row is None:
        raise NotFound("tariff")
    row = _normalised(row)
    row["assigned"] = await _is_assigned(row["id"])
    return row


async def _is_assigned(tariff_id: int) -> bool:
    """Assigned to charge points, or used by a driver group or a session that charged under one: a CDR built
    later must find the prices of the session's start."""
    if await TariffAssignment.exists().where(
        (TariffAssignment.tariff == tariff_id) & TariffAssignment.cancelled_at.is_null()
    ):
        return True
    # Anything else that points at the tariff (a driver group, a session that charged under a group's tariff).
    return await referenced(Tariff, tariff_id, besides=(TariffAssignment,))


async def _free_code(tenant_id: int, at: datetime) -> str:
    for offset in range(120):
        code = new_code(at + timedelta(seconds=offset))
        if not await Tariff.exists().where((Tariff.tenant == tenant_id) & (Tariff.code == code)):
            return code
    raise Conflict(Message("Too many tariffs created at once; try again in a minute."))


def _currency_error(fixed: str) -> ValidationError:
    return ValidationError(
        {"currency": Message("The currency is fixed to %(currency)s by the first tariff.", {"currency": fixed})}
    )


async def create_tariff(actor: Actor, raw: dict[str, Any]) -> dict[str, Any]:
    actor.require(Permission.TARIFFS_MANAGE)
    data = _normalised(parse_tariff(raw))
    tenant_id = actor.tenant_id
    async with transaction():
        fixed, _, default_currency = await tenant_pricing(tenant_id)
        currency = data.get("currency") or fixed or default_currency
        if fixed and currency != fixed:
            raise _currency_error(fixed)
        data["currency"] = currency
        now = _now()
        tariff = Tariff(tenant=tenant_id, code=await _free_code(tenant_id, now), created_at=now, updated_at=now,
                        **data)
        await tariff.save()
        if not fixed:
            # The first tariff's currency becomes the tenant's currency for everything priced later.
            await Tenant.update({Tenant.currency: currency}).where(Tenant.id == tenant_id)
        await audit.record(actor, tenant_id, "tariff", tariff.id, "create", audit.diff({}, data))
    return await get_tariff(actor, tariff.id)


def parse_tariff(raw: dict[str, Any]) -> dict[str, Any]:
    """The whole tariff: the spec's field rules and ``missing_prices``, every error at once."""
    errors = missing_prices(raw)
    try:
        data = TARIFF_SPEC.parse(raw)
    except ValidationError as exc:
        raise ValidationError({**errors, **exc.errors}) from exc
    if errors:
        raise ValidationError(errors)
    return data


def _normalised(data: dict[str, Any]) -> dict[str, Any]:
    """Prices at the stored precision (4 places) on both databases, so that 0.4 and 0.4000 are one price."""
    return {key: Decimal(str(value)).quantize(Decimal("0.0001")) if key in PRICE_NAMES and
            not key.endswith("_from_minute") else value for key, value in data.items()}


async def update_tariff(actor: Actor, tariff_id: int, raw: dict[str, Any], *, partial: bool = False) -> dict[str, Any]:
    actor.require(Permission.TARIFFS_MANAGE)
    old = await get_tariff(actor, tariff_id)
    # A partial update (PATCH) keeps the stored prices of the fields it leaves out.
    data = TARIFF_SPEC.parse(raw, partial=True) if partial else parse_tariff(raw)
    if not data.get("currency"):
        data.pop("currency", None)
    if "currency" in data and data["currency"] != old["currency"]:
        raise _currency_error(old["currency"])
    data = _normalised(data)
    changes = audit.diff(old, data)
    price_changes = [name for name in changes if name in PRICE_NAMES]
    if price_changes and old["assigned"]:
        raise ValidationError(
            {
                name: Message(
                    "This tariff is assigned to charge points, so its prices cannot change. "
                    "Copy it as a new tariff with the new prices and assign that one."
                )
                for name in price_changes
            }
        )
    if changes:
        async with transaction():
            values = {getattr(Tariff, key): data[key] for key in changes}
            values[Tariff.updated_at] = _now()
            await Tariff.update(values).where(Tariff.id == tariff_id)
            await audit.record(actor, old["tenant"], "tariff", tariff_id, "update", changes)
    return await get_tariff(actor, tariff_id)
