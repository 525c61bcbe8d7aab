"""REST API: firmware campaigns (core.firmware, the portal's Operations > Firmware): one firmware URL for many
stations, sent as UpdateFirmware a few at a time, each station followed until it boots with the expected version.

``POST /api/v1/firmware-campaigns`` with the form's attributes and ``station_ids`` creates one (stations of other
tenants and those in another running campaign are left out; none left: ``400``); ``GET`` lists them (newest first)
or answers one with its stations; ``POST .../cancel`` starts no further station; ``POST .../retry`` puts the failed
stations back in the queue (``409`` once cancelled). Every operation needs ``infrastructure.view`` and
``ocpp.commands``, like the portal's pages.
"""

# No ``from __future__ import annotations`` here: Litestar reads the handlers' annotations (the body's type) as
# objects.

from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import Body

from core.errors import ValidationError
from core.firmware import campaigns
from core.tenancy.actor import Actor
from core.tenancy.permissions import Permission
from portal.api.common import Attr, Id, Shape, error_answer
from portal.auth import actor_of, requires

CAMPAIGN = Shape(
    "firmware_campaign",
    campaigns.CAMPAIGN_SPEC,
    (
        Attr("name"),
        Attr("location"),  # OCPP UpdateFirmware's name for the firmware URL
        Attr("expected_version"),
        Attr("start_at"),
        Attr("max_parallel"),
        Attr("retries"),
        Attr("retry_interval"),
        Attr("timeout_minutes"),
    ),
)
StationIds = Annotated[
    list[Id],
    msgspec.Meta(min_length=1, max_length=campaigns.MAX_STATIONS, description="The stations to update."),
]
FirmwareCampaignCreate = msgspec.defstruct(
    "FirmwareCampaignCreate",
    [("station_ids", StationIds)],
    bases=(CAMPAIGN.struct("FirmwareCampaignCreateBase"),),
    kw_only=True,
    forbid_unknown_fields=True,
)


class CampaignStation(msgspec.Struct, kw_only=True):
    """A station of the campaign. ``state``: waiting, sent, downloading, downloaded, installing, installed (awaiting
    the boot), confirmed, failed, cancelled; ``reason`` why it failed: download_failed, installation_failed,
    rejected, no_answer, offline, no_progress, wrong_version."""

    station_id: int
    charge_box_id: str
    state: str
    reason: str | None
    retries: int  # how often "retry" put it back
    last_status: str | None  # its last FirmwareStatusNotification
    last_status_at: datetime | None
    reported_version: str | None  # the firmware version of its boot after the update
    command_id: int | None  # the UpdateFirmware command's record (/api/v1/commands/{id})
    sent_at: datetime | None
    state_changed_at: datetime | None


class FirmwareCampaign(msgspec.Struct, kw_only=True):
    """``status``: active, finished, cancelled; ``counts``: stations per state."""

    id: int
    name: str
    location: str
    expected_version: str | None
    start_at: datetime
    max_parallel: int
    retries: int | None
    retry_interval: int | None
    timeout_minutes: int
    status: str
    created_by: str
    created_at: datetime | None
    finished_at: datetime | None
    counts: dict[str, int]
    total: int


class FirmwareCampaignDetail(FirmwareCampaign, kw_only=True):
    stations: list[CampaignStation]


def _text(value: Any) -> str | None:
    return value or None


def _campaign(row: dict[str, Any]) -> FirmwareCampaign:
    return FirmwareCampaign(**_campaign_fields(row))


def _campaign_fields(row: dict[str, Any]) -> dict[str, Any]:
    fields = {name: row[name] for name in FirmwareCampaign.__struct_fields__ if name != "expected_version"}
    return {**fields, "expected_version": _text(row["expected_version"])}


def _station(row: dict[str, Any]) -> CampaignStation:
    return CampaignStation(
        station_id=row["station"], charge_box_id=row["charge_box_id"], state=row["state"], reason=_text(row["reason"]),
        retries=row["retries"], last_status=_text(row["last_status"]), last_status_at=row["last_status_at"],
        reported_version=_text(row["reported_version"]), command_id=row["command"], sent_at=row["sent_at"],
        state_changed_at=row["state_changed_at"],
    )  # fmt: skip


async def _detail(actor: Actor, campaign_id: int) -> FirmwareCampaignDetail:
    row = await campaigns.get_campaign(actor, campaign_id)
    stations = [_station(r) for r in await campaigns.campaign_stations(actor, campaign_id)]
    return FirmwareCampaignDetail(**_campaign_fields(row), stations=stations)


AnyRequest = Request[Any, Any, Any]
CANCELLED = {409: error_answer("The campaign was cancelled.")}


class FirmwareCampaignApiController(Controller):
    path = "/api/v1/firmware-campaigns"
    tags = ["Firmware campaigns"]
    guards = [requires(Permission.INFRASTRUCTURE_VIEW, Permission.OCPP_COMMANDS)]

    @get("/", summary="List firmware campaigns (newest first, at most 200)")
    async def list_campaigns(self, request: AnyRequest) -> list[FirmwareCampaign]:
        return [_campaign(row) for row in await campaigns.list_campaigns(actor_of(request))]

    @post("/", summary="Create a firmware campaign")
    async def create_campaign(
        self,
        request: AnyRequest,
        data: Annotated[FirmwareCampaignCreate, Body(description="The campaign and its stations.")],  # type: ignore[valid-type]
    ) -> FirmwareCampaignDetail:
        actor = actor_of(request)
        body = msgspec.structs.asdict(data)
        raw = CAMPAIGN.to_raw(data)
        try:
            with CAMPAIGN.api_names():
                created = await campaigns.create_campaign(actor, raw, body["station_ids"])
        except ValidationError as exc:  # no station of the tenant's left to update
            errors = {("station_ids" if key == "station_id" else key): text for key, text in exc.errors.items()}
            raise ValidationError(errors) from None
        return await _detail(actor, created["id"])

    @get("/{campaign_id:int}", summary="Get a firmware campaign with its stations")
    async def get_campaign(self, request: AnyRequest, campaign_id: int) -> FirmwareCampaignDetail:
        return await _detail(actor_of(request), campaign_id)

    @post("/{campaign_id:int}/cancel", status_code=200, summary="Cancel a firmware campaign (no further station)")
    async def cancel_campaign(self, request: AnyRequest, campaign_id: int) -> FirmwareCampaignDetail:
        actor = actor_of(request)
        await campaigns.cancel(actor, campaign_id)
        return await _detail(actor, campaign_id)

    @post("/{campaign_id:int}/retry", status_code=200, responses=CANCELLED,
          summary="Put a firmware campaign's failed stations back in its queue")  # fmt: skip
    async def retry_failed(self, request: AnyRequest, campaign_id: int) -> FirmwareCampaignDetail:
        actor = actor_of(request)
        await campaigns.retry_failed(actor, campaign_id)
        return await _detail(actor, campaign_id)

