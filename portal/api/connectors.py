"""REST API: connectors (``/api/v1/connectors``), over core.infrastructure.charge_points.

A connector's shape serves twice: on its own (with ``charge_point_id``) and nested read-only in an EVSE.
"""

# No ``from __future__ import annotations`` here: Litestar reads the generated handlers' annotations (this
# resource's input types) as objects.

from typing import Any

from core.infrastructure import charge_points
from core.infrastructure.specs import CONNECTOR_SPEC
from core.tenancy.actor import Actor
from portal.api.common import Attr, Shape
from portal.api.resources import Resource, Row, resource_router

_CONNECTOR_ATTRS = tuple(Attr(name) for name in CONNECTOR_SPEC.names if name != "charge_point_id")
CONNECTOR = Shape("connector", CONNECTOR_SPEC, (Attr("charge_point_id", column="charge_point"), *_CONNECTOR_ATTRS))
EVSE_CONNECTOR = Shape("connector", CONNECTOR_SPEC, _CONNECTOR_ATTRS)
ConnectorOutput = CONNECTOR.output_struct("Connector")


async def _create_connector(actor: Actor, raw: Row, _: Any) -> Row:
    return await charge_points.create_connector(actor, raw)


async def _list_connectors(actor: Actor, parent: int | None, include_decommissioned: bool, **kwargs: Any) -> list[Row]:
    return await charge_points.list_connectors(actor, parent, **kwargs)


async def _count_connectors(actor: Actor, parent: int | None, include_decommissioned: bool) -> int:
    return await charge_points.count_connectors(actor, parent)


ROUTER = resource_router(
    Resource("connectors", "Connectors", CONNECTOR, "charge_point_id", _list_connectors, _count_connectors,
             charge_points.get_connector, _create_connector, charge_points.update_connector,
             delete_row=charge_points.delete_connector, output_type=ConnectorOutput)
)  # fmt: skip
