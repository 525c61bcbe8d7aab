"""Driver groups (Nutzergruppen, reev): on what terms a set of charging cards charges, and where.

Decisions (see docs/driver-groups.md):

* Four kinds as in reev: drivers and vehicles, cards only (guests: free, a tariff only documents), ad hoc and
  eRoaming. At most one eRoaming group per tenant that is not archived. The kind is fixed once created.
* A tariff is optional; its mode says whether sessions are only documented (priced for the record, the CDR is
  not billable) or billed with it. A cards-only group can only document. A group without a tariff charges
  free: its sessions get a CDR without a price that is not billable.
* Scope: the whole infrastructure or chosen targets (locations today; charge groups join as another target
  column of ``DriverGroupScope``). A card of a group may only start where the scope covers the charge point.
* Cards are members of at most one group (``ChargingCard.driver_group``); only drivers-and-vehicles and
  cards-only groups hold cards (ad hoc users pay without a card, eRoaming tokens come from partners).
* A session remembers group, tariff and mode at its start (``session_terms``): later edits never reprice it.
* Delete only while no session used the group; afterwards archive (a card of an archived group is refused).
  Every change is in the audit history (entity ``driver_group``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from core.access.tables import ChargingCard, DriverGroup, DriverGroupScope
from core.db import referenced, transaction
from core.errors import Conflict, Message, NotFound, ValidationError
from core.infrastructure.tables import ChargePoint, Location
from core.tariffs.tables import Tariff
from core.tenancy import audit
from core.tenancy.actor import Actor
from core.tenancy.permissions import Permission
from core.validation import INT32_MAX, Field, FormSpec


class GroupKind(StrEnum):
    DRIVERS_VEHICLES = "DRIVERS_VEHICLES"
    CARDS_ONLY = "CARDS_ONLY"
    AD_HOC = "AD_HOC"
    EROAMING = "EROAMING"


class TariffMode(StrEnum):
    DOCUMENT = "DOCUMENT"  # priced for the record only; the CDR is not billable
    BILLED = "BILLED"


class Scope(StrEnum):
    ALL = "ALL"  # the whole infrastructure of the tenant
    CHOSEN = "CHOSEN"  # only the chosen targets (DriverGroupScope rows)


# Labels are msgids; the portal shows them translated.
KIND_LABELS = {
    GroupKind.DRIVERS_VEHICLES: "Drivers and vehicles",
    GroupKind.CARDS_ONLY: "Cards only",
    GroupKind.AD_HOC: "Ad hoc",
    GroupKind.EROAMING: "eRoaming",
}
KIND_HELP = {
    GroupKind.DRIVERS_VEHICLES: "Recurring users such as employees or tenants: sessions are documented or billed.",
    GroupKind.CARDS_ONLY: "Short-term users such as guests charge free; a tariff only documents their sessions.",
    GroupKind.AD_HOC: "Spontaneous charging without a card, paid on the spot.",
    GroupKind.EROAMING: "Tokens of roaming partners; a tenant has at most one such group.",
}
MODE_LABELS = {TariffMode.DOCUMENT: "Documentation only", TariffMode.BILLED: "Billed"}
KINDS_WITH_CARDS = (GroupKind.DRIVERS_VEHICLES, GroupKind.CARDS_ONLY)
MAX_SCOPE_TARGETS = 1000

GROUP_SPEC = FormSpec(
    "driver_group",
    (
        Field("name", required=True, max_length=120, label="Name"),
        Field("kind", kind="choice", required=True, choices=tuple(GroupKind), label="Kind"),
        Field("tariff_id", kind="int", min_value=1, label="Tariff"),
        Field("tariff_mode", kind="choice", choices=("", *TariffMode), label="Tariff use"),
        Field("scope", kind="choice", choices=tuple(Scope), default=Scope.ALL.value, label="Scope"),
        Field("location_ids", kind="list", label="Locations"),
    ),
)


# --- pure rules -------------------------------------------------------------------------------------------------


def check_terms(
    kind: str, tariff_id: int | None, tariff_mode: str, scope: str, location_ids: list[int]
) -> tuple[str, list[int]]:
    """The tariff mode and scope targets a group keeps, or a ValidationError naming every wrong field.

    Without a tariff the mode is empty; a cards-only group's tariff documents (its drivers charge free), other
    kinds must say how the tariff is used. The whole infrastructure needs no targets; chosen scope needs one.
    """
    errors: dict[str, Message] = {}
    mode = tariff_mode
    if tariff_id is None:
        mode = ""
    elif kind == GroupKind.CARDS_ONLY:
        if mode == TariffMode.BILLED:
            errors["tariff_mode"] = Message(
                "A cards-only group charges free: its tariff can only document the sessions."
            )
        mode = TariffMode.DOCUMENT.value
    elif not mode:
        errors["tariff_mode"] = Message("Choose whether the tariff only documents or bills the sessions.")
    targets = sorted(set(location_ids)) if scope == Scope.CHOSEN else []
    if scope == Scope.CHOSEN and not targets:
        errors["location_ids"] = Message("Choose at least one location, or the whole infrastructure.")
    if len(targets) > MAX_SCOPE_TARGETS:
        errors["location_ids"] = Message("At most %(max)s locations.", {"max": MAX_SCOPE_TARGETS})
    if errors:
        raise ValidationError(errors)
    return mode, targets


@dataclass(frozen=True)
class SessionPricing:
    """How a finished session is priced: with the charge point's tariff, a driver group's tariff, or not at all."""

    tariff_id: int | None  # the group's tariff; None with use_charge_point_tariff or free
    use_charge_point_tariff: bool
    billable: bool
    remark: str = ""


FREE_REMARK = "free: driver group without tariff"


def session_pricing(session: dict[str, Any]) -> SessionPricing:
    """From the terms a session recorded at its start (pure; ``session_terms`` wrote them)."""
    if session.get("driver_group") is None:
        return SessionPricing(None, True, True)
    tariff_id = session.get("driver_group_tariff")
    if tariff_id is None:
        return SessionPricing(None, False, False, FREE_REMARK)
    return SessionPricing(int(tariff_id), False, session.get("driver_group_tariff_mode") == TariffMode.BILLED)


def session_terms(group: dict[str, Any] | None) -> dict[str, Any]:
    """The session columns that freeze a group's terms at the start (all empty for a card without group)."""
    if group is None:
        return {"driver_group": None, "driver_group_tariff": None, "driver_group_tariff_mode": ""}
    return {
        "driver_group": group["id"],
        "driver_group_tariff": group["tariff"],
        "driver_group_tariff_mode": group["tariff_mode"] if group["tariff"] is not None else "",
    }


