"""REST API: charge points as OCPI EVSEs (``/api/v1/evses``), over core.infrastructure.charge_points.

``status`` is the EVSE's effective status (its station's status and connection included,
core.infrastructure.evse_status); ``connector_status`` is what the station reported for it. An EVSE carries its
connectors nested and read-only (they change under ``/api/v1/connectors``); creating one
may bring its first connector along.
"""

# No ``from __future__ import annotations`` here: Litestar reads the generated handlers' annotations (this
# resource's input types) as objects.

from typing import Any, Literal

import msgspec

from core.errors import ValidationError
from core.infrastructure import charge_points
from core.infrastructure.specs import CHARGE_POINT_SPEC, CONNECTOR_SPEC
from core.tenancy.actor import Actor
from portal.api.common import Attr, Shape
from portal.api.connectors import CONNECTOR, EVSE_CONNECTOR, ConnectorOutput
from portal.api.resources import Resource, Row, resource_router

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
        Attr("grid_phase"),
    ),
    # OCPI nests the connectors in the EVSE; they come along read-only (change them under /connectors).
    computed=lambda row: {
        "charge_box_id": row.get("charge_box_id"),
        "connector_status": row.get("connector_status") or row.get("status"),
        "evse_id_is_own": bool(row.get("evse_id_is_own")),
        "connectors": [CONNECTOR.to_api(c) for c in row.get("connectors", [])],
    },
    computed_types=(
        ("charge_box_id", str), ("connector_status", str), ("evse_id_is_own", bool),
        ("connectors", list[ConnectorOutput]),  # type: ignore[valid-type]
    ),  # fmt: skip
)


async def _with_connectors(actor: Actor, rows: list[Row]) -> None:
    by_charge_point = await charge_points.connectors_of(actor, [row["id"] for row in rows])
    for row in rows:
        row["connectors"] = by_charge_point.get(row["id"], [])


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
        return await charge_points.create_charge_point(actor, raw, connector)
    except ValidationError as exc:  # the first connector's fields answer as connector.<name>
        names = set(CONNECTOR_SPEC.names)
        raise ValidationError(
            {(f"connector.{key}" if key in names else key): message for key, message in exc.errors.items()}
        ) from None


async def _list_evses(actor: Actor, parent: int | None, **kwargs: Any) -> list[Row]:
    return await charge_points.list_charge_points(actor, station_id=parent, **kwargs)


async def _count_evses(actor: Actor, parent: int | None, **kwargs: Any) -> int:
    return await charge_points.count_charge_points(actor, station_id=parent, **kwargs)


ROUTER = resource_router(
    Resource("evses", "Charge points (EVSEs)", EVSE, "station_id", _list_evses, _count_evses,
             charge_points.get_charge_point, _create_evse, charge_points.update_charge_point,
             decommission_row=charge_points.decommission_charge_point, create_type=EvseCreate,
             with_children=_with_connectors)
)  # fmt: skip
