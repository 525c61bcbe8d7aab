"""OCPP Authorize of a partner's whitelisted token costs no more queries than a csms charging card's plus one (issue
14: 1,000 stations authorising at once), and the one joined query keeps every rule of who may charge where.

Queries are counted at Piccolo's engine (every ORM and raw statement passes ``run_querystring``), around the core
function the OCPP handler calls, on a real database."""

from __future__ import annotations

import contextlib
import contextvars
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from core import db
from core.access import cards
from core.charging import transactions
from core.charging.authorization import authorize_roaming
from core.charging.tables import ChargingSession
from core.infrastructure import charge_points, locations
from core.roaming import contract_groups, marketing, partners, tokens
from core.roaming.tables import Partner
from csms.wiring import wire_hub
from tests.integration.infrastructure.conftest import Site
from tests.integration.roaming.conftest import ready_site
from tests.support import TenantCtx, make_tenant

SWITCHES_ON = {"access_type": "PUBLIC_PAID", "show_as_poi": "on", "marketing": "on", "roaming": "on",
               "auth_local_rfid": "on", "auth_remote": "on"}  # fmt: skip


_COUNTING: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("counting", default=None)


@contextlib.contextmanager
def counted_queries(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The SQL of every statement Piccolo runs inside the block, in this task (and tasks it starts): a periodic job
    of the embedded scheduler that runs in the same event loop meanwhile (a session push tick) is not counted."""
    engine = type(db.engine())  # its instances take no attributes of their own
    run = engine.run_querystring
    seen: list[str] = []

    async def counting(self: Any, querystring: Any, *args: Any, **kwargs: Any) -> Any:
        target = _COUNTING.get()
        if target is not None:
            target.append(str(querystring))
        return await run(self, querystring, *args, **kwargs)

    reset = _COUNTING.set(seen)
    try:
        with monkeypatch.context() as patch:
            patch.setattr(engine, "run_querystring", counting)
            yield seen
    finally:
        _COUNTING.reset(reset)


def _station(site: Site) -> dict[str, Any]:
    return {"id": site.station["id"], "tenant": site.station["tenant"], "charge_box_id": site.station["charge_box_id"]}


async def _registered(owner: TenantCtx, party: str) -> dict[str, Any]:
    """A partner of ``owner`` (an EMP tenant or the hub operator) that has registered, speaking for DE/``party``."""
    created = await partners.create_partner(owner.actor, {"name": f"partner {party}"})
    roles = [{"role": "EMSP", "country_code": "DE", "party_id": party, "name": party}]
    connection = partners.Connection("out", "http://partner.invalid/versions", "2.2.1", [], roles)
    await partners.complete_registration(created.partner["id"], connection, uuid.uuid4().hex)
    return await partners.partner_by_id(created.partner["id"])


async def _push(partner: dict[str, Any], party: str, uid: str, **extra: Any) -> None:
    body = {"country_code": "DE", "party_id": party, "uid": uid, "type": "RFID", "contract_id": f"DE-{party}-{uid}",
            "issuer": "test", "valid": True, "whitelist": "ALWAYS", "last_updated": "2026-12-01T10:00:00Z",
            **extra}  # fmt: skip
    await tokens.put_token(partner, tokens.TokenAddress.of("DE", party, uid, None), body)


def _tag() -> str:
    return "T" + uuid.uuid4().hex[:11].upper()


@pytest.fixture
def wired() -> None:
    wire_hub()  # as csms serve does: partners' tokens are checked at Authorize


async def test_a_whitelisted_partner_token_costs_a_card_plus_at_most_one_query(
    wired: None, monkeypatch: pytest.MonkeyPatch, cpo: TenantCtx, site: Site, emp: TenantCtx
) -> None:
    await contract_groups.set_hub_enabled(cpo.actor, True)
    group = await contract_groups.create_group(cpo.actor, {"name": "Vertrag", "emp_tenant_ids": [emp.id]})
    await contract_groups.save_station_hub(cpo.actor, site.station["id"], True, [group["id"]])
    await marketing.save_marketing(cpo.actor, site.station["id"], SWITCHES_ON)
    card_uid = "C0" + uuid.uuid4().hex[:10].upper()
    await cards.create_card(cpo.actor, {"uid": card_uid, "label": "Anker"})
    partner = await _registered(emp, "QRY")
    first, second, stranger_tag = _tag(), _tag(), _tag()  # other tests' partners may hold tags of their own
    await _push(partner, "QRY", first)
    station = _station(site)

    with counted_queries(monkeypatch) as card_queries:
        card = await transactions.authorize_id_tag(station, card_uid)
    with counted_queries(monkeypatch) as token_queries:
        token = await transactions.authorize_id_tag(station, first.lower())  # an id tag is matched case-insensitively
    assert card.status.value == "Accepted" and card.card_id is not None
    assert token.status.value == "Accepted" and token.reason == "whitelisted"
    assert token.roaming_partner_id == partner["id"] and token.roaming_contract_id == f"DE-QRY-{first}"
    # The card: its row, the open-session check, the pending session. The token: the card lookup that finds
    # nothing, the joined query (station switches, token, partner, where it may charge), the pending session.
    assert len(card_queries) == 3, card_queries
    assert len(token_queries) == 3, token_queries
    assert len(token_queries) <= len(card_queries) + 1
    pending = await ChargingSession.select().where(
        (ChargingSession.station == site.station["id"]) & (ChargingSession.id_tag == first)
    )
    assert [row["roaming_partner_id"] for row in pending] == [partner["id"]]

    # A token that is not valid is blocked by the same query; an unknown tag asks the partners that may charge
    # here (none offers real-time authorization): it stays an unknown card.
    await _push(partner, "QRY", second, valid=False)
    blocked = await transactions.authorize_id_tag(station, second)
    assert (blocked.status.value, blocked.reason) == ("Blocked", "token_not_valid")
    unknown = await transactions.authorize_id_tag(station, stranger_tag)
    assert (unknown.status.value, unknown.reason) == ("Invalid", "unknown_card")


async def _verdict(site: Site, id_tag: str) -> tuple[str, str]:
    result = await transactions.authorize_id_tag(_station(site), id_tag)
    return result.status.value, result.reason


async def test_the_joined_query_keeps_each_condition_of_the_access_rule(
    wired: None, cpo: TenantCtx, emp: TenantCtx, unique: str
) -> None:
    site = await ready_site(cpo, unique)
    evse_id = site.charge_point["evse_id"].removesuffix("*1") + "*2"  # a second charge point, ready like the first
    second = {"station_id": site.station["id"], "evse_number": "2", "evse_id": evse_id}
    other_cp = await charge_points.create_charge_point(cpo.actor, second)
    await contract_groups.set_hub_enabled(cpo.actor, True)
    group = await contract_groups.create_group(cpo.actor, {"name": "Vertrag", "emp_tenant_ids": [emp.id]})
    await contract_groups.save_station_hub(cpo.actor, site.station["id"], True, [group["id"]])
    partner = await _registered(emp, "RUL")
    ours, theirs, platforms = _tag(), _tag(), _tag()
    await _push(partner, "RUL", ours)
    # Roaming switched off at the station: nobody's token is looked at, the tag stays an unknown card.
    assert await _verdict(site, ours) == ("Invalid", "unknown_card")
    await marketing.save_marketing(cpo.actor, site.station["id"], SWITCHES_ON)
    accepted = ("Accepted", "whitelisted")
    refused = ("Invalid", "partner_not_allowed_here")
    assert await _verdict(site, ours) == accepted

    # StartTransaction names the charge point: the rule is asked for that one.
    here = await authorize_roaming(cpo.id, site.station["id"], site.charge_point, ours)
    assert here is not None and here.accepted
    await charge_points.decommission_charge_point(cpo.actor, other_cp["id"])
    gone = await authorize_roaming(cpo.id, site.station["id"], other_cp, ours)
    assert gone is not None and (gone.status.value, gone.reason) == refused
    assert await _verdict(site, ours) == accepted  # station-wide: the other charge point is still open

    # Each revocation refuses the partner's token here.
    await contract_groups.set_hub_enabled(cpo.actor, False)
    assert await _verdict(site, ours) == refused
    await contract_groups.set_hub_enabled(cpo.actor, True)
    await contract_groups.update_group(cpo.actor, group["id"], {"name": "Vertrag", "emp_tenant_ids": []})
    assert await _verdict(site, ours) == refused
    await contract_groups.update_group(cpo.actor, group["id"], {"name": "Vertrag", "emp_tenant_ids": [emp.id]})
    assert await _verdict(site, ours) == accepted
    await contract_groups.save_station_hub(cpo.actor, site.station["id"], False, [group["id"]])
    assert await _verdict(site, ours) == refused
    await contract_groups.save_station_hub(cpo.actor, site.station["id"], True, [group["id"]])
    await locations.update_location(cpo.actor, site.location["id"], {"publish": False})
    assert await _verdict(site, ours) == refused
    await locations.update_location(cpo.actor, site.location["id"], {"publish": True})
    assert await _verdict(site, ours) == accepted

    # Another EMP's partner is not in the contract group; a partner whose connection ended has no tokens.
    stranger = await make_tenant(kind="EMP")
    stranger_partner = await _registered(stranger, "STR")
    await _push(stranger_partner, "STR", theirs)
    assert await _verdict(site, theirs) == refused
    await Partner.update({Partner.state: partners.PartnerState.ENDED}).where(Partner.id == partner["id"])
    assert await _verdict(site, ours) == ("Invalid", "unknown_card")

    # A roaming platform (the hub operator's partner) charges where the station's Roaming+ switch is on, whatever
    # the contract groups say.
    hub = await make_tenant(kind="HUB")
    platform = await _registered(hub, "PLT")
    await _push(platform, "PLT", platforms)
    assert await _verdict(site, platforms) == refused
    plus = {**SWITCHES_ON, "roaming_plus": "on", "platform_name": "Test"}
    await marketing.save_marketing(cpo.actor, site.station["id"], plus)
    assert await _verdict(site, platforms) == accepted
    await marketing.save_marketing(cpo.actor, site.station["id"], {**plus, "roaming": ""})
    assert await _verdict(site, platforms) == accepted  # Roaming+ alone opens the station to the platform
    assert await _verdict(site, theirs) == refused
