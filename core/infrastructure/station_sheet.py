"""The station data sheet's extra tabs: free attributes, the marketing readiness checklist, charge groups and
the OCPP address a station must be configured with.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from piccolo.query.functions.aggregate import Count

from core.errors import Message, ValidationError
from core.infrastructure.charge_points import list_charge_points
from core.infrastructure.locations import get_location
from core.infrastructure.stations import get_station, update_station
from core.infrastructure.tables import ChargeGroupMember, Connector
from core.settings import DEFAULT_PUBLIC_URL, Settings, get_settings
from core.tenancy.actor import Actor

MAX_ATTRIBUTES = 50
MAX_ATTRIBUTE_KEY = 64
MAX_ATTRIBUTE_VALUE = 255

# The readiness checklist of the "Access" tab (vaylens): what roaming and POI listings need.
MARKETING_CHECKS: tuple[tuple[str, str], ...] = (
    ("evse_id", "EVSE-ID"),
    ("address", "Address"),
    ("city", "City"),
    ("postal_code", "Postal code"),
    ("country", "Country"),
    ("coordinates", "Coordinates"),
    ("hotline", "Hotline"),
    ("auth_type", "Authorisation type"),
    ("connectors", "Connectors"),
)


def clean_attributes(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """Free key/value pairs of a station: blank rows are dropped, keys are unique and bounded."""
    result: dict[str, str] = {}
    for raw_key, raw_value in pairs:
        key, value = raw_key.strip(), raw_value.strip()
        if not key and not value:
            continue
        if not key:
            raise ValidationError({"attributes": Message("Every value needs a key.")})
        if len(key) > MAX_ATTRIBUTE_KEY or len(value) > MAX_ATTRIBUTE_VALUE:
            raise ValidationError(
                {
                    "attributes": Message(
                        "Keys have at most %(key)s characters, values at most %(value)s.",
                        {"key": MAX_ATTRIBUTE_KEY, "value": MAX_ATTRIBUTE_VALUE},
                    )
                }
            )
        if key in result:
            raise ValidationError({"attributes": Message("The key %(key)s appears twice.", {"key": key})})
        result[key] = value
    if len(result) > MAX_ATTRIBUTES:
        raise ValidationError({"attributes": Message("At most %(max)s attributes.", {"max": MAX_ATTRIBUTES})})
    return result


async def set_station_attributes(actor: Actor, station_id: int, pairs: list[tuple[str, str]]) -> dict[str, Any]:
    return await update_station(actor, station_id, {"attributes": clean_attributes(pairs)})


def marketing_checklist(
    location: dict[str, Any], charge_points: list[dict[str, Any]], connector_counts: dict[int, int]
) -> list[tuple[str, str, bool]]:
    """(key, label msgid, fulfilled) for each readiness check; decommissioned charge points do not count."""
    active = [cp for cp in charge_points if cp.get("decommissioned_at") is None]
    done = {
        "evse_id": bool(active) and all(cp.get("evse_id") for cp in active),
        "address": bool(location.get("address")),
        "city": bool(location.get("city")),
        "postal_code": bool(location.get("postal_code")),
        "country": bool(location.get("country")),
        "coordinates": location.get("latitude") is not None and location.get("longitude") is not None,
        "hotline": bool(location.get("hotline")),
        "auth_type": bool(active)
        and all(cp.get("auth_local_rfid") or cp.get("auth_remote") or cp.get("auth_direct_payment") for cp in active),
        "connectors": bool(active) and all(connector_counts.get(cp["id"], 0) > 0 for cp in active),
    }
    return [(key, label, done[key]) for key, label in MARKETING_CHECKS]


async def station_marketing(actor: Actor, station_id: int) -> list[tuple[str, str, bool]]:
    station = await get_station(actor, station_id)
    location = await get_location(actor, station["location"])
    charge_points = await list_charge_points(actor, station_id=station_id)
    counts: dict[int, int] = {}
    if charge_points:
        rows = (
            await Connector.select(Connector.charge_point, Count(alias="n"))
            .where(Connector.charge_point.is_in([cp["id"] for cp in charge_points]))
            .group_by(Connector.charge_point)
        )
        counts = {row["charge_point"]: row["n"] for row in rows}
    return marketing_checklist(location, charge_points, counts)


async def station_charge_groups(actor: Actor, station_id: int) -> list[dict[str, Any]]:
    """The charge groups any charge point of the station belongs to."""
    await get_station(actor, station_id)
    rows = (
        await ChargeGroupMember.select(
            ChargeGroupMember.group.id.as_alias("id"),
            ChargeGroupMember.group.name.as_alias("name"),
            ChargeGroupMember.group.access_control.as_alias("access_control"),
        )
        .where(
            (ChargeGroupMember.charge_point.station == station_id) & ChargeGroupMember.group.tenant.is_in(actor.scope)
        )
        .order_by(ChargeGroupMember.group.name)
    )
    unique: dict[int, dict[str, Any]] = {row["id"]: row for row in rows}
    return list(unique.values())


def _websocket_url(base: str, charge_box_id: str) -> str:
    """``base`` (http(s)://host[:port][/prefix]) as the station websocket's ws(s)://host[:port][/prefix]/ocpp/<id>."""
    scheme, _, rest = base.rstrip("/").partition("://")
    return f"{'wss' if scheme == 'https' else 'ws'}://{rest}/ocpp/{charge_box_id}"


def ocpp_url(charge_box_id: str) -> str:
    """The websocket address a station must use: ws:// or wss:// like the public address, then /ocpp/<id>."""
    return _websocket_url(get_settings().public_url, charge_box_id)


@dataclass(frozen=True)
class OcppAddress:
    url: str  # what the station must be configured with
    reached_url: str  # the same path at the address the page showing it was opened with
    warning: Message | None = None


def ocpp_address(charge_box_id: str, reached_base: str, settings: Settings | None = None) -> OcppAddress:
    """What a station must configure, for a page opened at ``reached_base`` (its scheme, host and port: where
    this server really answers, TLS included).

    PUBLIC_URL names the address stations reach (a proxy's, say). Left at its default it names nobody's address,
    so the page's own address is shown instead, with a warning to set PUBLIC_URL.
    """
    settings = settings or get_settings()
    reached = _websocket_url(reached_base, charge_box_id)
    if not settings.public_url_set:
        return OcppAddress(
            reached,
            reached,
            Message(
                "PUBLIC_URL is not set (default %(default)s), so csms does not know the address stations reach it "
                "at: the address shown is the one this page was opened with. Set PUBLIC_URL to the address "
                "stations and users reach and restart csms.",
                {"default": DEFAULT_PUBLIC_URL},
            ),
        )
    return OcppAddress(_websocket_url(settings.public_url, charge_box_id), reached)
