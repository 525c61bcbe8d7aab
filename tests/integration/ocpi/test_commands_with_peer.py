"""A partner's commands at a csms station: extrawest-ocpi (the eMSP, its own process) POSTs START_SESSION,
STOP_SESSION and UNLOCK_CONNECTOR to csms (a subprocess); an OCPP station on a bare websocket answers csms's
RemoteStartTransaction / RemoteStopTransaction / UnlockConnector, or does not; the CommandResult arrives at the
peer's response_url. A session the station starts after csms reported TIMEOUT still belongs to the partner."""

from __future__ import annotations

import asyncio
import json
import os
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from core.charging.tables import ChargingSession
from core.infrastructure.tables import ChargingStation
from core.roaming import commands, marketing, partners
from tests.integration.ocpi.test_sender_modules import SWITCHES_ON
from tests.integration.ocpi.test_token_auth_with_peer import Roaming, roaming
from tests.ocpi_peer.peer import OcpiPeer
from tests.support import RawStation, csms_serve, free_port

__all__ = ["roaming"]  # the fixture, on this module's csms

WAIT = 2  # seconds csms gives the station to answer a partner's command (OCPI_COMMAND_TIMEOUT)


@pytest.fixture(scope="module")
def csms_url() -> Iterator[str]:
    """csms serve with a short OCPP wait for partners' commands, so that a silent station times out quickly."""
    port = free_port()
    env = {**os.environ, "PUBLIC_URL": f"http://127.0.0.1:{port}", "OCPI_COMMAND_TIMEOUT": str(WAIT)}
    with csms_serve(env, port=port) as base:
        yield base


def emsp_token(uid: str, **extra: Any) -> dict[str, Any]:
    return {
        "country_code": "DE",
        "party_id": "EXW",
        "uid": uid,
        "type": "APP_USER",
        "contract_id": f"DE-EXW-{uid}"[:36],
        "issuer": "extrawest",
        "valid": True,
        "whitelist": "NEVER",
        "last_updated": "2026-12-01T10:00:00Z",
        **extra,
    }


def result_url(r: Roaming) -> tuple[str, str]:
    """A fresh response_url at the peer's commands receiver, and the uid the CommandResult is stored under."""
    base = partners.endpoint_url(r.partner, "commands", "SENDER")
    assert base, r.partner["endpoints"]
    uid = uuid.uuid4().hex[:12]
    return f"{base.rstrip('/')}/{uid}", uid


async def command(peer: OcpiPeer, name: str, body: dict[str, Any]) -> dict[str, Any]:
    sent = await peer.send("commands", "POST", f"/{name}", role="RECEIVER", json=body)
    assert sent["status"] == 200, sent
    return dict(sent["body"])


async def start(r: Roaming, peer: OcpiPeer, token: dict[str, Any], **extra: Any) -> tuple[dict[str, Any], str]:
    url, uid = result_url(r)
    body = {"response_url": url, "token": token, "location_id": str(r.site.location["id"]),
            "evse_uid": str(r.site.charge_point["id"]), "authorization_reference": "REF-" + uid, **extra}  # fmt: skip
    return await command(peer, "START_SESSION", body), uid


async def station_gets(station: RawStation, action: str, reply: dict[str, Any] | None) -> dict[str, Any]:
    """The next call csms sends the station; answered with ``reply`` (None: left unanswered)."""
    frame = json.loads(await asyncio.wait_for(station.ws.recv(), 15))
    assert frame[0] == 2 and frame[2] == action, frame
    if reply is not None:
        await station.ws.send(json.dumps([3, frame[1], reply]))
    return dict(frame[3])


async def result_at_peer(peer: OcpiPeer, uid: str, within: float = 15) -> dict[str, Any]:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        found = [c for c in await peer.objects("commands") if c.get("uid") == uid]
        if found:
            return found[0]
        await asyncio.sleep(0.1)
    raise AssertionError(f"no CommandResult {uid} at the peer")


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


async def start_transaction(r: Roaming, id_tag: str) -> dict[str, Any]:
    started = await r.station.call(
        "StartTransaction",
        {"connectorId": r.site.charge_point["evse_number"], "idTag": id_tag, "meterStart": 100, "timestamp": _now()},
    )
    assert started["idTagInfo"]["status"] == "Accepted", started
    session = await ChargingSession.select().where(ChargingSession.id == started["transactionId"]).first()
    assert session is not None
    return session


def held_token(session: dict[str, Any]) -> dict[str, Any]:
    value = session["roaming_token"]
    return dict(json.loads(value) if isinstance(value, str) else value)


