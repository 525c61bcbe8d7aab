"""REST API: a location's dynamic load management (core.load_management), for the CPO's energy management system
or a grid operator's control signal (Paragraph 14a EnWG dimming lowers the grid connection limit for a while).

``GET /api/v1/locations/{id}/load-management`` (``infrastructure.view``): the settings with the names of the
portal's form (``enabled``, ``limit_value``, ``limit_unit``, ``phases``, ``min_current_a``), the limit per phase in
amperes, what the last recomputation counted, and each charge point's share as the stations confirmed it.
``PATCH`` (``infrastructure.manage``) changes the settings sent, with the rules and audit history of the portal's
form; the location is recomputed at once and the stations get their new limits within seconds.
"""

# No ``from __future__ import annotations`` here: Litestar reads the handlers' annotations (the body's type) as
# objects.

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, get, patch
from litestar.params import Body

from core.load_management import settings as load_settings
from core.tenancy.actor import Actor
from core.tenancy.permissions import Permission
from portal.api.common import Attr, Shape
from portal.auth import actor_of, requires

LOAD = Shape(
    "load_management",
    load_settings.LOAD_SPEC,
    (
        Attr("enabled"),
        Attr("limit_value"),
        Attr("limit_unit"),
        Attr("phases", api_type=Annotated[Literal[1, 3], msgspec.Meta(description="Phases of the grid connection")]),
        Attr("min_current_a"),
    ),
)
LoadManagementPatch = LOAD.struct("LoadManagementPatch", partial=True)


class ChargePointShare(msgspec.Struct, kw_only=True):
    """A charge point's share. ``state``: ``pending`` (computed, not yet confirmed), ``confirmed`` (the station
    accepted ``applied_a``), ``unconfirmed`` (refused or unanswered: counted at its minimum), ``offline`` (its last
    confirmed limit stays in force); null before the first recomputation. ``reason``: ``share``, ``capped`` (its own
    maximum or what it draws), ``paused`` (no room for its minimum), ``idle`` (no session), ``fixed`` (csms cannot
    steer it now)."""

    evse: int  # the charge point's id in /api/v1/evses
    evse_id: str | None
    station_id: int
    charge_box_id: str
    connected: bool
    state: str | None
    reason: str | None
    target_a: Decimal | None
    applied_a: Decimal | None
    counted_a: Decimal | None
    confirmed_at: datetime | None


class LoadManagement(msgspec.Struct, kw_only=True):
    location_id: int
    enabled: bool
    limit_value: Decimal
    limit_unit: str
    phases: int
    min_current_a: Decimal
    limit_a: Decimal  # the limit per phase in amperes (a limit in kW converted)
    counted_a: Decimal  # the sum of the shares as the last recomputation counted them
    over_limit: bool  # the last recomputation could not keep the limit (draw csms cannot steer)
    computed_at: datetime | None
    last_updated: datetime | None
    evses: list[ChargePointShare]


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _share(point: dict[str, Any]) -> ChargePointShare:
    row = point["allocation"] or {}
    return ChargePointShare(
        evse=point["id"], evse_id=point["evse_id"], station_id=point["station_id"],
        charge_box_id=point["charge_box_id"], connected=bool(point["connected"]), state=row.get("state"),
        reason=row.get("reason"), target_a=_decimal(row.get("target_a")), applied_a=_decimal(row.get("applied_a")),
        counted_a=_decimal(row.get("counted_a")), confirmed_at=row.get("confirmed_at"),
    )  # fmt: skip


async def _answer(actor: Actor, location_id: int) -> LoadManagement:
    view = await load_settings.allocation_view(actor, location_id)
    current = view["settings"]
    return LoadManagement(
        location_id=location_id, enabled=bool(current["enabled"]), limit_value=Decimal(str(current["limit_value"])),
        limit_unit=current["limit_unit"], phases=int(current["phases"]),
        min_current_a=Decimal(str(current["min_current_a"])), limit_a=Decimal(str(view["limit_a"])),
        counted_a=Decimal(str(view["counted_a"])), over_limit=bool(current.get("over_limit")),
        computed_at=current.get("computed_at"), last_updated=current.get("updated_at"),
        evses=[_share(point) for point in view["points"]],
    )  # fmt: skip


class LoadManagementApiController(Controller):
    path = "/api/v1/locations/{location_id:int}/load-management"
    tags = ["Load management"]
    guards = [requires(Permission.INFRASTRUCTURE_VIEW)]

    @get("/", summary="Get a location's load management settings and allocation")
    async def get_load_management(self, request: Request[Any, Any, Any], location_id: int) -> LoadManagement:
        return await _answer(actor_of(request), location_id)

    @patch("/", guards=[requires(Permission.INFRASTRUCTURE_MANAGE)],
           summary="Change a location's load management settings (only the attributes sent)")  # fmt: skip
    async def update_load_management(
        self,
        request: Request[Any, Any, Any],
        location_id: int,
        data: Annotated[LoadManagementPatch, Body(description="The settings to change.")],  # type: ignore[valid-type]
    ) -> LoadManagement:
        actor = actor_of(request)
        current = await load_settings.get_settings(actor, location_id)
        raw = {name: current[name] for name in load_settings.LOAD_SPEC.names} | LOAD.to_raw(data, partial=True)
        with LOAD.api_names():
            await load_settings.save_settings(actor, location_id, raw)
        return await _answer(actor, location_id)
