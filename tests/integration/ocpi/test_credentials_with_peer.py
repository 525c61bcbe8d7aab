"""The credentials handshake in both directions against extrawest-ocpi (its own process), csms in a subprocess:
token A only until the registration, a second POST 405, PUT rotates, DELETE ends; every exchange logged."""

from __future__ import annotations

import asyncio
import base64
from typing import Any

import httpx

from core.roaming import connections, exchange_log, partners
from core.roaming.partners import PartnerState
from core.roaming.tables import OcpiExchange
from tests.ocpi_peer.peer import OcpiPeer
from tests.support import TenantCtx


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": "Token " + base64.b64encode(token.encode()).decode()}


async def _peer_partner(peer: OcpiPeer) -> dict[str, Any]:
    (partner,) = await peer.partners()
    return partner


async def test_the_peer_registers_with_csms_rotates_and_ends(
    ocpi_emsp: OcpiPeer, csms_url: str, emp_exw: TenantCtx
) -> None:
    created = await partners.create_partner(emp_exw.actor, {"name": "extrawest"})
    versions = f"{csms_url}/ocpi/versions"
    result = await ocpi_emsp.register(versions, created.token_a)
    assert result["ok"], result["steps"]

    partner = await partners.get_partner(emp_exw.actor, created.partner["id"])
    assert partner["state"] == PartnerState.REGISTERED
    assert [(r["role"], r["country_code"], r["party_id"]) for r in partner["roles"]] == [("EMSP", "DE", "EXW")]
    assert partners.endpoint_url(partner, "credentials", "SENDER") or partners.endpoint_url(
        partner, "credentials", "RECEIVER"
    )
    hub = await partners.hub_operator()
    peer_side = await _peer_partner(ocpi_emsp)
    assert [(r["role"], r["party_id"].upper()) for r in peer_side["roles"]] == [("HUB", hub["party_id"])]
    token_c = peer_side["their_token"]

    async with httpx.AsyncClient(base_url=csms_url) as http:
        # Token A died with the registration; token C works, on versions and credentials alike.
        assert (await http.get("/ocpi/versions", headers=_auth(created.token_a))).status_code == 401
        assert (await http.get("/ocpi/versions", headers=_auth(token_c))).json()["status_code"] == 1000
        # A second POST: 405 in the envelope.
        again = await http.post("/ocpi/2.2.1/credentials", headers=_auth(token_c), json={"token": "x"})
        assert again.status_code == 405
        assert again.json()["status_code"] == 2000 and "timestamp" in again.json()

        rotated = await ocpi_emsp.update_credentials()
        assert rotated.get("ok", True), rotated
        new_c = (await _peer_partner(ocpi_emsp))["their_token"]
        assert new_c != token_c
        assert (await http.get("/ocpi/versions", headers=_auth(token_c))).status_code == 401
        assert (await http.get("/ocpi/versions", headers=_auth(new_c))).status_code == 200

        await ocpi_emsp.unregister()
        ended = await partners.get_partner(emp_exw.actor, created.partner["id"])
        assert ended["state"] == PartnerState.ENDED
        assert (await http.get("/ocpi/versions", headers=_auth(new_c))).status_code == 401

    expected = {("in", "POST", "credentials"), ("out", "GET", "versions"), ("in", "PUT", "credentials"),
                ("in", "DELETE", "credentials")}  # fmt: skip
    log: list[dict[str, Any]] = []
    for _ in range(50):  # the node logs an exchange once its answer is sent: the last one may still be on its way
        log = await exchange_log.partner_log(emp_exw.actor, created.partner["id"], exchange_log.ExchangeFilter.of())
        if expected <= {(r["direction"], r["method"], r["module"]) for r in log}:
            break
        await asyncio.sleep(0.1)
    assert expected <= {(r["direction"], r["method"], r["module"]) for r in log}
    post = next(r for r in log if (r["direction"], r["method"]) == ("in", "POST") and r["http_status"] == 200)
    assert post["ocpi_status"] == 1000 and post["request_id"] and '"token"' in post["request_body"]


async def test_csms_registers_with_the_peer_rotates_and_ends(
    ocpi_emsp: OcpiPeer, csms_public_url: str, emp_exw: TenantCtx
) -> None:
    token_a = await ocpi_emsp.token_a()
    partner = await connections.connect_to(
        emp_exw.actor, {"name": "extrawest", "versions_url": ocpi_emsp.versions_url, "token_a": token_a}
    )
    assert partner["state"] == PartnerState.REGISTERED
    assert [(r["role"], r["party_id"]) for r in partner["roles"]] == [("EMSP", "EXW")]
    peer_side = await _peer_partner(ocpi_emsp)
    assert peer_side["registered_by"] == "partner"
    assert peer_side["our_token"] == partner["outgoing_token"]

    await connections.rotate(emp_exw.actor, partner["id"])
    rotated = await partners.get_partner(emp_exw.actor, partner["id"])
    assert rotated["outgoing_token"] != partner["outgoing_token"]
    assert (await _peer_partner(ocpi_emsp))["our_token"] == rotated["outgoing_token"]

    await connections.end(emp_exw.actor, partner["id"])
    assert (await partners.get_partner(emp_exw.actor, partner["id"]))["state"] == PartnerState.ENDED
    assert await ocpi_emsp.partners() == []
    outgoing = (
        await OcpiExchange.select()
        .where((OcpiExchange.partner == partner["id"]) & (OcpiExchange.direction == "out"))
        .order_by(OcpiExchange.id)
    )
    assert [(r["method"], r["module"]) for r in outgoing] == [
        ("GET", "versions"), ("GET", "versions"), ("POST", "credentials"), ("PUT", "credentials"),
        ("DELETE", "credentials"),
    ]  # fmt: skip
    assert all(r["http_status"] == 200 and r["ocpi_status"] == 1000 for r in outgoing), outgoing
    assert rotated["last_push_at"] is not None
