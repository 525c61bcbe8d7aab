"""REST API: locations (``/api/v1/locations``, OCPI Location names), over core.infrastructure.locations."""

# No ``from __future__ import annotations`` here: Litestar reads the generated handlers' annotations (this
# resource's input types) as objects.

from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any

import msgspec

from core.errors import Message, NotFound, ValidationError
from core.infrastructure import locations
from core.infrastructure.specs import LOCATION_SPEC
from core.tenancy.actor import Actor
from portal.api.common import Attr, Shape
from portal.api.resources import Resource, Row, resource_router


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


LocationCreate = msgspec.defstruct(
    "LocationCreate",
    [("tenant_id", int | None, None)],  # a sub-CPO of the key's reseller tenant; default: the key's own tenant
    bases=(LOCATION.struct("LocationCreateBase"),),
    kw_only=True,
    forbid_unknown_fields=True,
)


async def _create_location(actor: Actor, raw: Row, body: Any) -> Row:
    try:
        return await locations.create_location(actor, raw, tenant_id=body.tenant_id)
    except NotFound:
        raise ValidationError({"tenant_id": Message("Unknown tenant.")}) from None


async def _list_locations(actor: Actor, parent: int | None, **kwargs: Any) -> list[Row]:
    return await locations.list_locations(actor, **kwargs)


async def _count_locations(actor: Actor, parent: int | None, **kwargs: Any) -> int:
    return await locations.count_locations(actor, **kwargs)


ROUTER = resource_router(
    Resource("locations", "Locations", LOCATION, "", _list_locations, _count_locations,
             locations.get_location, _create_location, locations.update_location,
             decommission_row=locations.decommission_location, create_type=LocationCreate)
)  # fmt: skip
