"""Tariffs, sender interface (CPO role, OCPI 2.2.1 mod_tariffs): the list with pagination, the tariffs in force or
scheduled on the charge points the calling partner may see, each under its own CPO party."""

from __future__ import annotations

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


@get([BASE, f"{BASE}/"])
async def list_tariffs(request: AnyRequest) -> Response[bytes]:
    partner, cpo = await scope(request)
    objects = [
        tariff_object(snapshot_of(t.tariff, t.vat_rate), t.power, country_code=t.country_code, party_id=t.party_id,
                      last_updated=t.changed_at, start_date_time=t.start)
        for t in await offer.offered_tariffs(partner, cpo)
    ]  # fmt: skip
    return list_answer(request, MODULE, [(stamp(o), o["id"], o) for o in objects])


HANDLERS = [list_tariffs]


def register_module() -> None:
    register(Endpoint(MODULE, "SENDER", f"/{MODULE}", max_page=MAX_PAGE))
