"""QR codes of Direct Payment: each charge point with ``auth_direct_payment`` on has one that opens the driver's
page ``PUBLIC_URL/pay/{evse_id}``, as SVG and PNG, and each station a printable sticker sheet of them.

``ChargePoint.auth_direct_payment`` is the one Direct Payment switch: it gives the QR code, opens the driver's page
and lets the payment's idTag start that charge point (core.payments.driver). The station's "Zugang" tab sets it on
all the station's charge points.
"""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import quote

import segno

from core.errors import NotFound
from core.infrastructure.charge_points import get_charge_point, list_charge_points
from core.infrastructure.stations import get_station
from core.infrastructure.tables import Location
from core.settings import get_settings
from core.tenancy.actor import Actor


def pay_url(evse_id: str) -> str:
    """The driver's page of a charge point (what its QR code opens)."""
    return f"{get_settings().public_url}/pay/{quote(evse_id, safe='*')}"


def _code(url: str) -> segno.QRCode:
    # error correction Q: a sticker outdoors survives scratches and dirt on a quarter of its modules
    return segno.make_qr(url, error="q", boost_error=False)


def qr_svg(url: str, *, scale: int = 4) -> bytes:
    out = io.BytesIO()
    _code(url).save(out, kind="svg", scale=scale, border=4, xmldecl=False, svgns=True, title=url)
    return out.getvalue()


def qr_png(url: str, *, scale: int = 10) -> bytes:
    out = io.BytesIO()
    _code(url).save(out, kind="png", scale=scale, border=4)
    return out.getvalue()


def has_qr_code(charge_point: dict[str, Any]) -> bool:
    return bool(charge_point.get("auth_direct_payment") and charge_point.get("evse_id")) and not charge_point.get(
        "decommissioned_at"
    )


async def qr_charge_point(actor: Actor, charge_point_id: int) -> dict[str, Any]:
    """A charge point of the actor's tenants that has a QR code (NotFound otherwise)."""
    charge_point = await get_charge_point(actor, charge_point_id)
    if not has_qr_code(charge_point):
        raise NotFound("charge_point")
    return charge_point


async def sticker_sheet(actor: Actor, station_id: int) -> dict[str, Any]:
    """A station's stickers: per charge point with Direct Payment the QR code (inline SVG), its URL and EVSE-ID,
    and the hotline of the station's location."""
    station = await get_station(actor, station_id)
    location = (
        await Location.select(Location.name, Location.hotline, Location.operator_name)
        .where(Location.id == station["location"])
        .first()
    )
    stickers = []
    for charge_point in await list_charge_points(actor, station_id=station_id, include_decommissioned=False):
        if has_qr_code(charge_point):
            url = pay_url(charge_point["evse_id"])
            stickers.append({"charge_point": charge_point, "url": url, "svg": qr_svg(url, scale=8).decode()})
    return {"station": station, "location": location or {}, "stickers": stickers}
