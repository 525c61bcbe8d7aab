"""REST API: the generic router of the infrastructure resources (locations, stations, EVSEs, connectors).

Each resource module (portal.api.locations, .stations, .evses, .connectors) describes its ``Shape`` (OCPI 2.2.1
names <-> our fields) and the core functions it calls as a ``Resource``; ``resource_router`` turns that into
list, create, get, update and decommission (or delete) under ``/api/v1/<plural>``, with the same FormSpecs, rules,
audit and tenant isolation as the portal.
"""

# No ``from __future__ import annotations`` here: the handlers are built by ``resource_router`` and Litestar
# reads their annotations (the resource's input types) as objects.

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Request, Router, delete, get, patch, post
from litestar.params import Parameter

from core.tenancy.actor import Actor
from core.tenancy.permissions import Permission
from portal.api.common import (
    API_EXCEPTION_HANDLERS,
    DEFAULT_LIMIT,
    INT32_MAX,
    RESPONSES,
    IncludeDecommissioned,
    Limit,
    Offset,
    Shape,
    page,
)
from portal.auth import actor_of, requires

Row = dict[str, Any]
AnyRequest = Request[Any, Any, Any]


@dataclass(frozen=True)
class Resource:
    plural: str  # path segment and operation ids
    tag: str
    shape: Shape
    parent: str  # the list filter, e.g. location_id for stations; "" for none
    list_rows: Callable[..., Awaitable[list[Row]]]
    count_rows: Callable[..., Awaitable[int]]
    get_row: Callable[[Actor, int], Awaitable[Row]]
    create_row: Callable[[Actor, Row, Any], Awaitable[Row]]
    update_row: Callable[[Actor, int, Row], Awaitable[Row]]
    decommission_row: Callable[[Actor, int], Awaitable[Row]] | None = None
    delete_row: Callable[[Actor, int], Awaitable[None]] | None = None
    create_type: Any = None  # defaults to the shape's create struct
    output_type: Any = None  # defaults to the shape's output struct
    with_children: Callable[[Actor, list[Row]], Awaitable[None]] | None = None  # adds nested rows before answering


VIEW = [requires(Permission.INFRASTRUCTURE_VIEW)]
MANAGE = [requires(Permission.INFRASTRUCTURE_VIEW, Permission.INFRASTRUCTURE_MANAGE)]


def _drop_params(fn: Callable[..., Any], *names: str) -> None:
    """Removes query parameters a resource does not have from a generated handler's signature."""
    signature = inspect.signature(fn)
    fn.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[p for p in signature.parameters.values() if p.name not in names]
    )
    for name in names:
        fn.__annotations__.pop(name, None)


def resource_router(res: Resource) -> Router:
    """list, create, get, update and decommission (or delete) of one resource under /api/v1/<plural>."""
    shape = res.shape
    singular = shape.resource
    create_input = res.create_type or shape.struct(f"{singular.title()}Create")
    update_input = shape.struct(f"{singular.title()}Update", partial=True)
    output = res.output_type or shape.output_struct(singular.title())
    listing = shape.page_struct(f"{singular.title()}Page", output)
    parent_doc = f"Only those of this {res.parent.removesuffix('_id').replace('_', ' ')}." if res.parent else ""

    async def list_items(
        request: AnyRequest,
        offset: Offset = 0,
        limit: Limit = DEFAULT_LIMIT,
        include_decommissioned: IncludeDecommissioned = False,
        parent: Annotated[int | None, Parameter(query=res.parent or "parent", ge=1, le=INT32_MAX,
                                                description=parent_doc)] = None,
    ) -> listing:  # type: ignore[valid-type]
        actor = actor_of(request)
        window = {"include_decommissioned": include_decommissioned}
        rows = await res.list_rows(actor, parent, offset=offset, limit=limit, **window)
        total = await res.count_rows(actor, parent, **window)
        return page(await answer(actor, *rows), total, offset, limit)

    async def answer(actor: Actor, *rows: Row) -> list[Row]:
        if res.with_children is not None:
            await res.with_children(actor, list(rows))
        return [shape.to_api(row) for row in rows]

    async def create_item(request: AnyRequest, data: create_input) -> output:  # type: ignore[valid-type]
        actor = actor_of(request)
        with shape.api_names():
            row = await res.create_row(actor, shape.to_raw(data), data)
        return (await answer(actor, row))[0]

    async def get_item(request: AnyRequest, item_id: int) -> output:  # type: ignore[valid-type]
        actor = actor_of(request)
        return (await answer(actor, await res.get_row(actor, item_id)))[0]

    async def update_item(request: AnyRequest, item_id: int, data: update_input) -> output:  # type: ignore[valid-type]
        actor = actor_of(request)
        with shape.api_names():
            row = await res.update_row(actor, item_id, shape.to_raw(data, partial=True))
        return (await answer(actor, row))[0]

    async def decommission_item(request: AnyRequest, item_id: int) -> output:  # type: ignore[valid-type]
        assert res.decommission_row is not None
        actor = actor_of(request)
        return (await answer(actor, await res.decommission_row(actor, item_id)))[0]

    async def delete_item(request: AnyRequest, item_id: int) -> None:
        assert res.delete_row is not None
        with shape.api_names():
            await res.delete_row(actor_of(request), item_id)

    if not res.parent:
        _drop_params(list_items, "parent")
    if res.decommission_row is None:  # nothing is ever decommissioned, so there is nothing to include
        _drop_params(list_items, "include_decommissioned")

    item = "/{item_id:int}"
    common: dict[str, Any] = {"responses": RESPONSES}
    handlers: list[Any] = [
        get("/", guards=VIEW, summary=f"List {res.plural}", operation_id=f"list_{res.plural}", **common)(list_items),
        post("/", guards=MANAGE, summary=f"Create a {singular}", operation_id=f"create_{singular}",
             **common)(create_item),
        get(item, guards=VIEW, summary=f"Get a {singular}", operation_id=f"get_{singular}", **common)(get_item),
        patch(item, guards=MANAGE, summary=f"Update a {singular} (only the attributes sent)",
              operation_id=f"update_{singular}", **common)(update_item),
    ]  # fmt: skip
    if res.decommission_row is not None:
        handlers.append(
            post(item + "/decommission", guards=MANAGE, status_code=200, operation_id=f"decommission_{singular}",
                 summary=f"Decommission a {singular}: out of service, nothing is deleted", **common)(decommission_item)
        )  # fmt: skip
    if res.delete_row is not None:
        handlers.append(
            delete(item, guards=MANAGE, operation_id=f"delete_{singular}",
                   summary=f"Delete a {singular} (a charge point keeps at least one)", **common)(delete_item)
        )  # fmt: skip
    return Router(
        path=f"/api/v1/{res.plural}", route_handlers=handlers, tags=[res.tag], exception_handlers=API_EXCEPTION_HANDLERS
    )