# --- authorization ----------------------------------------------------------------------------------------------


async def group_of_card(group_id: int) -> dict[str, Any] | None:
    return (
        await DriverGroup.select(
            DriverGroup.id, DriverGroup.tariff, DriverGroup.tariff_mode, DriverGroup.scope, DriverGroup.archived_at
        )
        .where(DriverGroup.id == group_id)
        .first()
    )


async def covers(group: dict[str, Any], charge_point: dict[str, Any]) -> bool:
    """Whether the group's scope includes the charge point (through its station's location)."""
    if group["scope"] == Scope.ALL:
        return True
    place = (
        await ChargePoint.select(ChargePoint.station.location.as_alias("location"))
        .where(ChargePoint.id == charge_point["id"])
        .first()
    )
    if place is None:
        return False
    return bool(
        await DriverGroupScope.exists().where(
            (DriverGroupScope.driver_group == group["id"]) & (DriverGroupScope.location == place["location"])
        )
    )


# --- reading ----------------------------------------------------------------------------------------------------


def _now() -> datetime:
    return datetime.now(UTC)


ARCHIVED_FILTERS = ("active", "archived", "all")


def archived_filter(value: str) -> str:
    """The list filter as asked, or "active" for anything unknown."""
    return value if value in ARCHIVED_FILTERS else "active"


