"""A real OCPP session ends -> outbox row -> actor -> exactly one CDR, priced, with the signed meter data."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from ocpp.v16 import ChargePoint as ClientChargePoint
from ocpp.v16 import call

from core import jobs, outbox
from core.access.tables import ChargingCard
from core.cdrs import building
from core.cdrs.tables import Cdr
from core.charging.tables import ChargingSession
from core.db import transaction
from core.infrastructure.tables import ChargePoint
from core.outbox import OutboxMessage
from core.tariffs import assignments, tariffs
from tests.integration.cdrs.conftest import deliver_session_stopped, finished_session
from tests.integration.ocpp.conftest import Station
from tests.support import TenantCtx

OCMF_BEGIN = (
    'OCMF|{"FV":"1.0","GI":"ABL SBC-301","GS":"808829900001","GV":"1.4p3","PG":"T12345","MV":"Phoenix Contact",'
    '"MS":"BQ27400330016","IS":true,"IF":["RFID_PLAIN","OCPP_RS_TLS"],"IT":"ISO14443","ID":"AABB0102",'
    '"RD":[{"TM":"2026-11-25T10:00:00,000+0100 S","TX":"B","RV":1.000,"RI":"1-b:1.8.0","RU":"kWh","ST":"G"}]}'
    '|{"SA":"ECDSA-secp256r1-SHA256","SD":"3045022100F1E2D3"}'
)
OCMF_END = OCMF_BEGIN.replace('"TX":"B","RV":1.000', '"TX":"E","RV":23.000')


def ts(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


async def seed_tariff(ctx: TenantCtx, charge_point_id: int) -> dict[str, Any]:
    """The seed's example: 0.40 EUR/kWh AC, 0.02 EUR/min from minute 60; 19 % VAT on top."""
    tariff = await tariffs.create_tariff(
        ctx.actor, {"name": "Standard", "currency": "EUR", "ac_energy_per_kwh": "0.40", "ac_time_per_minute": "0.02",
                    "ac_time_from_minute": "60", "dc_energy_per_kwh": "0.60"},
    )  # fmt: skip
    await assignments.assign_tariff(ctx.actor, tariff["id"], [charge_point_id], datetime.now(UTC))
    return tariff


async def run_session(client: ClientChargePoint, tag: str, start: datetime, stop_wh: int = 23_000) -> int:
    begin = await client.call(call.StartTransaction(connector_id=1, id_tag=tag, meter_start=1000, timestamp=ts(start)))
    tx = int(begin.transaction_id)
    await client.call(call.MeterValues(connector_id=1, transaction_id=tx, meter_value=[
        {"timestamp": ts(start), "sampledValue": [
            {"value": OCMF_BEGIN, "format": "SignedData", "context": "Transaction.Begin"}]},
        {"timestamp": ts(start + timedelta(minutes=45)), "sampledValue": [
            {"value": "12000", "measurand": "Energy.Active.Import.Register", "unit": "Wh"}]},
    ]))  # fmt: skip
    await client.call(call.StopTransaction(
        meter_stop=stop_wh, timestamp=ts(start + timedelta(minutes=90)), transaction_id=tx, id_tag=tag,
        transaction_data=[{"timestamp": ts(start + timedelta(minutes=90)), "sampledValue": [
            {"value": OCMF_END, "format": "SignedData", "context": "Transaction.End"}]}],
    ))  # fmt: skip
    return tx


