"""Sessions, sender interface (CPO role, OCPI 2.2.1 mod_sessions): the GET list a partner resyncs from, with
pagination and the date filters; only the sessions of its own drivers (core.roaming.charged), each priced by csms's
pricing engine as it stands (a finished one with a CDR: by its CDR), under its own CPO party. The same objects are
pushed to the partner (core.roaming.session_push, hub/session_push.py)."""

from __future__ import annotations

from litestar import Response, get

from core.roaming import charged
from hub.handlers import AnyRequest
from hub.mapping.sessions import session_object
from hub.modules import VERSION, Endpoint, register
from hub.sender import partner_list

MODULE = "sessions"
MAX_PAGE = 200  # each running session is priced on the way out
BASE = f"/{VERSION}/{MODULE}"


@get([BASE, f"{BASE}/"])
async def list_sessions(request: AnyRequest) -> Response[bytes]:
    return await partner_list(request, MODULE, charged.partner_sessions, session_object)


HANDLERS = [list_sessions]


def register_module() -> None:
    register(Endpoint(MODULE, "SENDER", f"/{MODULE}", max_page=MAX_PAGE))
