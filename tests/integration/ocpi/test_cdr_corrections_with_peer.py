"""A CDR is never changed once made: a real OCPP station (bare websocket) charges with a partner's token at csms (a
subprocess), reboots (csms closes the session as stale and makes a FAILED CDR), then sends the StopTransaction it
kept. The original CDR stays as it was; a credit CDR cancels it and a new CDR carries the final reading. The partner
(extrawest-ocpi, the eMSP in its own process) receives the credit CDR and the new one by POST through the same outbox
topic as every CDR, and its GET lists all three, each with its own last_updated."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from core.cdrs import building
from core.cdrs.tables import Cdr
from core.charging.tables import ChargingSession
from core.outbox import OutboxMessage
from core.roaming import cdr_push
from hub.cdr_push import HubCdrLink
from tests.integration.ocpi import test_token_auth_with_peer
from tests.integration.ocpi.test_token_auth_with_peer import Roaming, token
from tests.ocpi_peer.peer import OcpiPeer

roaming = test_token_auth_with_peer.roaming  # the fixture: a roaming station open to the peer, booted


def now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


async def posted_to_peer(peer: OcpiPeer, ids: list[int]) -> dict[str, dict[str, Any]]:
    """The CDRs the peer holds among ``ids`` (by id), once it holds them all (it stores POSTs as they arrive)."""
    wanted = {str(i) for i in ids}
    held: dict[str, dict[str, Any]] = {}
    for _ in range(75):
        held = {str(c["id"]): c for c in await peer.objects("cdrs") if str(c.get("id")) in wanted}
        if set(held) == wanted:
            break
        await asyncio.sleep(0.2)
    return held


async def test_a_late_stop_after_a_stale_close_is_a_credit_cdr_plus_a_new_cdr(
    roaming: Roaming, ocpi_emsp: OcpiPeer
) -> None:
    await ocpi_emsp.seed_tokens([token("CAFE00C1", "NEVER")])
    started = await roaming.station.call("StartTransaction", {
        "connectorId": roaming.site.charge_point["evse_number"], "idTag": "CAFE00C1", "meterStart": 1000,
        "timestamp": now()})  # fmt: skip
    assert started["idTagInfo"]["status"] == "Accepted"
    tx = int(started["transactionId"])
    # The station reboots: csms closes the open session as stale, and its CDR is made (FAILED, no final reading).
    boot = await roaming.station.call("BootNotification", {"chargePointVendor": "ABB", "chargePointModel": "Terra"})
    assert boot["status"] == "Accepted"
    # Whoever builds the CDR (csms's own jobs in its process, or this test playing the worker), there is one.
    original_id = await building.create_cdr(tx)
    assert original_id is not None
    original = await Cdr.select().where(Cdr.id == original_id).output(load_json=True).first()
    assert original is not None and original["status"] == "FAILED" and original["stop_reason"] == "STATION_REBOOTED"
    assert original["roaming_partner_id"] == roaming.partner["id"]

    # After the reboot the station sends the StopTransaction it kept, with the final reading.
    late = {"transactionId": tx, "idTag": "CAFE00C1", "meterStop": 9500, "timestamp": now(), "reason": "Local"}
    stopped = await roaming.station.call("StopTransaction", late)
    assert stopped["idTagInfo"]["status"] == "Accepted"
    new_id = await building.create_cdr(tx)
    assert new_id is not None and new_id != original_id
    assert await building.create_cdr(tx) == new_id  # the same correction again writes nothing
    rows = {r["id"]: r for r in await Cdr.select().where(Cdr.session == tx).output(load_json=True)}
    assert len(rows) == 3
    assert rows[original_id] == original  # unchanged, column by column
    credit = next(r for r in rows.values() if r["credit"])
    new = rows[new_id]
    assert credit["credit_reference_id"] == original_id and credit["corrects_cdr_id"] is None
    assert (credit["total_cost_incl_vat"], credit["total_energy"]) == (-original["total_cost_incl_vat"],
                                                                      original["total_energy"])  # fmt: skip
    assert new["corrects_cdr_id"] == original_id and new["credit"] is False and new["status"] == "COMPLETED"
    assert Decimal(str(new["total_energy"])) == Decimal("8.500")
    session = await ChargingSession.select(ChargingSession.cdr_id).where(ChargingSession.id == tx).first()
    assert session == {"cdr_id": new_id}

    # All three go to the partner through the outbox topic of every CDR: the credit CDR and the new one by POST too.
    ids = [original_id, int(credit["id"]), new_id]
    cdr_push.register_link(HubCdrLink())
    try:
        for cdr_id in ids:
            message = await OutboxMessage.select().where(OutboxMessage.dedupe_key == f"cdr-roaming:{cdr_id}").first()
            assert message is not None and message["topic"] == building.ROAMING_CDR_TOPIC
            assert await cdr_push.send(message["id"])  # (or csms's own job sent it already: then nothing more)
    finally:
        cdr_push.register_link(None)
    held = await posted_to_peer(ocpi_emsp, ids)
    assert set(held) == {str(i) for i in ids}, await ocpi_emsp.received("cdrs")
    sent_credit, sent_new, sent_original = held[str(credit["id"])], held[str(new_id)], held[str(original_id)]
    assert sent_credit["credit"] is True and str(sent_credit["credit_reference_id"]) == str(original_id)
    assert float(sent_credit["total_cost"]["excl_vat"]) == -float(sent_original["total_cost"]["excl_vat"])
    assert float(sent_credit["total_energy"]) == float(sent_original["total_energy"]) == 0.0
    assert not sent_new.get("credit") and not sent_new.get("credit_reference_id")
    assert float(sent_new["total_energy"]) == 8.5
    # (csms's own job and this test may both have sent one: a CDR sent twice is the same CDR, never another content)
    posts = [
        r["body"] for r in await ocpi_emsp.received("cdrs", "POST") if str((r.get("body") or {}).get("id")) in held
    ]
    bodies = {str(body["id"]): body for body in posts}
    assert set(bodies) == set(held) and all(body == bodies[str(body["id"])] for body in posts)

    # The partner's GET (resync) lists all three, the original as it was first sent, each with its own last_updated.
    listed = await ocpi_emsp.send("cdrs", "GET", "?limit=500", role="SENDER")
    assert listed["status"] == 200, listed
    by_id = {c["id"]: c for c in listed["body"]["data"] if c["id"] in held}
    assert set(by_id) == set(held)
    assert by_id[str(original_id)] == bodies[str(original_id)]
    assert by_id[str(credit["id"])]["credit"] is True and "credit" not in by_id[str(new_id)]
    assert by_id[str(original_id)]["last_updated"] <= by_id[str(credit["id"])]["last_updated"]
