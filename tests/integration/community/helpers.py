"""Helpers of the community tests: a community with a charge point, members with cards, and the links in mails."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

from core.access import cards
from core.community import communities
from core.community.tables import CommunityMember
from core.infrastructure import charge_points, stations
from core.mail.tables import Mail
from core.tariffs import tariffs
from tests.integration.driver_groups.steps import location
from tests.support import TenantCtx

LINK = re.compile(r"/driver/link/([A-Za-z0-9_-]+)")


@dataclass
class Setup:
    community: dict[str, Any]
    charge_point_id: int


async def community_with_point(ctx: TenantCtx, name: str = "Mieter Hof", per_kwh: str = "0.30") -> Setup:
    prices = {"ac_energy_per_kwh": per_kwh, "dc_energy_per_kwh": per_kwh}
    tariff = await tariffs.create_tariff(ctx.actor, {"name": f"Community {per_kwh}", "currency": "EUR", **prices})
    community = await communities.create_community(ctx.actor, {"name": name, "tariff_id": tariff["id"]})
    place = await location(ctx, f"Hof {uuid.uuid4().hex[:6]}")
    station, _ = await stations.create_station(
        ctx.actor, {"location_id": place["id"], "charge_box_id": f"COM-{uuid.uuid4().hex[:10]}"}
    )
    point = await charge_points.create_charge_point(
        ctx.actor, {"station_id": station["id"], "evse_number": 1, "evse_id": f"DE*ISE*E{ctx.id}{station['id']}*1"}
    )
    return Setup(community, int(point["id"]))


async def member(ctx: TenantCtx, community: dict[str, Any], email: str, language: str = "de") -> dict[str, Any]:
    """An invited member with a new card of its own."""
    await communities.invite(ctx.actor, community["id"], email, language)
    row = await CommunityMember.select().where(
        (CommunityMember.community == community["id"]) & (CommunityMember.email == email.lower())
    ).first()  # fmt: skip
    assert row is not None
    card = await cards.create_card(ctx.actor, {"uid": uuid.uuid4().hex[:12].upper()})
    await communities.assign_card(ctx.actor, community["id"], row["id"], card["id"])
    return {**row, "card_id": card["id"]}


async def mails_to(address: str, kind: str) -> list[dict[str, Any]]:
    return list(await Mail.select().where((Mail.recipient == address) & (Mail.kind == kind)).order_by(Mail.id))


async def link_token(address: str, kind: str = "community_invite") -> str:
    """The token of the newest link mailed to ``address``."""
    found = LINK.search((await mails_to(address, kind))[-1]["body_text"])
    assert found, "no link in the mail"
    return found.group(1)