async def test_stopped_session_becomes_one_priced_cdr_with_signed_data(
    client: ClientChargePoint, cpo: TenantCtx, station: Station, unique: str
) -> None:
    cp_id = station.charge_points[0]["id"]
    await ChargePoint.update({ChargePoint.eichrecht_compliant: True}).where(ChargePoint.id == cp_id)
    tariff = await seed_tariff(cpo, cp_id)
    tag = f"AA{unique[:6]}".upper()
    await ChargingCard(tenant=cpo.id, uid=tag).save()
    tx = await run_session(client, tag, datetime.now(UTC) + timedelta(seconds=5))

    row = await deliver_session_stopped(tx)
    assert row["topic"] == "session.stopped" and row["attempts"] >= 1 and row["last_error"] == ""
    cdr_rows = await Cdr.select().where(Cdr.session == tx).output(load_json=True)
    assert len(cdr_rows) == 1
    cdr = cdr_rows[0]
    assert cdr["tenant"] == cpo.id and cdr["charge_point"] == cp_id and cdr["charge_box_id"] == station.charge_box_id
    assert Decimal(str(cdr["total_energy"])) == Decimal("22.000")
    assert Decimal(str(cdr["total_time"])) == Decimal("1.5")
    # 22 kWh x 0.40 + 30 min x 0.02 = 9.40 net; 19 % VAT 1.79; 11.19 gross
    assert (cdr["total_cost_excl_vat"], cdr["total_vat"], cdr["total_cost_incl_vat"]) == (
        Decimal("9.40"), Decimal("1.79"), Decimal("11.19"))  # fmt: skip
    assert cdr["currency"] == "EUR" and cdr["tariff"]["code"] == tariff["code"] and cdr["remark"] == ""
    assert cdr["eichrecht_compliant"] is True and cdr["status"] == "COMPLETED" and cdr["token_uid"] == tag
    assert cdr["signed_data"]["encoding_method"] == "OCMF"
    assert [v["signed_data"] for v in cdr["signed_data"]["signed_values"]] == [OCMF_BEGIN, OCMF_END]  # verbatim
    assert (cdr["city"], cdr["country"], cdr["address"]) == ("München", "DEU", "Hauptstr. 1")

    # The same StopTransaction again (a lost confirmation) and the message handed over again: still one CDR.
    again = await client.call(call.StopTransaction(meter_stop=23_000, timestamp=ts(datetime.now(UTC)),
                                                   transaction_id=tx, id_tag=tag))  # fmt: skip
    assert again.id_tag_info["status"] == "Accepted"
    assert await OutboxMessage.count().where(OutboxMessage.dedupe_key == f"session-stopped:{tx}") == 1
    await OutboxMessage.update({OutboxMessage.delivered_at: None}).where(OutboxMessage.id == row["id"])
    # A job of another topic handed this id (a queue entry that outlived its database) leaves it alone.
    assert await outbox.consume(row["id"], building.on_check_signatures, "station.check_signatures") is False
    # the conflict is handled
    assert await outbox.consume(row["id"], building.on_session_stopped, building.TOPIC) is True
    assert await outbox.consume(row["id"], building.on_session_stopped) is False  # delivered: skipped
    assert await building.create_cdr(tx) == cdr["id"]
    assert await Cdr.count().where(Cdr.session == tx) == 1


async def test_session_without_tariff_gets_a_cdr_without_cost(
    client: ClientChargePoint, cpo: TenantCtx, station: Station, unique: str
) -> None:
    tag = f"BB{unique[:6]}".upper()
    await ChargingCard(tenant=cpo.id, uid=tag).save()
    tx = await run_session(client, tag, datetime.now(UTC) - timedelta(hours=2), stop_wh=5000)
    await deliver_session_stopped(tx)
    cdr = await Cdr.select().where(Cdr.session == tx).first()
    assert cdr is not None
    assert cdr["total_cost_incl_vat"] == 0 and cdr["remark"] == building.NO_TARIFF_REMARK and cdr["tariff"] is None
    assert Decimal(str(cdr["total_energy"])) == Decimal("4.000") and cdr["eichrecht_compliant"] is False


async def test_stale_sessions_get_failed_cdrs_corrected_by_a_late_stop(
    client: ClientChargePoint, cpo: TenantCtx, station: Station, unique: str
) -> None:
    tag = f"CC{unique[:6]}".upper()
    await ChargingCard(tenant=cpo.id, uid=tag).save()
    start = ts(datetime.now(UTC) - timedelta(minutes=10))
    begin = await client.call(call.StartTransaction(connector_id=1, id_tag=tag, meter_start=0, timestamp=start))
    await client.call(call.BootNotification(charge_point_vendor="ABB", charge_point_model="Terra"))
    await deliver_session_stopped(int(begin.transaction_id))
    cdr = await Cdr.select().where(Cdr.session == begin.transaction_id).first()
    assert cdr is not None and cdr["status"] == "FAILED" and cdr["stop_reason"] == "STATION_REBOOTED"
    # After the reboot the station sends the StopTransaction it kept: the final reading corrects the CDR, which
    # stays as it was; a credit CDR cancels it and a new CDR carries the final values.
    tx = begin.transaction_id
    late = call.StopTransaction(meter_stop=7000, timestamp=ts(datetime.now(UTC)), transaction_id=tx, reason="Local")
    await client.call(late)
    await deliver_session_stopped(int(begin.transaction_id), suffix=":final")
    rows = {r["id"]: r for r in await Cdr.select().where(Cdr.session == tx).order_by(Cdr.id).output(load_json=True)}
    assert len(rows) == 3
    original, credit, new = rows.values()
    before = {k: v for k, v in cdr.items()}
    assert {k: original[k] for k in ("status", "stop_reason", "total_energy", "end_date_time", "credit")} == {
        k: before[k] for k in ("status", "stop_reason", "total_energy", "end_date_time", "credit")}  # fmt: skip
    assert credit["credit"] is True and credit["credit_reference_id"] == cdr["id"] and credit["corrects_cdr_id"] is None
    assert (credit["status"], credit["stop_reason"], credit["total_energy"]) == (
        original["status"], original["stop_reason"], original["total_energy"])  # fmt: skip
    assert new["credit"] is False and new["corrects_cdr_id"] == cdr["id"] and new["credit_reference_id"] is None
    assert new["status"] == "COMPLETED" and new["stop_reason"] == "Local"
    assert Decimal(str(new["total_energy"])) == Decimal("7.000")
    session = await ChargingSession.select(ChargingSession.cdr_id).where(ChargingSession.id == tx).first()
    assert session == {"cdr_id": new["id"]}
    # nothing left to correct: the same correction again writes nothing
    assert await building.create_cdr(int(tx)) == new["id"]
    assert await building.correct_cdr(int(tx)) == new["id"]
    assert await Cdr.count().where(Cdr.session == tx) == 3


