"""REST API: locations, charging stations, charge points (``/api/v1/evses``) and connectors.

Thin over ``core.infrastructure``: the same FormSpecs, rules, audit and tenant isolation as the portal.
Each resource's ``Shape`` below is the one place that maps OCPI 2.2.1 names to our fields.
"""

# No ``from __future__ import annotations`` here: the handlers are built by ``resource_controller``
# and Litestar reads their annotations (the resource's input types) as objects.

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any, Literal

import msgspec
from litestar import Request, Router, delete, get, patch, post
from litestar.params import Parameter

from core import infrastructure
from core.context import Actor
from core.errors import Message, NotFound, ValidationError
from core.infrastructure import CHARGE_POINT_SPEC, CONNECTOR_SPEC, LOCATION_SPEC, STATION_SPEC
from core.permissions import Permission
from portal.api.common import (
    API_EXCEPTION_HANDLERS,
    DEFAULT_LIMIT,
    RESPONSES,
    Attr,
    IncludeDecommissioned,
    Limit,
    Offset,
    Shape,
    page,
)
from portal.auth import actor_of, requires

Row = dict[str, Any]
AnyRequest = Request[Any, Any, Any]


# --- shapes: OCPI names <-> our fields -------------------------------------------------------------


class RegularHours(msgspec.Struct, forbid_unknown_fields=True):
    """OCPI RegularHours: weekday 1 (Monday) to 7 (Sunday), times as HH:MM."""

    weekday: Annotated[int, msgspec.Meta(ge=1, le=7)]
    period_begin: Annotated[str, msgspec.Meta(pattern=r"^\d\d:\d\d$")]
    period_end: Annotated[str, msgspec.Meta(pattern=r"^\d\d:\d\d$")]


def _coordinate(column: str) -> Callable[[Row], str | None]:
    """OCPI sends coordinates as strings with 5 to 7 decimals; we send the 7 we store, on every database."""
    return lambda row: None if row.get(column) is None else f"{Decimal(str(row[column])):.7f}"


LOCATION = Shape(
    "location",
    LOCATION_SPEC,
    (
        Attr("name"),
        Attr("address"),
        Attr("city"),
        Attr("postal_code"),
        Attr("state"),
        Attr("country"),
        Attr("coordinates.latitude", encode=_coordinate("latitude"), out_type=str),
        Attr("coordinates.longitude", encode=_coordinate("longitude"), out_type=str),
        Attr("time_zone"),
        Attr("opening_times.twentyfourseven"),
        Attr("opening_times.regular_hours", field="opening_hours", api_type=list[RegularHours]),
        Attr("parking_type"),
        Attr("parking_restrictions"),
        Attr("directions"),
        Attr("hotline"),
        Attr("operator.name", field="operator_name"),
        Attr("operator.website", field="operator_website"),
        Attr("operator.email", field="operator_email"),
        Attr("publish"),
    ),
    # The owning tenant: a reseller's key sees its sub-CPOs' locations and may create them for a sub-CPO.
    computed=lambda row: {"tenant_id": row.get("tenant")},
    computed_types=(("tenant_id", int),),
)


def _station_extra(row: Row) -> Row:
    return {"has_password": bool(row.get("has_password")), "ocpp_url": infrastructure.ocpp_url(row["charge_box_id"])}


STATION = Shape(
    "station",
    STATION_SPEC,
    (
        Attr("location_id", column="location"),
        *(Attr(name) for name in STATION_SPEC.names if name not in {"location_id", "ocpp_password"}),
        Attr("ocpp_password", write_only=True),
    ),
    computed=_station_extra,
    computed_types=(("has_password", bool), ("ocpp_url", str)),
)

_CONNECTOR_ATTRS = tuple(Attr(name) for name in CONNECTOR_SPEC.names if name != "charge_point_id")
CONNECTOR = Shape("connector", CONNECTOR_SPEC, (Attr("charge_point_id", column="charge_point"), *_CONNECTOR_ATTRS))
EVSE_CONNECTOR = Shape("connector", CONNECTOR_SPEC, _CONNECTOR_ATTRS)
ConnectorOutput = CONNECTOR.output_struct("Connector")

Capability = Literal["RFID_READER", "REMOTE_START_STOP_CAPABLE"]
_CAPABILITIES: dict[str, str] = {"RFID_READER": "auth_local_rfid", "REMOTE_START_STOP_CAPABLE": "auth_remote"}

EVSE = Shape(
    "evse",
    CHARGE_POINT_SPEC,
    (
        Attr("station_id", column="station"),
        Attr("evse_number"),
        Attr("evse_id"),
        Attr("status", read_only=True, out_type=str),
        Attr(
            "capabilities",
            api_type=list[Capability],
            fields=tuple(_CAPABILITIES.values()),
            encode=lambda row: [cap for cap, column in _CAPABILITIES.items() if row.get(column)],
            decode=lambda caps: {column: cap in (caps or []) for cap, column in _CAPABILITIES.items()},
        ),
        Attr("auth_direct_payment"),
        Attr("eichrecht_compliant"),
        Attr("physical_reference"),
        Attr("floor_level"),
    ),
    # OCPI nests the connectors in the EVSE; they come along read-only (change them under /connectors).
    computed=lambda row: {
        "charge_box_id": row.get("charge_box_id"),
        "connectors": [CONNECTOR.to_api(c) for c in row.get("connectors", [])],
    },
    computed_types=(("charge_box_id", str), ("connectors", list[ConnectorOutput])),  # type: ignore[valid-type]
)