async def list_groups(actor: Actor, *, archived: str = "active") -> list[dict[str, Any]]:
    """``archived``: "active" (default), "archived" or "all"; each row with card count, tariff and scope size."""
    actor.require(Permission.DRIVER_GROUPS_VIEW)
    query = DriverGroup.select(
        *DriverGroup.all_columns(),
        DriverGroup.tariff.name.as_alias("tariff_name"),
        DriverGroup.tariff.code.as_alias("tariff_code"),
    ).where(DriverGroup.tenant.is_in(actor.scope))
    if archived == "active":
        query = query.where(DriverGroup.archived_at.is_null())
    elif archived == "archived":
        query = query.where(DriverGroup.archived_at.is_not_null())
    rows: list[dict[str, Any]] = await query.order_by(DriverGroup.name)
    if rows:
        ids = [row["id"] for row in rows]
        marks = ", ".join("{}" for _ in ids)
        cards = await ChargingCard.raw(
            f"SELECT driver_group AS g, COUNT(*) AS n FROM charging_card WHERE driver_group IN ({marks}) "
            "GROUP BY driver_group",
            *ids,
        )
        targets = await DriverGroupScope.raw(
            f"SELECT driver_group AS g, COUNT(*) AS n FROM driver_group_scope WHERE driver_group IN ({marks}) "
            "GROUP BY driver_group",
            *ids,
        )
        card_counts = {int(r["g"]): int(r["n"]) for r in cards}
        target_counts = {int(r["g"]): int(r["n"]) for r in targets}
        for row in rows:
            row["card_count"] = card_counts.get(row["id"], 0)
            row["location_count"] = target_counts.get(row["id"], 0)
    return rows


async def _own(actor: Actor, group_id: int) -> dict[str, Any]:
    row = await DriverGroup.select().where((DriverGroup.id == group_id) & DriverGroup.tenant.is_in(actor.scope)).first()
    if row is None:
        raise NotFound("driver_group")
    return row


async def get_group(actor: Actor, group_id: int) -> dict[str, Any]:
    """The group with its tariff row, chosen locations, card count and whether a session used it."""
    actor.require(Permission.DRIVER_GROUPS_VIEW)
    row = await _own(actor, group_id)
    row["tariff_row"] = None
    if row["tariff"] is not None:
        row["tariff_row"] = await Tariff.select().where(Tariff.id == row["tariff"]).first()
    place = DriverGroupScope.location
    row["locations"] = (
        await DriverGroupScope.select(place.id.as_alias("id"), place.name.as_alias("name"), place.city.as_alias("city"))
        .where((DriverGroupScope.driver_group == group_id) & place.is_not_null())
        .order_by(place.name)
    )
    row["location_ids"] = [loc["id"] for loc in row["locations"]]
    row["card_count"] = await ChargingCard.count().where(ChargingCard.driver_group == group_id)
    row["used"] = await _used(group_id)
    return row


async def _used(group_id: int) -> bool:
    """A session charged under the group (its cards and scope rows belong to the group itself)."""
    return await referenced(DriverGroup, group_id, besides=(ChargingCard, DriverGroupScope))


async def group_cards(actor: Actor, group_id: int) -> list[dict[str, Any]]:
    actor.require(Permission.DRIVER_GROUPS_VIEW)
    await _own(actor, group_id)
    return await ChargingCard.select().where(ChargingCard.driver_group == group_id).order_by(ChargingCard.uid)


async def addable_cards(actor: Actor, group_id: int, limit: int = 500) -> list[dict[str, Any]]:
    """Cards of the group's tenant that are in no group yet (for the "add card" choice)."""
    actor.require(Permission.DRIVER_GROUPS_VIEW)
    group = await _own(actor, group_id)
    return (
        await ChargingCard.select(ChargingCard.id, ChargingCard.uid, ChargingCard.label)
        .where((ChargingCard.tenant == group["tenant"]) & ChargingCard.driver_group.is_null())
        .order_by(ChargingCard.uid)
        .limit(limit)
    )


# --- changing ---------------------------------------------------------------------------------------------------


async def _check_tariff(tenant_id: int, tariff_id: int | None) -> None:
    if tariff_id is None:
        return
    found = await Tariff.exists().where(
        (Tariff.id == tariff_id) & (Tariff.tenant == tenant_id) & Tariff.archived_at.is_null()
    )
    if not found:
        raise ValidationError({"tariff_id": Message("Choose one of your tariffs.")})


def _location_ids(values: list[str]) -> list[int]:
    ids = []
    for value in values:
        text = str(value).strip()
        if not text.isdigit() or int(text) > INT32_MAX:  # larger ids name no row and no database takes them
            raise ValidationError({"location_ids": Message("Choose locations from the list.")})
        ids.append(int(text))
    return ids


async def _check_locations(tenant_id: int, ids: list[int]) -> None:
    if not ids:
        return
    found = await Location.count().where(Location.id.is_in(ids) & (Location.tenant == tenant_id))
    if found != len(ids):
        raise ValidationError({"location_ids": Message("Choose locations from the list.")})


