"""REST API: contract groups (Vertragsgruppen (CPO), ``/api/v1/contract-groups``) with the rules of
core.roaming.contract_groups: a name and the EMP tenants (``emp_tenant_ids``) allowed in general."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, delete, get, patch, post

from core.roaming import contract_groups
from core.tenancy.permissions import Permission
from portal.api.common import Id
from portal.auth import actor_of, requires


class ContractGroupInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: str
    emp_tenant_ids: list[Id] = msgspec.field(default_factory=list)


class ContractGroupPatch(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: str | msgspec.UnsetType = msgspec.UNSET
    emp_tenant_ids: list[Id] | msgspec.UnsetType = msgspec.UNSET


def public(row: dict[str, Any]) -> dict[str, Any]:
    return {"id": row["id"], "name": row["name"], "emp_tenant_ids": row["emp_tenant_ids"],
            "created_at": row["created_at"], "last_updated": row["updated_at"]}  # fmt: skip


MANAGE = [requires(Permission.ROAMING_MANAGE)]  # changes: on top of the controller's roaming.view


class ContractGroupApiController(Controller):
    path = "/api/v1/contract-groups"
    tags = ["Contract groups"]
    guards = [requires(Permission.ROAMING_VIEW)]

    @get("/", summary="List contract groups")
    async def list_groups(self, request: Request[Any, Any, Any]) -> list[dict[str, Any]]:
        return [public(row) for row in await contract_groups.list_groups(actor_of(request))]

    @post("/", summary="Create a contract group", guards=MANAGE)
    async def create_group(self, request: Request[Any, Any, Any], data: ContractGroupInput) -> dict[str, Any]:
        return public(await contract_groups.create_group(actor_of(request), msgspec.structs.asdict(data)))

    @get("/{contract_group_id:int}", summary="Get a contract group")
    async def get_group(self, request: Request[Any, Any, Any], contract_group_id: int) -> dict[str, Any]:
        return public(await contract_groups.get_group(actor_of(request), contract_group_id))

    @patch("/{contract_group_id:int}", summary="Rename a contract group or change its EMP tenants", guards=MANAGE)
    async def update_group(
        self, request: Request[Any, Any, Any], contract_group_id: int, data: ContractGroupPatch
    ) -> dict[str, Any]:
        actor = actor_of(request)
        current = await contract_groups.get_group(actor, contract_group_id)
        raw = {"name": current["name"], "emp_tenant_ids": current["emp_tenant_ids"]}
        raw |= {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}
        return public(await contract_groups.update_group(actor, contract_group_id, raw))

    @delete("/{contract_group_id:int}", summary="Delete a contract group (its stations lose it)", guards=MANAGE)
    async def delete_group(self, request: Request[Any, Any, Any], contract_group_id: int) -> None:
        await contract_groups.delete_group(actor_of(request), contract_group_id)
