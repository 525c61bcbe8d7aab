"""A station's marketing switches (vaylens "Zugang" tab, seed 003) and the readiness checklist that gates them.

Decisions:

* Access (free public, paid public, private ...) and "show as POI" stay on the station (infrastructure); the
  switches Vermarktung, Roaming, Roaming+ and the name on the roaming platform live in ``StationRoaming``. Auth
  types live on the charge points; the tab sets them for all active charge points. Direct Payment is one of them:
  ``ChargePoint.auth_direct_payment`` is the one switch drivers see (QR code, ``/pay`` page, payment idTags
  accepted); the tab's switch is on when every active charge point has it and sets it on all of them. (A second
  flag on the station, which nothing read, was merged into it.)
* Switching Roaming or Roaming+ on needs every item of the readiness checklist, EVSE-IDs that carry the tenant's
  own operator id (``DE*ISE*...`` for party DE/ISE), remote authorisation (seed 003: "Remote Authentication -
  Notwendig fuer Roaming(+) und Direct Payment"), marketing on and an access other than private. Roaming+ also
  needs the name on the roaming platform. Direct Payment needs remote authorisation and marketing.
* Switching off is always possible. Turning marketing off, or the access to private, turns the three switches
  off too: nothing stays published that the CPO took off the market.
* Every save raises ``StationRoaming.last_updated`` (what OCPI partners see changed).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from core.db import transaction
from core.errors import Message, ValidationError
from core.infrastructure import station_sheet
from core.infrastructure.changes import stations_changed
from core.infrastructure.charge_points import list_charge_points
from core.infrastructure.evse_id import evse_id_is_own
from core.infrastructure.specs import AccessType
from core.infrastructure.stations import get_station
from core.infrastructure.tables import ChargePoint, ChargingStation
from core.products import assignments as product_assignments
from core.products.catalogue import Feature
from core.roaming.tables import StationRoaming
from core.tenancy import audit
from core.tenancy.actor import Actor
from core.tenancy.permissions import Permission
from core.tenancy.tables import Tenant
from core.validation import Field, FormSpec

PLATFORM_NAME_MAX = 100  # OCPI allows 255 for Location.name; roaming platforms show far less
SWITCH_FIELDS = ("show_as_poi", "marketing", "roaming", "roaming_plus", "direct_payment", "auth_local_rfid",
                 "auth_remote")  # fmt: skip
MARKETING_SPEC = FormSpec(
    "station_marketing",
    (
        Field("access_type", kind="choice", required=True, choices=tuple(AccessType), label="Access"),
        *(Field(name, kind="bool", default=False) for name in SWITCH_FIELDS),
        Field("platform_name", max_length=PLATFORM_NAME_MAX, label="Name on the roaming platform"),
    ),
)
# Readiness items beyond the infrastructure checklist (core.infrastructure.station_sheet.MARKETING_CHECKS).
OWN_OPERATOR_CHECK = ("evse_own_operator", Message("EVSE-IDs carry your operator id").msgid)
REMOTE_AUTH_CHECK = ("remote_auth", Message("Remote authorisation").msgid)


@dataclass(frozen=True)
class Marketing:
    access_type: str
    show_as_poi: bool
    marketing: bool
    roaming: bool
    roaming_plus: bool
    direct_payment: bool
    platform_name: str
    auth_local_rfid: bool
    auth_remote: bool


def clean_platform_name(raw: str) -> str:
    """The name shown on roaming platforms: single spaces between words (the spec bounds and checks the rest)."""
    return re.sub(r"\s+", " ", raw).strip()


def gate(new: Marketing, old: Marketing, missing: list[str]) -> Marketing:
    """The switches as they may be saved, or a ValidationError naming each switch that may not go on.

    ``missing`` are the keys of unfulfilled readiness items. A switch that was already on stays allowed (the
    checklist gates switching on, not keeping on), except for the rules that switch off (marketing, private).
    """
    if not new.marketing or new.access_type == AccessType.PRIVATE:
        new = replace(new, roaming=False, roaming_plus=False, direct_payment=False)
    errors: dict[str, Message] = {}
    needs_checklist = Message("Cannot be switched on while items of the readiness checklist are missing.")
    if new.roaming and not old.roaming and missing:
        errors["roaming"] = needs_checklist
    if new.roaming_plus and not old.roaming_plus:
        if missing:
            errors["roaming_plus"] = needs_checklist
        elif not new.platform_name:
            errors["platform_name"] = Message("Roaming+ needs the name on the roaming platform.")
    if new.direct_payment and not old.direct_payment and not new.auth_remote:
        errors["direct_payment"] = Message("Direct Payment needs remote authorisation.")
    if errors:
        raise ValidationError(errors)
    return new


async def require_product(station_id: int, new: Marketing, old: Marketing) -> None:
    """Switching marketing or a roaming publication on needs a product that unlocks marketing (eOperate
    professional, core.products); as with the checklist, a switch already on may stay on."""
    switched_on = [name for name in ("marketing", "roaming", "roaming_plus")
                   if getattr(new, name) and not getattr(old, name)]  # fmt: skip
    if not switched_on:
        return
    missing = await product_assignments.missing_feature(station_id, Feature.MARKETING)
    if missing is not None:
        raise ValidationError({name: missing for name in switched_on})


def readiness(
    base: list[tuple[str, str, bool]], charge_points: list[dict[str, Any]], country_code: str, party_id: str
) -> list[tuple[str, str, bool]]:
    """The infrastructure checklist plus the roaming items: own operator id, remote authorisation."""
    active = [cp for cp in charge_points if cp.get("decommissioned_at") is None]
    operator = {"country_code": country_code, "party_id": party_id}
    own = bool(active) and all(evse_id_is_own(cp.get("evse_id"), operator) for cp in active)
    remote = bool(active) and all(cp.get("auth_remote") for cp in active)
    return [*base, (*OWN_OPERATOR_CHECK, own), (*REMOTE_AUTH_CHECK, remote)]


def _now() -> datetime:
    return datetime.now(UTC)


async def station_roaming_row(station_id: int) -> dict[str, Any]:
    """The station's roaming settings; everything off (and never changed) while the station has no row yet."""
    row = await StationRoaming.select().where(StationRoaming.station == station_id).first()
    if row is None:
        return {"marketing": False, "roaming": False, "roaming_plus": False,
                "platform_name": "", "hub_authorised": False, "last_updated": None}  # fmt: skip
    return dict(row)