async def _check_single_eroaming(tenant_id: int, kind: str, except_id: int | None = None) -> None:
    if kind != GroupKind.EROAMING:
        return
    query = DriverGroup.exists().where(
        (DriverGroup.tenant == tenant_id) & (DriverGroup.kind == kind) & DriverGroup.archived_at.is_null()
    )
    if except_id is not None:
        query = query.where(DriverGroup.id != except_id)
    if await query:
        raise ValidationError({"kind": Message("There is already an eRoaming group; a tenant has at most one.")})


async def _set_targets(group_id: int, location_ids: list[int]) -> None:
    await DriverGroupScope.delete().where(DriverGroupScope.driver_group == group_id)
    if location_ids:
        await DriverGroupScope.insert(*[DriverGroupScope(driver_group=group_id, location=loc) for loc in location_ids])


async def validate_group(actor: Actor, raw: dict[str, Any]) -> tuple[dict[str, Any], str, list[int]]:
    """A new group of the actor's tenant as ``raw`` describes it: the clean fields, the tariff mode and the scope
    targets, or a ValidationError naming every wrong field (the tariff and locations must be the tenant's own)."""
    actor.require(Permission.DRIVER_GROUPS_MANAGE)
    data = GROUP_SPEC.parse(raw)
    data["location_ids"] = _location_ids(data.get("location_ids") or [])
    tenant_id = actor.tenant_id
    mode, targets = check_terms(
        data["kind"], data.get("tariff_id"), data.get("tariff_mode") or "", data["scope"], data["location_ids"]
    )
    await _check_tariff(tenant_id, data.get("tariff_id"))
    await _check_locations(tenant_id, targets)
    await _check_single_eroaming(tenant_id, data["kind"])
    return data, mode, targets


async def create_group(actor: Actor, raw: dict[str, Any]) -> dict[str, Any]:
    tenant_id = actor.tenant_id
    async with transaction():
        data, mode, targets = await validate_group(actor, raw)
        now = _now()
        group = DriverGroup(
            tenant=tenant_id,
            name=data["name"],
            kind=data["kind"],
            tariff=data.get("tariff_id"),
            tariff_mode=mode,
            scope=data["scope"],
            created_at=now,
            updated_at=now,
        )
        await group.save()
        await _set_targets(group.id, targets)
        state = {
            "name": data["name"],
            "kind": data["kind"],
            "tariff_id": data.get("tariff_id"),
            "tariff_mode": mode,
            "scope": data["scope"],
            "location_ids": targets,
        }
        await audit.record(actor, tenant_id, "driver_group", group.id, "create", audit.diff({}, state))
    return await get_group(actor, group.id)


def _state(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": row["name"],
        "kind": row["kind"],
        "tariff_id": row["tariff"],
        "tariff_mode": row["tariff_mode"],
        "scope": row["scope"],
        "location_ids": row["location_ids"],
    }


async def update_group(actor: Actor, group_id: int, raw: dict[str, Any]) -> dict[str, Any]:
    """Rename, change tariff and mode, change scope (only the fields present in ``raw``)."""
    actor.require(Permission.DRIVER_GROUPS_MANAGE)
    old = await get_group(actor, group_id)
    data = GROUP_SPEC.parse(raw, partial=True)
    if "location_ids" in data:
        data["location_ids"] = _location_ids(data["location_ids"])
    if "kind" in data and data["kind"] != old["kind"]:
        raise ValidationError({"kind": Message("The kind of a driver group cannot change.")})
    new = {**_state(old), **data}
    if "tariff_id" in data and data["tariff_id"] is None and "tariff_mode" not in data:
        new["tariff_mode"] = ""
    mode, targets = check_terms(
        new["kind"], new["tariff_id"], new["tariff_mode"] or "", new["scope"], new["location_ids"]
    )
    new.update(tariff_mode=mode, location_ids=targets)
    changes = audit.diff(_state(old), new)
    if not changes:
        return old
    async with transaction():
        if new["tariff_id"] != old["tariff"]:
            await _check_tariff(old["tenant"], new["tariff_id"])
        await _check_locations(old["tenant"], targets)
        await DriverGroup.update(
            {
                DriverGroup.name: new["name"],
                DriverGroup.tariff: new["tariff_id"],
                DriverGroup.tariff_mode: mode,
                DriverGroup.scope: new["scope"],
                DriverGroup.updated_at: _now(),
            }
        ).where(DriverGroup.id == group_id)
        if targets != old["location_ids"]:
            await _set_targets(group_id, targets)
        await audit.record(actor, old["tenant"], "driver_group", group_id, "update", changes)
    return await get_group(actor, group_id)