# --- what each resource calls in core --------------------------------------------------------------


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


async def _with_connectors(actor: Actor, rows: list[Row]) -> None:
    by_charge_point = await infrastructure.connectors_of(actor, [row["id"] for row in rows])
    for row in rows:
        row["connectors"] = by_charge_point.get(row["id"], [])


LocationCreate = msgspec.defstruct(
    "LocationCreate",
    [("tenant_id", int | None, None)],  # a sub-CPO of the key's reseller tenant; default: the key's own tenant
    bases=(LOCATION.struct("LocationCreateBase"),),
    kw_only=True,
    forbid_unknown_fields=True,
)


async def _create_location(actor: Actor, raw: Row, body: Any) -> Row:
    try:
        return await infrastructure.create_location(actor, raw, tenant_id=body.tenant_id)
    except NotFound:
        raise ValidationError({"tenant_id": Message("Unknown tenant.")}) from None


async def _create_station(actor: Actor, raw: Row, _: Any) -> Row:
    # Without a password the station gets a random one that nobody sees: set one with PATCH.
    station, _password = await infrastructure.create_station(actor, raw)
    return station


EvseConnectorInput = EVSE_CONNECTOR.struct("EvseConnectorInput")
EvseCreate = msgspec.defstruct(
    "EvseCreate",
    [("connector", EvseConnectorInput | None, None)],  # type: ignore[valid-type]
    bases=(EVSE.struct("EvseCreateBase"),),
    kw_only=True,
    forbid_unknown_fields=True,
)


async def _create_evse(actor: Actor, raw: Row, body: Any) -> Row:
    connector = EVSE_CONNECTOR.to_raw(body.connector) if body.connector is not None else None
    try:
        return await infrastructure.create_charge_point(actor, raw, connector)
    except ValidationError as exc:  # the first connector's fields answer as connector.<name>
        names = set(CONNECTOR_SPEC.names)
        raise ValidationError(
            {(f"connector.{key}" if key in names else key): message for key, message in exc.errors.items()}
        ) from None


async def _create_connector(actor: Actor, raw: Row, _: Any) -> Row:
    return await infrastructure.create_connector(actor, raw)


async def _list_stations(actor: Actor, parent: int | None, **kwargs: Any) -> list[Row]:
    return await infrastructure.list_stations(actor, location_id=parent, **kwargs)


async def _count_stations(actor: Actor, parent: int | None, **kwargs: Any) -> int:
    return await infrastructure.count_stations(actor, location_id=parent, **kwargs)


async def _list_evses(actor: Actor, parent: int | None, **kwargs: Any) -> list[Row]:
    return await infrastructure.list_charge_points(actor, station_id=parent, **kwargs)


async def _count_evses(actor: Actor, parent: int | None, **kwargs: Any) -> int:
    return await infrastructure.count_charge_points(actor, station_id=parent, **kwargs)


async def _list_locations(actor: Actor, parent: int | None, **kwargs: Any) -> list[Row]:
    return await infrastructure.list_locations(actor, **kwargs)


async def _count_locations(actor: Actor, parent: int | None, **kwargs: Any) -> int:
    return await infrastructure.count_locations(actor, **kwargs)


async def _list_connectors(actor: Actor, parent: int | None, include_decommissioned: bool, **kwargs: Any) -> list[Row]:
    return await infrastructure.list_connectors(actor, parent, **kwargs)


async def _count_connectors(actor: Actor, parent: int | None, include_decommissioned: bool) -> int:
    return await infrastructure.count_connectors(actor, parent)


RESOURCES = (
    Resource("locations", "Locations", LOCATION, "", _list_locations, _count_locations,
             infrastructure.get_location, _create_location, infrastructure.update_location,
             decommission_row=infrastructure.decommission_location, create_type=LocationCreate),
    Resource("stations", "Charging stations", STATION, "location_id", _list_stations, _count_stations,
             infrastructure.get_station, _create_station, infrastructure.update_station,
             decommission_row=infrastructure.decommission_station),
    Resource("evses", "Charge points (EVSEs)", EVSE, "station_id", _list_evses, _count_evses,
             infrastructure.get_charge_point, _create_evse, infrastructure.update_charge_point,
             decommission_row=infrastructure.decommission_charge_point, create_type=EvseCreate,
             with_children=_with_connectors),
    Resource("connectors", "Connectors", CONNECTOR, "charge_point_id", _list_connectors, _count_connectors,
             infrastructure.get_connector, _create_connector, infrastructure.update_connector,
             delete_row=infrastructure.delete_connector, output_type=ConnectorOutput),
)  # fmt: skip


# --- routers ---------------------------------------------------------------------------------------

VIEW = [requires(Permission.INFRASTRUCTURE_VIEW)]
MANAGE = [requires(Permission.INFRASTRUCTURE_MANAGE)]


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
        parent: Annotated[int | None, Parameter(query=res.parent or "parent", description=parent_doc)] = None,
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


INFRASTRUCTURE_API: list[Router] = [resource_router(res) for res in RESOURCES]
