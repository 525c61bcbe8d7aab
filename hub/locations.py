"""Locations, sender interface (CPO role, OCPI 2.2.1 mod_locations): the list with pagination, one Location, one
EVSE, one Connector; only what the calling partner may see (core.roaming.offer), each under its own CPO party."""

from __future__ import annotations

import asyncio
from typing import Any

from litestar import Response, get

from core.roaming import offer
from hub.envelope import OcpiError, Status, encoded
from hub.handlers import AnyRequest, answer
from hub.mapping import locations as mapping
from hub.mapping.tariffs import connector_tariff_ids
from hub.modules import VERSION, Endpoint, register
from hub.pagination import page_headers, parse_window
from hub.sender import list_url, scope

MODULE = "locations"
MAX_PAGE = 1000
MAP_SLICE = 100  # locations mapped between two turns of the loop
BASE = f"/{VERSION}/{MODULE}"


def _connector(cp: offer.OfferedChargePoint, connector: dict[str, Any]) -> dict[str, Any]:
    ids = connector_tariff_ids(connector["power_type"], cp.current_tariff, cp.scheduled)
    return mapping.connector_object(connector, ids, cp.tariffs_changed_at)


def _evse(cp: offer.OfferedChargePoint, restrictions: list[str]) -> dict[str, Any]:
    # Kept with the charge point: a push maps a location once for every partner that sees it (never changed after).
    key = "ocpi_evse:" + ",".join(restrictions)
    evse = cp.derived.get(key)
    if evse is None:
        evse = cp.derived[key] = mapping.evse_object(
            cp.charge_point,
            [_connector(cp, c) for c in cp.connectors],
            status=cp.status,
            parking_restrictions=restrictions,
        )
    return evse


def location_json(offered: offer.OfferedLocation) -> dict[str, Any]:
    restrictions = list(offered.location.get("parking_restrictions") or [])
    return mapping.location_object(
        country_code=offered.country_code,
        party_id=offered.party_id,
        location=offered.location,
        evses=[_evse(cp, restrictions) for cp in offered.charge_points],
        name=offered.name,
    )


def _is_location_id(text: str) -> bool:
    return text.isascii() and text.isdigit() and len(text) <= 18  # a BIGINT, as the database stores it


@get([BASE, f"{BASE}/"])
async def list_locations(request: AnyRequest) -> Response[bytes]:
    partner, cpo = await scope(request)
    window = parse_window(request.query_params, MAX_PAGE)
    if window.after is not None and not _is_location_id(window.after[1]):
        raise OcpiError(Status.INVALID_PARAMETERS, "after is not a cursor of this server")
    page = await offer.offered_location_page(partner, window, cpo, read_ahead=True, prepare=_page_data)
    headers = page_headers(list_url(MODULE), window, page.total, len(page.locations), page.last, page.more)
    return answer(page.prepared, headers=headers)


async def _page_data(locations: list[offer.OfferedLocation]) -> Any:
    """A page's ``data``, mapped and encoded: also ahead of the request, while the partner reads the page before."""
    items = []
    for start in range(0, len(locations), MAP_SLICE):
        items += [location_json(o) for o in locations[start : start + MAP_SLICE]]
        await asyncio.sleep(0)  # other requests and the next page's queries get their turns
    return encoded(items)


def _unknown() -> OcpiError:
    return OcpiError(Status.UNKNOWN_LOCATION, "Unknown location", http_status=404)


async def _location(request: AnyRequest, country_code: str, party_id: str, location_id: str) -> dict[str, Any]:
    partner, addressed = await scope(request)
    named = (country_code.upper(), party_id.upper())
    if (addressed is not None and addressed != named) or not _is_location_id(location_id):
        raise _unknown()
    found = await offer.offered_locations(partner, named, [int(location_id)])
    if not found:
        raise _unknown()
    return location_json(found[0])


def _evse_of(location: dict[str, Any], evse_uid: str) -> dict[str, Any]:
    for evse in location["evses"]:
        if evse["uid"] == evse_uid:
            return evse
    raise _unknown()


@get(f"{BASE}/{{country_code:str}}/{{party_id:str}}/{{location_id:str}}")
async def get_location(request: AnyRequest, country_code: str, party_id: str, location_id: str) -> Response[bytes]:
    return answer(await _location(request, country_code, party_id, location_id))


@get(f"{BASE}/{{country_code:str}}/{{party_id:str}}/{{location_id:str}}/{{evse_uid:str}}")
async def get_evse(
    request: AnyRequest, country_code: str, party_id: str, location_id: str, evse_uid: str
) -> Response[bytes]:
    return answer(_evse_of(await _location(request, country_code, party_id, location_id), evse_uid))


@get(f"{BASE}/{{country_code:str}}/{{party_id:str}}/{{location_id:str}}/{{evse_uid:str}}/{{connector_id:str}}")
async def get_connector(
    request: AnyRequest, country_code: str, party_id: str, location_id: str, evse_uid: str, connector_id: str
) -> Response[bytes]:
    evse = _evse_of(await _location(request, country_code, party_id, location_id), evse_uid)
    for connector in evse["connectors"]:
        if connector["id"] == connector_id:
            return answer(connector)
    raise _unknown()


HANDLERS = [list_locations, get_location, get_evse, get_connector]


def register_module() -> None:
    register(Endpoint(MODULE, "SENDER", f"/{MODULE}", max_page=MAX_PAGE))
