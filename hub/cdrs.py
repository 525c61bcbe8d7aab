"""CDRs, sender interface (CPO role, OCPI 2.2.1 mod_cdrs): the GET list a partner resyncs from, with pagination and
the date filters; only the CDRs of its own drivers (core.roaming.charged), each under its own CPO party."""

from __future__ import annotations

from litestar import Response, get

from core.roaming import charged
from hub.handlers import AnyRequest
from hub.mapping.cdrs import cdr_object
from hub.modules import VERSION, Endpoint, register
from hub.sender import partner_list

MODULE = "cdrs"
MAX_PAGE = 500
BASE = f"/{VERSION}/{MODULE}"


@get([BASE, f"{BASE}/"])
async def list_cdrs(request: AnyRequest) -> Response[bytes]:
    return await partner_list(request, MODULE, charged.partner_cdrs, cdr_object)


HANDLERS = [list_cdrs]


def register_module() -> None:
    register(Endpoint(MODULE, "SENDER", f"/{MODULE}", max_page=MAX_PAGE))