async def test_start_and_stop_session_reach_the_station_and_report_back(roaming: Roaming, ocpi_emsp: OcpiPeer) -> None:
    uid = "DE-EXW-APP-0123456789-ABCDEF"  # longer than an OCPP 1.6 idTag
    response, result_uid = await start(roaming, ocpi_emsp, emsp_token(uid))
    assert response["status_code"] == 1000 and response["data"]["result"] == "ACCEPTED", response
    assert response["data"]["timeout"] == WAIT + commands.RESULT_MARGIN_SECONDS  # the station's time, the way back
    asked = await station_gets(roaming.station, "RemoteStartTransaction", {"status": "Accepted"})
    assert asked["connectorId"] == roaming.site.charge_point["evse_number"]
    assert len(asked["idTag"]) == 20 and asked["idTag"] != uid[:20]  # derived from the uid, not cut
    assert (await result_at_peer(ocpi_emsp, result_uid))["result"] == "ACCEPTED"

    session = await start_transaction(roaming, asked["idTag"])
    assert session["roaming_partner_id"] == roaming.partner["id"]
    assert session["authorization_reference"] == "REF-" + result_uid
    assert session["roaming_contract_id"] == f"DE-EXW-{uid}"[:36]
    assert held_token(session)["uid"] == uid  # the uid the eMSP knows, for the session and the CDR
    assert session["auth_source"] == "REMOTE"

    url, stop_uid = result_url(roaming)
    stop = await command(ocpi_emsp, "STOP_SESSION", {"response_url": url, "session_id": str(session["id"])})
    assert stop["data"]["result"] == "ACCEPTED", stop
    asked = await station_gets(roaming.station, "RemoteStopTransaction", {"status": "Accepted"})
    assert asked == {"transactionId": session["id"]}
    assert (await result_at_peer(ocpi_emsp, stop_uid))["result"] == "ACCEPTED"

    # Sessions that are not the partner's drivers' are unknown to it.
    unknown = await command(ocpi_emsp, "STOP_SESSION", {"response_url": url, "session_id": "999999999"})
    assert unknown["data"]["result"] == "UNKNOWN_SESSION", unknown
    await ChargingSession.update({ChargingSession.roaming_partner_id: None}).where(ChargingSession.id == session["id"])
    foreign = await command(ocpi_emsp, "STOP_SESSION", {"response_url": url, "session_id": str(session["id"])})
    assert foreign["data"]["result"] == "UNKNOWN_SESSION", foreign


async def test_a_start_after_timeout_still_belongs_to_the_partner(roaming: Roaming, ocpi_emsp: OcpiPeer) -> None:
    response, result_uid = await start(roaming, ocpi_emsp, emsp_token("C0FFEE01"))
    assert response["data"]["result"] == "ACCEPTED", response
    asked = await station_gets(roaming.station, "RemoteStartTransaction", None)  # the station stays silent
    assert asked["idTag"] == "C0FFEE01"
    assert (await result_at_peer(ocpi_emsp, result_uid, within=WAIT + 15))["result"] == "TIMEOUT"

    session = await start_transaction(roaming, "C0FFEE01")  # the car plugged in after all
    assert session["roaming_partner_id"] == roaming.partner["id"]
    assert session["authorization_reference"] == "REF-" + result_uid
    assert held_token(session)["uid"] == "C0FFEE01"
    asked_emsp = [a for a in await ocpi_emsp.objects("authorizations") if a["token_uid"].upper() == "C0FFEE01"]
    assert not asked_emsp  # the command was the authorization: no second question to the eMSP


async def test_the_station_refuses(roaming: Roaming, ocpi_emsp: OcpiPeer) -> None:
    response, result_uid = await start(roaming, ocpi_emsp, emsp_token("C0FFEE02"))
    assert response["data"]["result"] == "ACCEPTED", response
    await station_gets(roaming.station, "RemoteStartTransaction", {"status": "Rejected"})
    assert (await result_at_peer(ocpi_emsp, result_uid))["result"] == "REJECTED"
    # Nothing stays waiting for a start the station refused.
    pending = await ChargingSession.select(ChargingSession.status).where(ChargingSession.id_tag == "C0FFEE02")
    assert [p["status"] for p in pending] == ["EXPIRED"]

    url, unlock_uid = result_url(roaming)
    place = {"location_id": str(roaming.site.location["id"]), "evse_uid": str(roaming.site.charge_point["id"]),
             "connector_id": "1"}  # fmt: skip
    unlock = await command(ocpi_emsp, "UNLOCK_CONNECTOR", {"response_url": url, **place})
    assert unlock["data"]["result"] == "ACCEPTED", unlock
    asked = await station_gets(roaming.station, "UnlockConnector", {"status": "UnlockFailed"})
    assert asked == {"connectorId": roaming.site.charge_point["evse_number"]}
    assert (await result_at_peer(ocpi_emsp, unlock_uid))["result"] == "FAILED"

    url, unlocked_uid = result_url(roaming)
    await command(ocpi_emsp, "UNLOCK_CONNECTOR", {"response_url": url, **place})
    await station_gets(roaming.station, "UnlockConnector", {"status": "Unlocked"})
    assert (await result_at_peer(ocpi_emsp, unlocked_uid))["result"] == "ACCEPTED"


