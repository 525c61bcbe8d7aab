"""CDRs, sender interface (CPO role, OCPI 2.2.1 mod_cdrs): the GET list a partner resyncs from, with pagination and
the date filters; only the CDRs of its own drivers (core.roaming.charged), each under its own CPO party."""

from __future__ import annotations

from litestar import Response, get

from core.roaming import charged, partners
from hub.handlers import AnyRequest, answer, caller
from hub.mapping.cdrs import cdr_object
from hub.modules import VERSION, Endpoint, max_page, register
from hub.pagination import page_headers, parse_window
from hub.sender import scope

MODULE = "cdrs"
MAX_PAGE = 500
BASE = f"/{VERSION}/{MODULE}"


@get([BASE, f"{BASE}/"])
async def list_cdrs(request: AnyRequest) -> Response[bytes]:
    _, party = await scope(request)
    window = parse_window(request.query_params, max_page(MODULE))
    page, bundles = await charged.partner_cdrs(caller(request).partner["id"], window, party)
    url = f"{partners.versions_url().removesuffix('/versions')}/{VERSION}/{MODULE}"
    return answer([cdr_object(b) for b in bundles], headers=page_headers(url, window, page.total, len(bundles)))


HANDLERS = [list_cdrs]


def register_module() -> None:
    register(Endpoint(MODULE, "SENDER", f"/{MODULE}", max_page=MAX_PAGE))