async def archive_group(actor: Actor, group_id: int) -> dict[str, Any]:
    """Archived: its cards are refused at every charge point; it stays for the history of past sessions."""
    actor.require(Permission.DRIVER_GROUPS_MANAGE)
    group = await _own(actor, group_id)
    if group["archived_at"] is None:
        async with transaction():
            await DriverGroup.update({DriverGroup.archived_at: _now(), DriverGroup.updated_at: _now()}).where(
                DriverGroup.id == group_id
            )
            await audit.record(actor, group["tenant"], "driver_group", group_id, "archive")
    return await get_group(actor, group_id)


async def restore_group(actor: Actor, group_id: int) -> dict[str, Any]:
    actor.require(Permission.DRIVER_GROUPS_MANAGE)
    group = await _own(actor, group_id)
    if group["archived_at"] is not None:
        async with transaction():
            await _check_single_eroaming(group["tenant"], group["kind"], except_id=group_id)
            await DriverGroup.update({DriverGroup.archived_at: None, DriverGroup.updated_at: _now()}).where(
                DriverGroup.id == group_id
            )
            await audit.record(actor, group["tenant"], "driver_group", group_id, "restore")
    return await get_group(actor, group_id)


async def delete_group(actor: Actor, group_id: int) -> None:
    """Only while no session used the group (reev: "nur möglich, wenn noch kein Ladevorgang stattgefunden hat")."""
    actor.require(Permission.DRIVER_GROUPS_MANAGE)
    group = await _own(actor, group_id)
    async with transaction():
        if await _used(group_id):
            raise Conflict(
                Message(
                    "This driver group was used for charging sessions, so it cannot be deleted. Archive it instead."
                )
            )
        await ChargingCard.update({ChargingCard.driver_group: None}).where(ChargingCard.driver_group == group_id)
        await DriverGroup.delete().where(DriverGroup.id == group_id)
        await audit.record(actor, group["tenant"], "driver_group", group_id, "delete", {"name": [group["name"], None]})


async def set_card_group(actor: Actor, card_id: int, group_id: int | None) -> None:
    """Put a card into a group (it leaves its previous one), or take it out with ``group_id=None``."""
    actor.require(Permission.DRIVER_GROUPS_MANAGE)
    card = (
        await ChargingCard.select(ChargingCard.id, ChargingCard.tenant, ChargingCard.uid, ChargingCard.driver_group)
        .where((ChargingCard.id == card_id) & ChargingCard.tenant.is_in(actor.scope))
        .first()
    )
    if card is None:
        raise NotFound("card")
    if card["driver_group"] == group_id:
        return
    if group_id is not None:
        group = await _own(actor, group_id)
        if group["tenant"] != card["tenant"]:
            raise NotFound("driver_group")
        if group["archived_at"] is not None:
            raise Conflict(Message("The driver group is archived; cards cannot be added."))
        if group["kind"] not in KINDS_WITH_CARDS:
            raise Conflict(Message("Only groups of drivers and vehicles or of cards only hold charging cards."))
    async with transaction():
        await ChargingCard.update({ChargingCard.driver_group: group_id, ChargingCard.updated_at: _now()}).where(
            ChargingCard.id == card_id
        )
        await audit.record(
            actor, card["tenant"], "card", card_id, "update", {"driver_group": [card["driver_group"], group_id]}
        )
        if card["driver_group"] is not None:
            change = {"card": [card["uid"], None]}
            await audit.record(actor, card["tenant"], "driver_group", card["driver_group"], "remove_card", change)
        if group_id is not None:
            change = {"card": [None, card["uid"]]}
            await audit.record(actor, card["tenant"], "driver_group", group_id, "add_card", change)


def _group_choice_error() -> ValidationError:
    return ValidationError({"driver_group_id": Message("Choose one of your active driver groups that hold cards.")})


