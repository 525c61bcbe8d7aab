"""A partner's drivers at a csms station: an OCPP station (bare websocket) talks to csms (a subprocess), whose
Authorize and StartTransaction ask extrawest-ocpi (the eMSP, its own process) in real time for tokens csms does not
hold or may not whitelist, and decide pushed whitelisted tokens alone; an eMSP that does not answer leaves the
whitelist rule to decide (ALLOWED_OFFLINE charges, NEVER does not)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from core.cdrs import building
from core.charging.tables import ChargingSession
from core.infrastructure.tables import ChargingStation
from core.outbox import OutboxMessage
from core.roaming import cdr_push, marketing, partners
from core.roaming.tables import Partner
from core.tenancy.passwords import hash_password
from hub.cdr_push import HubCdrLink
from tests.integration.infrastructure.conftest import Site
from tests.integration.ocpi.test_sender_modules import SWITCHES_ON, open_to, roaming_cpo, roaming_site
from tests.ocpi_peer.peer import OcpiPeer
from tests.support import RawStation, TenantCtx, free_port

PASSWORD = "roaming-station-0123"  # noqa: S105 - test credential


def token(uid: str, whitelist: str, **extra: Any) -> dict[str, Any]:
    return {"country_code": "DE", "party_id": "EXW", "uid": uid, "type": "RFID", "contract_id": f"DE-EXW-{uid}",
            "issuer": "extrawest", "valid": True, "whitelist": whitelist,
            "last_updated": "2026-12-01T10:00:00Z", **extra}  # fmt: skip


@dataclass
class Roaming:
    cpo: TenantCtx
    site: Site
    partner: dict[str, Any]
    station: RawStation


@pytest.fixture
async def roaming(ocpi_emsp: OcpiPeer, csms_url: str, emp_exw: TenantCtx) -> AsyncIterator[Roaming]:
    """A CPO's roaming station open to the peer's EMP tenant, the peer registered with csms, the station booted."""
    cpo = await roaming_cpo()
    site = await roaming_site(cpo, await open_to(cpo, emp_exw))
    await ChargingStation.update({
        ChargingStation.ocpp_password_hash: hash_password(PASSWORD),
        ChargingStation.installation_status: "COMMISSIONED",
    }).where(ChargingStation.id == site.station["id"])  # fmt: skip
    created = await partners.create_partner(emp_exw.actor, {"name": "extrawest"})
    registration = await ocpi_emsp.register(f"{csms_url}/ocpi/versions", created.token_a)
    assert registration["ok"], registration["steps"]
    partner = await partners.partner_by_id(created.partner["id"])
    assert partners.endpoint_url(partner, "tokens", "SENDER")  # the peer offers real-time authorization
    url = "ws" + csms_url.removeprefix("http") + "/ocpp"
    async with RawStation.connect(url, site.station["charge_box_id"], PASSWORD) as station:
        boot = await station.call("BootNotification", {"chargePointVendor": "ABB", "chargePointModel": "Terra"})
        assert boot["status"] == "Accepted"
        yield Roaming(cpo, site, partner, station)


async def authorize(r: Roaming, id_tag: str) -> str:
    return str((await r.station.call("Authorize", {"idTag": id_tag}))["idTagInfo"]["status"])


async def test_tokens_csms_does_not_hold_are_asked_in_real_time(roaming: Roaming, ocpi_emsp: OcpiPeer) -> None:
    await ocpi_emsp.seed_tokens([token("CAFE0001", "NEVER"), token("CAFE0002", "NEVER", allowed="NO_CREDIT"),
                                 token("CAFE0003", "NEVER", valid=False)])  # fmt: skip
    assert await authorize(roaming, "CAFE0001") == "Accepted"
    assert await authorize(roaming, "CAFE0002") == "Invalid"  # NO_CREDIT: OCPP 1.6 has nothing finer
    assert await authorize(roaming, "CAFE0003") == "Blocked"
    assert await authorize(roaming, "FFFF0404") == "Invalid"  # the eMSP does not know it either
    asked = await ocpi_emsp.objects("authorizations")  # extrawest lower-cases CiStrings
    assert {a["token_uid"].upper() for a in asked} >= {"CAFE0001", "CAFE0002", "CAFE0003"}
    # LocationReferences: the station's location and the EVSEs the partner may see there
    place = next(a for a in asked if a["token_uid"].upper() == "CAFE0001")["location_reference"]
    assert place == {"location_id": str(roaming.site.location["id"]),
                     "evse_uids": [str(roaming.site.charge_point["id"])]}  # fmt: skip

    # The accepted tag starts charging: the session belongs to the partner, with the eMSP's reference.
    started = await roaming.station.call("StartTransaction", {
        "connectorId": roaming.site.charge_point["evse_number"], "idTag": "CAFE0001", "meterStart": 1000,
        "timestamp": datetime.now(UTC).isoformat().replace("+00:00", "Z")})  # fmt: skip
    assert started["idTagInfo"]["status"] == "Accepted"
    session = await ChargingSession.select().where(ChargingSession.id == started["transactionId"]).first()
    assert session is not None and session["roaming_partner_id"] == roaming.partner["id"]
    assert session["authorization_reference"]
    assert session["roaming_contract_id"].upper() == "DE-EXW-CAFE0001"  # from the Token in the eMSP's answer
    held = session["roaming_token"]
    held = json.loads(held) if isinstance(held, str) else held
    assert {k: v.upper() for k, v in held.items()} == {"country_code": "DE", "party_id": "EXW", "uid": "CAFE0001",
                                                      "type": "RFID", "contract_id": "DE-EXW-CAFE0001"}  # fmt: skip
    assert len([a for a in await ocpi_emsp.objects("authorizations") if a["token_uid"].upper() == "CAFE0001"]) == 1
    stopped = await roaming.station.call("StopTransaction", {
        "transactionId": started["transactionId"], "idTag": "CAFE0001", "meterStop": 5000,
        "timestamp": datetime.now(UTC).isoformat().replace("+00:00", "Z")})  # fmt: skip
    assert stopped["idTagInfo"]["status"] == "Accepted"


async def test_pushed_tokens_follow_their_whitelist(roaming: Roaming, ocpi_emsp: OcpiPeer) -> None:
    path = "/DE/EXW/{uid}"
    for t in (token("BEEF0001", "ALWAYS"), token("BEEF0002", "ALWAYS", valid=False),
              token("BEEF0003", "ALLOWED_OFFLINE"), token("BEEF0004", "NEVER")):  # fmt: skip
        pushed = await ocpi_emsp.send("tokens", "PUT", path.format(uid=t["uid"]), role="RECEIVER", json=t)
        assert pushed["status"] == 200 and pushed["body"]["status_code"] == 1000, pushed
    await ocpi_emsp.seed_tokens([token("BEEF0003", "ALLOWED_OFFLINE"), token("BEEF0004", "NEVER")])

    assert await authorize(roaming, "BEEF0001") == "Accepted"
    assert await authorize(roaming, "BEEF0002") == "Blocked"
    assert await authorize(roaming, "BEEF0003") == "Accepted"
    assert await authorize(roaming, "BEEF0004") == "Accepted"
    asked = {a["token_uid"].upper() for a in await ocpi_emsp.objects("authorizations")}
    assert asked == {"BEEF0003", "BEEF0004"}  # whitelisted tokens are decided without asking

    # The eMSP stops answering (its tokens endpoint unreachable): ALLOWED_OFFLINE still charges, NEVER does not.
    gone = [{**e, "url": f"http://127.0.0.1:{free_port()}/gone"} if e["identifier"] == "tokens" else e
            for e in roaming.partner["endpoints"]]  # fmt: skip
    await Partner.update({Partner.endpoints: gone}).where(Partner.id == roaming.partner["id"])
    assert await authorize(roaming, "BEEF0003") == "Accepted"
    assert await authorize(roaming, "BEEF0004") == "Invalid"
    assert await authorize(roaming, "BEEF0001") == "Accepted"


async def test_a_partner_not_allowed_at_the_station_is_refused(roaming: Roaming, ocpi_emsp: OcpiPeer) -> None:
    always = token("D00D0001", "ALWAYS")
    pushed = await ocpi_emsp.send("tokens", "PUT", "/DE/EXW/D00D0001", role="RECEIVER", json=always)
    assert pushed["body"]["status_code"] == 1000, pushed
    assert await authorize(roaming, "D00D0001") == "Accepted"
    # Roaming switched off at the station: the partner's drivers may no longer charge there.
    await marketing.save_marketing(roaming.cpo.actor, roaming.site.station["id"], {**SWITCHES_ON, "roaming": ""})
    assert await authorize(roaming, "D00D0001") == "Invalid"


async def test_the_cdr_of_a_partners_driver_is_posted_to_the_partner(roaming: Roaming, ocpi_emsp: OcpiPeer) -> None:
    await ocpi_emsp.seed_tokens([token("CAFE0009", "NEVER")])
    stamp = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    started = await roaming.station.call("StartTransaction", {
        "connectorId": roaming.site.charge_point["evse_number"], "idTag": "CAFE0009", "meterStart": 0,
        "timestamp": stamp})  # fmt: skip
    assert started["idTagInfo"]["status"] == "Accepted"
    await roaming.station.call("StopTransaction", {"transactionId": started["transactionId"], "idTag": "CAFE0009",
                                                   "meterStop": 12_000, "timestamp": stamp})  # fmt: skip
    # Whoever builds the CDR (the server's own jobs when embedded, a worker in production: played here), the outbox
    # message that sends it is handed to the job, which POSTs it to the partner's CDRs receiver.
    cdr_id = await building.create_cdr(started["transactionId"])
    assert cdr_id is not None
    message = await OutboxMessage.select().where(OutboxMessage.dedupe_key == f"cdr-roaming:{cdr_id}").first()
    assert message is not None
    cdr_push.register_link(HubCdrLink())
    try:
        assert await cdr_push.send(message["id"])
    finally:
        cdr_push.register_link(None)
    posted = []
    for _ in range(50):
        posted = [c for c in await ocpi_emsp.objects("cdrs") if str(c.get("id")) == str(cdr_id)]
        if posted:
            break
        await asyncio.sleep(0.2)
    assert posted, await ocpi_emsp.received("cdrs")
    assert posted[0]["cdr_token"]["uid"].upper() == "CAFE0009" and float(posted[0]["total_energy"]) == 12.0
    # The relay of another process (embedded: this process's own app) may have claimed the message first: its run
    # POSTed the CDR and settles the message a moment later, and this send() left it to that run.
    sent = None
    for _ in range(50):
        sent = await OutboxMessage.select().where(OutboxMessage.id == message["id"]).first()
        if sent is not None and sent["delivered_at"] is not None:
            break
        await asyncio.sleep(0.1)
    assert sent is not None and sent["delivered_at"] is not None
    assert await cdr_push.send(message["id"])  # delivered once: handed over again, nothing is sent twice
    assert len([c for c in await ocpi_emsp.objects("cdrs") if str(c.get("id")) == str(cdr_id)]) == 1
