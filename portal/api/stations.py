"""REST API: charging stations (``/api/v1/stations``), over core.infrastructure.stations.

The OCPP password is write-only: the answer says only whether the station has one (``has_password``) and the
address it must connect to (``ocpp_url``). ``connected`` is the station's presence as the portal shows it;
``status`` is what the station last reported for itself (OCPP connector 0, as an OCPI EvseStatus, ``status_detail``
as sent): a station that is OUTOFORDER or INOPERATIVE makes its EVSEs so (core.infrastructure.evse_status).
``products`` names the products the station holds now; it is read-only: products are assigned with their cost
approval in the portal (core.products), and a request that sends ``products`` is refused as an unknown field.
"""

# No ``from __future__ import annotations`` here: Litestar reads the generated handlers' annotations (this
# resource's input types) as objects.

import json
from typing import Any

from core.infrastructure import station_sheet, stations
from core.infrastructure.specs import STATION_SPEC
from core.tenancy.actor import Actor
from portal.api.common import Attr, Shape
from portal.api.resources import Resource, Row, resource_router


def _station_extra(row: Row) -> Row:
    return {
        "has_password": bool(row.get("has_password")),
        "ocpp_url": station_sheet.ocpp_url(row["charge_box_id"]),
        "connected": bool(row.get("connected")),
        "status": row.get("status") or "UNKNOWN",
        "status_detail": row.get("status_detail") or "",
        # read-only since products are assigned (core.products): the names of the products the station holds now
        "products": [str(name) for name in _json_list(row.get("products"))],
    }


def _json_list(value: Any) -> list[Any]:
    if isinstance(value, str):
        value = json.loads(value or "[]")
    return list(value or [])


STATION = Shape(
    "station",
    STATION_SPEC,
    (
        Attr("location_id", column="location"),
        *(Attr(name) for name in STATION_SPEC.names if name not in {"location_id", "ocpp_password"}),
        Attr("ocpp_password", write_only=True),
    ),
    computed=_station_extra,
    computed_types=(
        ("has_password", bool),
        ("ocpp_url", str),
        ("connected", bool),
        ("status", str),
        ("status_detail", str),
        ("products", list[str]),
    ),  # fmt: skip
)


async def _create_station(actor: Actor, raw: Row, _: Any) -> Row:
    # Without a password the station gets a random one that nobody sees: set one with PATCH.
    station, _password = await stations.create_station(actor, raw)
    return station


async def _list_stations(actor: Actor, parent: int | None, **kwargs: Any) -> list[Row]:
    return await stations.list_stations(actor, location_id=parent, **kwargs)


async def _count_stations(actor: Actor, parent: int | None, **kwargs: Any) -> int:
    return await stations.count_stations(actor, location_id=parent, **kwargs)


ROUTER = resource_router(
    Resource("stations", "Charging stations", STATION, "location_id", _list_stations, _count_stations,
             stations.get_station, _create_station, stations.update_station,
             decommission_row=stations.decommission_station)
)  # fmt: skip