async def group_for_new_cards(actor: Actor, value: Any) -> dict[str, Any] | None:
    """The group that new cards of the actor's tenant join, from a form or import value ("" or None: none).

    Another tenant's group, an archived one or one that holds no cards is refused with a field error, never
    found: a changed form cannot put cards into a group the user may not choose.
    """
    text = str(value if value is not None else "").strip()
    if not text:
        return None
    actor.require(Permission.DRIVER_GROUPS_MANAGE)
    if not text.isdigit() or int(text) > INT32_MAX:
        raise _group_choice_error()
    group = (
        await DriverGroup.select(DriverGroup.id, DriverGroup.name, DriverGroup.tenant)
        .where(
            (DriverGroup.id == int(text))
            & (DriverGroup.tenant == actor.tenant_id)
            & DriverGroup.archived_at.is_null()
            & DriverGroup.kind.is_in(list(KINDS_WITH_CARDS))
        )
        .first()
    )
    if group is None:
        raise _group_choice_error()
    return group


async def groups_for_new_cards(actor: Actor) -> list[dict[str, Any]]:
    """The groups a user may put new cards into (for the choice on the card forms); none without the right."""
    if not actor.can(Permission.DRIVER_GROUPS_MANAGE):
        return []
    return (
        await DriverGroup.select(DriverGroup.id, DriverGroup.name)
        .where(
            (DriverGroup.tenant == actor.tenant_id)
            & DriverGroup.archived_at.is_null()
            & DriverGroup.kind.is_in(list(KINDS_WITH_CARDS))
        )
        .order_by(DriverGroup.name)
    )


async def record_cards_joined(actor: Actor, group: dict[str, Any], card_uids: list[str]) -> None:
    """The group's history: new cards that were created straight into it."""
    entries = [("driver_group", group["id"], "add_card", {"card": [None, uid]}) for uid in card_uids]
    await audit.record_many(actor, group["tenant"], entries)


async def remove_card(actor: Actor, group_id: int, card_id: int) -> None:
    """Take a card out of this group; a card of another group (or none) is not found here."""
    actor.require(Permission.DRIVER_GROUPS_MANAGE)
    await _own(actor, group_id)
    if not await ChargingCard.exists().where((ChargingCard.id == card_id) & (ChargingCard.driver_group == group_id)):
        raise NotFound("card")
    await set_card_group(actor, card_id, None)


async def history(actor: Actor, group_id: int) -> list[dict[str, Any]]:
    actor.require(Permission.DRIVER_GROUPS_VIEW)
    await _own(actor, group_id)
    return await audit.history(actor, "driver_group", group_id)


async def choices(actor: Actor) -> dict[str, list[dict[str, Any]]]:
    """The tariffs and locations a group of the actor's tenant may use (for forms)."""
    actor.require(Permission.DRIVER_GROUPS_VIEW)
    tariffs = (
        await Tariff.select(Tariff.id, Tariff.name, Tariff.code)
        .where((Tariff.tenant == actor.tenant_id) & Tariff.archived_at.is_null())
        .order_by(Tariff.name)
    )
    locations = (
        await Location.select(Location.id, Location.name, Location.city)
        .where((Location.tenant == actor.tenant_id) & Location.decommissioned_at.is_null())
        .order_by(Location.name)
    )
    return {"tariffs": tariffs, "locations": locations}


DEMO_GROUP = {"name": "Gäste", "kind": GroupKind.CARDS_ONLY.value}
DEMO_GUEST_CARD = {"uid": "6A570001", "label": "Gast 1", "visual_number": "GAST-0001"}


async def ensure_demo_group(actor: Actor, tariff_name: str) -> None:
    """The demo's "Gäste" group (cards only; the named tariff documents its sessions) with one guest card;
    idempotent, and added to demo installs older than driver groups."""
    from core.access import cards

    exists = await DriverGroup.exists().where(
        (DriverGroup.tenant == actor.tenant_id) & (DriverGroup.name == DEMO_GROUP["name"])
    )
    if exists:
        return
    tariff = (
        await Tariff.select(Tariff.id).where((Tariff.tenant == actor.tenant_id) & (Tariff.name == tariff_name)).first()
    )
    group = await create_group(actor, {**DEMO_GROUP, "tariff_id": tariff["id"] if tariff else None})
    card = (
        await ChargingCard.select(ChargingCard.id)
        .where((ChargingCard.tenant == actor.tenant_id) & (ChargingCard.uid == DEMO_GUEST_CARD["uid"]))
        .first()
    )
    card_id = card["id"] if card else (await cards.create_card(actor, dict(DEMO_GUEST_CARD)))["id"]
    await set_card_group(actor, card_id, group["id"])