async def test_publish_needs_the_change_transaction_and_stores_a_key_once(unique: str) -> None:
    with pytest.raises(RuntimeError):
        await outbox.publish("test.topic", f"k-{unique}", {})
    async with transaction():
        assert await outbox.publish("test.topic", f"k-{unique}", {"n": 1}) is True
        assert await outbox.publish("test.topic", f"k-{unique}", {"n": 2}) is False
    rows = await OutboxMessage.select().where(OutboxMessage.dedupe_key == f"k-{unique}").output(load_json=True)
    assert [r["payload"] for r in rows] == [{"n": 1}]
    with pytest.raises(ZeroDivisionError):  # a failed change takes its message with it
        async with transaction():
            await outbox.publish("test.topic", f"gone-{unique}", {})
            _ = 1 / 0
    assert not await OutboxMessage.exists().where(OutboxMessage.dedupe_key == f"gone-{unique}")


async def test_relay_retries_a_failing_actor_with_backoff(unique: str) -> None:
    topic, job = f"test.flaky.{unique}", f"test.flaky.{unique}"
    calls: list[dict[str, Any]] = []
    tasks: list[asyncio.Task[Any]] = []

    async def handler(payload: dict[str, Any]) -> None:
        calls.append(payload)
        if len(calls) == 1:
            raise RuntimeError("partner down")

    async def run(message_id: int) -> None:
        # What the actor does: the error stays on the row, the relay brings the message back.
        with contextlib.suppress(RuntimeError):
            await outbox.consume(message_id, handler)

    jobs.register(job, lambda message_id: tasks.append(asyncio.create_task(run(message_id))))
    routes = {topic: job}
    async with transaction():
        await outbox.publish(topic, f"flaky-{unique}", {"n": 7})
    message = await OutboxMessage.select().where(OutboxMessage.dedupe_key == f"flaky-{unique}").first()
    assert message is not None
    now = datetime.now(UTC)
    assert await outbox.relay_once(at=now, routes=routes) == 1
    await asyncio.gather(*tasks)
    row = await OutboxMessage.select().where(OutboxMessage.id == message["id"]).first()
    assert row is not None and row["delivered_at"] is None and row["attempts"] == 1
    assert "partner down" in row["last_error"]
    assert await outbox.relay_once(at=now + timedelta(seconds=1), routes=routes) == 0  # backing off
    assert await outbox.relay_once(at=now + outbox.backoff(1) + timedelta(seconds=1), routes=routes) == 1
    await asyncio.gather(*tasks)
    row = await OutboxMessage.select().where(OutboxMessage.id == message["id"]).first()
    assert row is not None and row["delivered_at"] is not None and row["attempts"] == 2 and row["last_error"] == ""
    assert calls == [{"n": 7}, {"n": 7}]
    assert await outbox.relay_once(at=now + timedelta(days=1), routes=routes) == 0  # delivered: never again


async def test_a_running_session_gets_no_cdr(cpo: TenantCtx, station: Station) -> None:
    session_id = await finished_session(cpo, station, status="CHARGING")
    assert await building.create_cdr(session_id) is None
    assert not await Cdr.exists().where(Cdr.session == session_id)