async def ensure_station_roaming_row(station_id: int, tenant_id: int) -> None:
    """Create the row before the first save (a concurrent first save finds it there)."""
    await StationRoaming.insert(StationRoaming(station=station_id, tenant=tenant_id, last_updated=_now())).on_conflict(
        target=StationRoaming.station, action="DO NOTHING"
    )


async def station_marketing(actor: Actor, station_id: int) -> dict[str, Any]:
    """What the "Zugang" tab shows: the switches, the readiness checklist (with the charge points to fix)."""
    station = await get_station(actor, station_id)
    tenant = await Tenant.select(Tenant.country_code, Tenant.party_id).where(Tenant.id == station["tenant"]).first()
    assert tenant is not None
    charge_points = await list_charge_points(actor, station_id=station_id)
    active = [cp for cp in charge_points if cp.get("decommissioned_at") is None]
    row = await station_roaming_row(station_id)
    checklist = readiness(
        await station_sheet.station_marketing(actor, station_id), charge_points, tenant["country_code"],
        tenant["party_id"],
    )  # fmt: skip
    current = Marketing(
        access_type=station["access_type"],
        show_as_poi=bool(station["show_as_poi"]),
        marketing=bool(row["marketing"]),
        roaming=bool(row["roaming"]),
        roaming_plus=bool(row["roaming_plus"]),
        direct_payment=bool(active) and all(cp["auth_direct_payment"] for cp in active),
        platform_name=row["platform_name"],
        auth_local_rfid=bool(active) and all(cp["auth_local_rfid"] for cp in active),
        auth_remote=bool(active) and all(cp["auth_remote"] for cp in active),
    )
    return {
        "station": station,
        "marketing": current,
        "checklist": checklist,
        "missing": [key for key, _, ok in checklist if not ok],
        "charge_points": active,
        "operator": f"{tenant['country_code']}*{tenant['party_id']}",
        "last_updated": row["last_updated"],
    }


def parse_marketing(raw: dict[str, Any]) -> Marketing:
    """The tab's form (or JSON) as a Marketing value, or a ValidationError per field."""
    data = MARKETING_SPEC.parse(raw)
    data["platform_name"] = clean_platform_name(data.get("platform_name") or "")
    return Marketing(**{name: data.get(name) or False for name in SWITCH_FIELDS}, access_type=data["access_type"],
                     platform_name=data["platform_name"])  # fmt: skip


async def save_marketing(actor: Actor, station_id: int, raw: dict[str, Any]) -> dict[str, Any]:
    """Save the "Zugang" tab: gated switches, audited on the station, ``last_updated`` raised."""
    actor.require(Permission.ROAMING_MANAGE)
    state = await station_marketing(actor, station_id)
    old: Marketing = state["marketing"]
    new = parse_marketing(raw)
    # Auth types are saved with the switches: the checklist is judged on what the form says.
    missing = [key for key in state["missing"] if key not in ("auth_type", "remote_auth")]
    if not (new.auth_local_rfid or new.auth_remote) and state["charge_points"]:
        missing.append("auth_type")
    if not new.auth_remote:
        missing.append("remote_auth")
    new = gate(new, old, missing)
    await require_product(station_id, new, old)
    changes = audit.diff(old.__dict__, new.__dict__)
    if not changes:
        return await station_marketing(actor, station_id)
    now = _now()
    station = state["station"]
    async with transaction():
        await ensure_station_roaming_row(station_id, station["tenant"])
        await ChargingStation.update(
            {ChargingStation.access_type: new.access_type, ChargingStation.show_as_poi: new.show_as_poi,
             ChargingStation.updated_at: now}
        ).where(ChargingStation.id == station_id)  # fmt: skip
        # only the switches the form changed: a charge point's own Direct Payment stays when the tab's is untouched
        columns = {"auth_local_rfid": ChargePoint.auth_local_rfid, "auth_remote": ChargePoint.auth_remote,
                   "direct_payment": ChargePoint.auth_direct_payment}  # fmt: skip
        changed: dict[Any, Any] = {column: getattr(new, name) for name, column in columns.items() if name in changes}
        if state["charge_points"] and changed:
            await ChargePoint.update(
                {**changed, ChargePoint.updated_at: now}
            ).where(ChargePoint.id.is_in([cp["id"] for cp in state["charge_points"]]))  # fmt: skip
        await StationRoaming.update(
            {StationRoaming.marketing: new.marketing, StationRoaming.roaming: new.roaming,
             StationRoaming.roaming_plus: new.roaming_plus, StationRoaming.platform_name: new.platform_name,
             StationRoaming.last_updated: now}
        ).where(StationRoaming.station == station_id)  # fmt: skip
        await stations_changed([station_id], now)
        await audit.record(actor, station["tenant"], "station", station_id, "update", changes)
    return await station_marketing(actor, station_id)
