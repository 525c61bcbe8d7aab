"""What the sender modules (locations, tariffs, sessions, CDRs) share: the CPO party a request is scoped to by its
routing headers, and a paginated list answer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

from litestar import Response

from core.errors import Conflict
from core.roaming import offer, partners
from core.roaming.paging import Page, Window, page_in_memory
from core.roaming.visibility import PartnerRef
from hub.envelope import OcpiError, Status
from hub.handlers import AnyRequest, answer, caller
from hub.modules import VERSION, max_page
from hub.pagination import page_headers, parse_window

B = TypeVar("B")


async def scope(request: AnyRequest) -> tuple[PartnerRef, offer.Party | None]:
    """The partner's view and the CPO party the request's ``OCPI-to-*`` headers name (None: every CPO tenant's
    objects, also when they name the hub). A party that is neither the hub nor a CPO tenant: 4001 unknown receiver."""
    who = caller(request)
    party = (request.headers.get("ocpi-to-country-code", "").strip().upper(),
             request.headers.get("ocpi-to-party-id", "").strip().upper())  # fmt: skip
    ref = offer.partner_ref(who.partner)
    if not all(party):
        return ref, None
    try:
        hub = await partners.hub_operator()
        if party == (str(hub["country_code"]).upper(), str(hub["party_id"]).upper()):
            return ref, None
    except Conflict:  # no hub operator set up: only CPO parties can be addressed
        pass
    if not await offer.is_cpo_party(party):
        raise OcpiError(Status.UNKNOWN_RECEIVER, f"Unknown receiver {party[0]}/{party[1]}")
    return ref, party


def list_answer(request: AnyRequest, module: str, objects: list[tuple[datetime, str, Any]]) -> Response[bytes]:
    """One page of ``objects`` ((last_updated, id, OCPI object)) with the pagination headers; the Link names
    csms's public address (PUBLIC_URL), the one its version details list."""
    window = parse_window(request.query_params, max_page(module))
    page = page_in_memory(objects, window)
    headers = page_headers(list_url(module), window, page.total, len(page.items), page.last, page.more)
    return answer(page.items, headers=headers)


def list_url(module: str) -> str:
    """A list's URL as partners reach it (the Link's base): csms's public address, as its version details name."""
    return f"{partners.versions_url().removesuffix('/versions')}/{VERSION}/{module}"


def stamp(ocpi_object: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(str(ocpi_object["last_updated"]).replace("Z", "+00:00"))


async def partner_list(
    request: AnyRequest, module: str,
    fetch: Callable[[int, Window, offer.Party | None], Awaitable[tuple[Page, list[B]]]],
    mapper: Callable[[B], dict[str, Any]],
) -> Response[bytes]:  # fmt: skip
    """One page of what the calling partner's drivers charged (``fetch``: core.roaming.charged), of the CPO party its
    routing headers name, each mapped to its OCPI object, with the pagination headers."""
    _, party = await scope(request)
    window = parse_window(request.query_params, max_page(module))
    page, bundles = await fetch(caller(request).partner["id"], window, party)
    headers = page_headers(list_url(module), window, page.total, len(bundles))
    return answer([mapper(b) for b in bundles], headers=headers)
