"""REST API: driver groups (``/api/v1/driver-groups``) and their cards, with the rules of core.access.driver_groups.

``tariff_mode`` is ``DOCUMENT`` (sessions priced for the record only: their CDRs have ``billable: false``) or
``BILLED``; ``scope`` is ``ALL`` or ``CHOSEN`` with ``location_ids``. PATCH changes only the fields it names;
``archived: true|false`` archives or restores the group.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, delete, get, patch, post

from core.access import driver_groups
from core.tenancy.permissions import Permission
from portal.api.common import Id
from portal.auth import actor_of, requires

MANAGE = [requires(Permission.DRIVER_GROUPS_MANAGE)]


class DriverGroupInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: str
    kind: str  # DRIVERS_VEHICLES | CARDS_ONLY | AD_HOC | EROAMING
    tariff_id: Id | None = None
    tariff_mode: str = ""  # DOCUMENT | BILLED; a CARDS_ONLY group only documents
    scope: str = "ALL"  # ALL | CHOSEN
    location_ids: list[Id] = msgspec.field(default_factory=list)


class DriverGroupPatch(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: str | msgspec.UnsetType = msgspec.UNSET
    tariff_id: Id | None | msgspec.UnsetType = msgspec.UNSET
    tariff_mode: str | msgspec.UnsetType = msgspec.UNSET
    scope: str | msgspec.UnsetType = msgspec.UNSET
    location_ids: list[Id] | msgspec.UnsetType = msgspec.UNSET
    archived: bool | msgspec.UnsetType = msgspec.UNSET


class CardMember(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    card_id: Id


def public(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"], "name": row["name"], "kind": row["kind"], "tariff_id": row["tariff"],
        "tariff_mode": row["tariff_mode"] or None, "scope": row["scope"], "location_ids": row.get("location_ids"),
        "card_count": row.get("card_count"), "archived": row["archived_at"] is not None,
        "archived_at": row["archived_at"], "used": row.get("used"), "created_at": row["created_at"],
        "last_updated": row["updated_at"],
    }  # fmt: skip


def _card(row: dict[str, Any]) -> dict[str, Any]:
    return {key: row[key] for key in ("id", "uid", "label", "visual_number", "status", "valid_until")}


def _raw(data: msgspec.Struct) -> dict[str, Any]:
    raw = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}
    raw.pop("archived", None)
    if raw.get("tariff_mode") is None:
        raw.pop("tariff_mode", None)
    return raw


class DriverGroupApiController(Controller):
    path = "/api/v1/driver-groups"
    tags = ["Driver groups"]
    guards = [requires(Permission.DRIVER_GROUPS_VIEW)]

    @get("/", summary="List driver groups (archived: active | archived | all)")
    async def list_groups(self, request: Request[Any, Any, Any], archived: str = "active") -> list[dict[str, Any]]:
        archived = driver_groups.archived_filter(archived)
        return [public(row) for row in await driver_groups.list_groups(actor_of(request), archived=archived)]

    @post("/", guards=MANAGE, summary="Create a driver group")
    async def create_group(self, request: Request[Any, Any, Any], data: DriverGroupInput) -> dict[str, Any]:
        return public(await driver_groups.create_group(actor_of(request), _raw(data)))

    @get("/{driver_group_id:int}", summary="Get a driver group")
    async def get_group(self, request: Request[Any, Any, Any], driver_group_id: int) -> dict[str, Any]:
        return public(await driver_groups.get_group(actor_of(request), driver_group_id))

    @patch("/{driver_group_id:int}", guards=MANAGE, summary="Rename, change tariff or scope, archive or restore")
    async def update_group(
        self, request: Request[Any, Any, Any], driver_group_id: int, data: DriverGroupPatch
    ) -> dict[str, Any]:
        actor = actor_of(request)
        raw = _raw(data)
        row = await driver_groups.update_group(actor, driver_group_id, raw) if raw else None
        if data.archived is True:
            row = await driver_groups.archive_group(actor, driver_group_id)
        elif data.archived is False:
            row = await driver_groups.restore_group(actor, driver_group_id)
        return public(row or await driver_groups.get_group(actor, driver_group_id))

    @delete("/{driver_group_id:int}", guards=MANAGE, summary="Delete a driver group (only while no session used it)")
    async def delete_group(self, request: Request[Any, Any, Any], driver_group_id: int) -> None:
        await driver_groups.delete_group(actor_of(request), driver_group_id)

    @get("/{driver_group_id:int}/cards", summary="The charging cards of the group")
    async def list_cards(self, request: Request[Any, Any, Any], driver_group_id: int) -> list[dict[str, Any]]:
        return [_card(row) for row in await driver_groups.group_cards(actor_of(request), driver_group_id)]

    @post("/{driver_group_id:int}/cards", guards=MANAGE, summary="Add a charging card (it leaves its previous group)")
    async def add_card(self, request: Request[Any, Any, Any], driver_group_id: int, data: CardMember) -> dict[str, Any]:
        actor = actor_of(request)
        await driver_groups.get_group(actor, driver_group_id)
        await driver_groups.set_card_group(actor, data.card_id, driver_group_id)
        return {"driver_group_id": driver_group_id, "card_id": data.card_id}

    @delete("/{driver_group_id:int}/cards/{card_id:int}", guards=MANAGE, summary="Take a card out of the group")
    async def remove_card(self, request: Request[Any, Any, Any], driver_group_id: int, card_id: int) -> None:
        await driver_groups.remove_card(actor_of(request), driver_group_id, card_id)
