"""360.SUPPORT on a station (seed 001): what activation needs, activating and ending it, its status, the
confirmation mails and the sticker sheet.

360.SUPPORT is the catalogue's product ``SUPPORT_360`` (billing rule FULL_MONTH, core.products.rules): activating
assigns it to the station, ending it ends that assignment (core.products.assignments). Both need the station data
sheet's tab "Betriebsführung" (``Permission.OPERATIONS_TAB``) and "Kostenfreigabe" (``Permission.COST_APPROVAL``),
not infrastructure management: the seed gives the two switches to whoever runs the service.

Activation needs an EVSE-ID on every charge point of the station (the hotline's staff and the driver name the charge
point by it) and a technician (name, phone, e-mail) for faults that remote access cannot fix. Activating an active
station changes nothing and mails nobody; so does a repeated form post.

The confirmation mails go to the tenant's contacts: its active administrators and the support e-mail of its company
data ("Unternehmensdaten", /settings/company) when set, in the tenant's language, through the mail outbox
(core.mail), queued in the transaction of the change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from core import outbox
from core.db import is_postgres, transaction
from core.errors import Conflict, Message, NotFound, ValidationError
from core.infrastructure.charge_points import list_charge_points
from core.infrastructure.locations import get_location
from core.infrastructure.stations import get_station
from core.infrastructure.tables import ChargingStation
from core.mail import queue_mail
from core.payments.receipts import number_text
from core.products import assignments
from core.products.catalogue import ProductCode, ensure_catalogue, product_by_code
from core.products.tables import ProductAssignment
from core.settings import get_settings
from core.tenancy.actor import Actor
from core.tenancy.permissions import Permission
from core.tenancy.tables import StaffUser, Tenant
from core.tenancy.tenants import get_tenant, tenant_language, tenant_time_zone

ACTIVATED_MAIL = "support360_activated"
DEACTIVATED_MAIL = "support360_deactivated"


@dataclass(frozen=True)
class Missing:
    """Something activation needs that the station lacks, and the page where it is entered."""

    key: str  # "charge_points", "evse_id:<charge point id>", "technician_name", ...
    message: Message
    link: str


@dataclass(frozen=True)
class SupportStatus:
    """360.SUPPORT on one station: active since when, at which monthly price (the approved one while active, the
    catalogue's otherwise), net and with the tenant's VAT."""

    active: bool
    since: datetime | None
    assignment_id: int | None
    monthly_net_cents: int
    monthly_gross_cents: int
    vat_rate: Decimal
    currency: str


class NotReady(Conflict):
    """Activation refused: the station lacks what ``missing`` lists."""

    def __init__(self, missing: list[Missing]) -> None:
        self.missing = missing
        super().__init__(Message("360.SUPPORT cannot be activated until the station has what is listed."))


def _require(actor: Actor) -> None:
    """Activating and ending cost money: the Betriebsführung tab and Kostenfreigabe."""
    actor.require(Permission.OPERATIONS_TAB)
    actor.require(Permission.COST_APPROVAL)


def may_change(actor: Actor) -> bool:
    """Whether the actor may press "Jetzt aktivieren" and "Betriebsführung für Ladestation beenden"."""
    return actor.can(Permission.OPERATIONS_TAB) and actor.can(Permission.COST_APPROVAL)


def gross_cents(net_cents: int, vat_rate: Decimal) -> int:
    """A net amount in cents with VAT on top, rounded half-up to the cent."""
    return int((Decimal(net_cents) * (1 + Decimal(vat_rate) / 100)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


async def _product() -> dict[str, Any]:
    await ensure_catalogue()
    product = await product_by_code(ProductCode.SUPPORT_360)
    if product is None:  # pragma: no cover - ensure_catalogue wrote it
        raise NotFound("product")
    return product


async def requirements(actor: Actor, station_id: int) -> list[Missing]:
    """What the station lacks for 360.SUPPORT, each with a message and the page to fix it; empty: ready."""
    actor.require(Permission.OPERATIONS_TAB)
    station = await get_station(actor, station_id)
    if station.get("decommissioned_at") is not None:
        return [
            Missing(
                "decommissioned", Message("The station is decommissioned."), f"/infrastructure/stations/{station_id}"
            )
        ]
    missing: list[Missing] = []
    points = await list_charge_points(actor, station_id=station_id, include_decommissioned=False)
    if not points:
        missing.append(Missing("charge_points", Message("The station has no charge points."),
                               f"/infrastructure/charge-points/new?station_id={station_id}"))  # fmt: skip
    for point in points:
        if not (point.get("evse_id") or "").strip():
            missing.append(Missing(
                f"evse_id:{point['id']}",
                Message("Charge point %(number)s has no EVSE-ID.", {"number": point["evse_number"]}),
                f"/infrastructure/charge-points/{point['id']}?tab=configuration",
            ))  # fmt: skip
    edit = f"/infrastructure/stations/{station_id}/edit"
    for key, message in (("technician_name", Message("The technician's name is missing.")),
                         ("technician_phone", Message("The technician's phone number is missing.")),
                         ("technician_email", Message("The technician's e-mail address is missing."))):  # fmt: skip
        if not (station.get(key) or "").strip():
            missing.append(Missing(key, message, edit))
    return missing


async def _open_assignment(station_id: int, product_id: int) -> dict[str, Any] | None:
    return (
        await ProductAssignment.select()
        .where(
            (ProductAssignment.station == station_id)
            & (ProductAssignment.product == product_id)
            & ProductAssignment.ends_at.is_null()
        )
        .order_by(ProductAssignment.starts_at, ascending=False)
        .first()
    )


async def status(station: dict[str, Any]) -> SupportStatus:
    """360.SUPPORT on ``station`` (a row the caller has read with the actor's rights)."""
    product = await _product()
    tenant = await get_tenant(station["tenant"])
    vat_rate = Decimal(tenant["vat_rate"])
    row = await _open_assignment(station["id"], product["id"])
    net = int(row["monthly_net_cents"]) if row else int(product["monthly_net_cents"])
    return SupportStatus(
        active=row is not None, since=row["starts_at"] if row else None, assignment_id=row["id"] if row else None,
        monthly_net_cents=net, monthly_gross_cents=gross_cents(net, vat_rate), vat_rate=vat_rate,
        currency=str(product["currency"]),
    )  # fmt: skip


async def _lock_station(station_id: int) -> None:
    """Serialises activations of one station (SQLite: the transaction holds the write lock already)."""
    if is_postgres():
        await ChargingStation.raw("SELECT id FROM charging_station WHERE id = {} FOR UPDATE", station_id)


async def activate(actor: Actor, station_id: int, *, cost_confirmed: bool) -> SupportStatus:
    """Activates 360.SUPPORT on the station after the user confirmed the monthly cost; ValidationError without
    the confirmation, Conflict listing what the station lacks. Activating an active station changes nothing."""
    _require(actor)
    station = await get_station(actor, station_id)
    if not cost_confirmed:
        raise ValidationError({"cost_confirmed": Message("Confirm the monthly cost to activate 360.SUPPORT.")})
    missing = await requirements(actor, station_id)
    if missing:
        raise NotReady(missing)
    product = await _product()
    async with transaction():
        await _lock_station(station_id)
        if await _open_assignment(station_id, product["id"]) is None:
            done = await assignments.assign_approved(actor, product["id"], [station_id])
            if done.created:
                await _mail_contacts(station, ACTIVATED_MAIL, done.created[0])
    outbox.kick()
    return await status(station)


async def deactivate(actor: Actor, station_id: int) -> SupportStatus:
    """Ends 360.SUPPORT on the station now (the month of the end is not billed); Conflict when it is not active."""
    _require(actor)
    station = await get_station(actor, station_id)
    product = await _product()
    async with transaction():
        await _lock_station(station_id)
        row = await _open_assignment(station_id, product["id"])
        if row is None:
            raise Conflict(Message("360.SUPPORT is not active on this station."))
        ended = await assignments.end_approved(actor, row["id"])
        await _mail_contacts(station, DEACTIVATED_MAIL, ended)
    outbox.kick()
    return await status(station)


async def contacts(tenant_id: int) -> list[str]:
    """The tenant's contacts for 360.SUPPORT mails: its active administrators and its company support e-mail."""
    admins = await StaffUser.select(StaffUser.email).where(
        (StaffUser.tenant == tenant_id) & (StaffUser.is_admin == True) & (StaffUser.active == True)  # noqa: E712
    ).order_by(StaffUser.id)  # fmt: skip
    support = await Tenant.select(Tenant.support_email).where(Tenant.id == tenant_id).first()
    found: dict[str, str] = {}
    for address in [row["email"] for row in admins] + [(support or {}).get("support_email") or ""]:
        if address.strip():
            found.setdefault(address.strip().lower(), address.strip())
    return list(found.values())


def _local(at: datetime, zone: ZoneInfo) -> str:
    return at.astimezone(zone).strftime("%d.%m.%Y")


def mail_context(
    station: dict[str, Any], tenant: dict[str, Any], assignment: dict[str, Any], base_url: str
) -> dict[str, Any]:
    """The values of the mails ``support360_activated`` and ``support360_deactivated``, in the tenant's language."""
    language = tenant_language(tenant)
    zone = ZoneInfo(tenant_time_zone(tenant))
    net = int(assignment["monthly_net_cents"])
    vat_rate = Decimal(tenant["vat_rate"])
    ends_at = assignment.get("ends_at")
    technician = (station["technician_name"], station["technician_phone"], station["technician_email"])
    return {
        "tenant_name": tenant["name"],
        "station_name": station["name"] or station["charge_box_id"],
        "charge_box_id": station["charge_box_id"],
        "monthly_net": number_text(Decimal(net) / 100, 2, language),
        "monthly_gross": number_text(Decimal(gross_cents(net, vat_rate)) / 100, 2, language),
        "vat_rate": number_text(vat_rate, 2, language),
        "currency": tenant["currency"],
        "since": _local(assignment["starts_at"], zone),
        "until": _local(ends_at, zone) if isinstance(ends_at, datetime) else "",
        "station_url": f"{base_url}/infrastructure/stations/{station['id']}?tab=operations",
        "stickers_url": f"{base_url}/operations/stations/{station['id']}/support360/stickers",
        "technician": ", ".join(value for value in technician if value),
    }


async def _mail_contacts(station: dict[str, Any], kind: str, assignment: dict[str, Any]) -> None:
    tenant = await get_tenant(station["tenant"])
    context = mail_context(station, tenant, assignment, get_settings().public_url)
    language = tenant_language(tenant)
    for recipient in await contacts(station["tenant"]):
        key = f"{kind}:{assignment['id']}:{recipient.lower()}"
        await queue_mail(tenant_id=station["tenant"], recipient=recipient, language=language, kind=kind,
                         context=context, dedupe_key=key)  # fmt: skip


async def sticker_sheet(actor: Actor, station_id: int) -> dict[str, Any]:
    """The sticker sheet of a station: its EVSE-IDs and the hotline (the location's, else the company data's);
    ``active`` False (and no stickers to print) while 360.SUPPORT is not active on it."""
    actor.require(Permission.OPERATIONS_TAB)
    station = await get_station(actor, station_id)
    location = await get_location(actor, station["location"])
    tenant = await get_tenant(station["tenant"])
    points = await list_charge_points(actor, station_id=station_id, include_decommissioned=False)
    return {
        "active": (await status(station)).active,
        "station": station,
        "location": location,
        "hotline": location.get("hotline") or tenant.get("hotline") or "",
        "evse_ids": [p["evse_id"] for p in points if p.get("evse_id")],
    }