async def test_refused_at_once(roaming: Roaming, ocpi_emsp: OcpiPeer) -> None:
    # A token of a party the connection does not speak for.
    other = await start(roaming, ocpi_emsp, emsp_token("C0FFEE03", country_code="NL", party_id="ABC"))
    assert other[0]["data"]["result"] == "REJECTED", other
    # An EVSE of another location, an unknown one.
    wrong = await start(roaming, ocpi_emsp, emsp_token("C0FFEE03"), location_id="999999999")
    assert wrong[0]["data"]["result"] == "REJECTED", wrong
    # Bad input: 2001; an unknown command: NOT_SUPPORTED.
    bad = await command(ocpi_emsp, "START_SESSION", {"token": emsp_token("C0FFEE03"), "location_id": "1"})
    assert bad["status_code"] == 2001 and "response_url" in bad["status_message"], bad
    url, _ = result_url(roaming)
    unknown = await command(ocpi_emsp, "SELF_DESTRUCT", {"response_url": url})
    assert unknown["status_code"] == 1000 and unknown["data"]["result"] == "NOT_SUPPORTED", unknown

    # Roaming switched off at the station: the partner may no longer command its charge points.
    await marketing.save_marketing(roaming.cpo.actor, roaming.site.station["id"], {**SWITCHES_ON, "roaming": ""})
    closed = await start(roaming, ocpi_emsp, emsp_token("C0FFEE03"))
    assert closed[0]["data"]["result"] == "REJECTED", closed
    assert not await ChargingSession.exists().where(ChargingSession.id_tag == "C0FFEE03")


async def test_an_offline_station_is_refused(roaming: Roaming, ocpi_emsp: OcpiPeer) -> None:
    await roaming.station.ws.close()
    deadline = time.monotonic() + 10
    while await ChargingStation.exists().where(
        (ChargingStation.id == roaming.site.station["id"]) & (ChargingStation.connected == True)  # noqa: E712
    ):
        assert time.monotonic() < deadline, "the station still counts as connected"
        await asyncio.sleep(0.1)
    response, _ = await start(roaming, ocpi_emsp, emsp_token("C0FFEE04"))
    assert response["data"]["result"] == "REJECTED", response
    assert "connected" in response["data"]["message"][0]["text"]


async def test_reserve_and_cancel(roaming: Roaming, ocpi_emsp: OcpiPeer) -> None:
    expiry = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=20)
    reserve = {"token": emsp_token("C0FFEE05"), "expiry_date": expiry.isoformat().replace("+00:00", "Z"),
               "reservation_id": "RES-1", "location_id": str(roaming.site.location["id"]),
               "evse_uid": str(roaming.site.charge_point["id"])}  # fmt: skip
    url, uid = result_url(roaming)
    answered = await command(ocpi_emsp, "RESERVE_NOW", {"response_url": url, **reserve})
    assert answered["data"]["result"] == "ACCEPTED", answered
    asked = await station_gets(roaming.station, "ReserveNow", {"status": "Accepted"})
    assert asked["idTag"] == "C0FFEE05" and asked["connectorId"] == roaming.site.charge_point["evse_number"]
    assert asked["expiryDate"] == expiry.isoformat().replace("+00:00", "Z")
    assert (await result_at_peer(ocpi_emsp, uid))["result"] == "ACCEPTED"

    # The same reservation_id again replaces the reservation: the station gets the same reservationId.
    url, again_uid = result_url(roaming)
    await command(ocpi_emsp, "RESERVE_NOW", {"response_url": url, **reserve})
    again = await station_gets(roaming.station, "ReserveNow", {"status": "Occupied"})
    assert again["reservationId"] == asked["reservationId"]
    assert (await result_at_peer(ocpi_emsp, again_uid))["result"] == "EVSE_OCCUPIED"

    url, cancel_uid = result_url(roaming)
    cancel = await command(ocpi_emsp, "CANCEL_RESERVATION", {"response_url": url, "reservation_id": "res-1"})
    assert cancel["data"]["result"] == "ACCEPTED", cancel
    cancelled = await station_gets(roaming.station, "CancelReservation", {"status": "Accepted"})
    assert cancelled == {"reservationId": asked["reservationId"]}
    assert (await result_at_peer(ocpi_emsp, cancel_uid))["result"] == "ACCEPTED"
    gone = await command(ocpi_emsp, "CANCEL_RESERVATION", {"response_url": url, "reservation_id": "RES-1"})
    assert gone["data"]["result"] == "REJECTED", gone  # csms forgot it once the station cancelled it

    past = {**reserve, "expiry_date": "2020-01-01T00:00:00Z"}
    late = await command(ocpi_emsp, "RESERVE_NOW", {"response_url": url, **past})
    assert late["data"]["result"] == "REJECTED", late
    bad = await command(ocpi_emsp, "RESERVE_NOW", {"response_url": url, **reserve, "expiry_date": "tomorrow"})
    assert bad["status_code"] == 2001 and "expiry_date" in bad["status_message"], bad
