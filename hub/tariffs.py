"""Tariffs, sender interface (CPO role, OCPI 2.2.1 mod_tariffs): the list with pagination, the tariffs in force or
scheduled on the charge points the calling partner may see, each under its own CPO party."""

from __future__ import annotations

from typing import Any

from litestar import Response, get

from core.roaming import offer
from core.tariffs.tariffs import snapshot_of
from hub.handlers import AnyRequest
from hub.mapping.tariffs import tariff_object
from hub.modules import VERSION, Endpoint, register
from hub.sender import list_answer, scope, stamp

MODULE = "tariffs"
MAX_PAGE = 1000
BASE = f"/{VERSION}/{MODULE}"


def tariff_json(offered: offer.OfferedTariff) -> dict[str, Any]:
    return tariff_object(
        snapshot_of(offered.tariff, offered.vat_rate), offered.power, country_code=offered.country_code,
        party_id=offered.party_id, last_updated=offered.changed_at, start_date_time=offered.start,
    )  # fmt: skip


@get([BASE, f"{BASE}/"])
async def list_tariffs(request: AnyRequest) -> Response[bytes]:
    partner, cpo = await scope(request)
    objects = [tariff_json(t) for t in await offer.offered_tariffs(partner, cpo)]
    return list_answer(request, MODULE, [(stamp(o), o["id"], o) for o in objects])


HANDLERS = [list_tariffs]


def register_module() -> None:
    register(Endpoint(MODULE, "SENDER", f"/{MODULE}", max_page=MAX_PAGE))
