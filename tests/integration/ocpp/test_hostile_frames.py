"""Hostile frames over a real socket: each gets the CALLERROR OCPP-J prescribes, nothing of it is stored, and the
connection stays up (answering a Heartbeat afterwards)."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from core.charging.tables import ChargingSession, MeterValue, OcppMessage
from ocpp_cs.msglog import message_log
from tests.integration.ocpp.conftest import Station, raw_socket

START = {"connectorId": 1, "idTag": "04A1B2C3", "meterStart": 0, "timestamp": "2026-11-02T08:00:00Z"}


async def _still_up(ws: Any) -> None:
    await ws.send(json.dumps([2, "alive", "Heartbeat", {}]))
    assert json.loads(await ws.recv())[:2] == [3, "alive"]


def _call(unique_id: str, action: str, payload: dict[str, Any]) -> str:
    return json.dumps([2, unique_id, action, payload])


def _deep(depth: int) -> str:
    return _call("deep", "DataTransfer", {"vendorId": "x", "data": "@"}).replace('"@"', "[" * depth + "]" * depth)


@pytest.mark.parametrize(
    ("frame", "unique_id", "code"),
    [
        ("[" * 1_000 + "]" * 1_000, "-1", "FormationViolation"),
        ("[" * 30_000 + "]" * 30_000, "-1", "FormationViolation"),
        (_deep(990), "-1", "FormationViolation"),
        ('{"a":' * 5_000 + "1" + "}" * 5_000, "-1", "FormationViolation"),
        ('[2, "short"]', "short", "FormationViolation"),
        ("[]", "-1", "FormationViolation"),
        (_call("big", "StartTransaction", {**START, "meterStart": 2**70}), "big", "PropertyConstraintViolation"),
        (_call("neg", "StartTransaction", {**START, "connectorId": -(2**40)}), "neg", "PropertyConstraintViolation"),
        (_call("nul", "Authorize", {"idTag": "04A1\u0000B2"}), "nul", "PropertyConstraintViolation"),
        (_call("float", "StartTransaction", {**START, "meterStart": 1e300}), "float", "TypeConstraintViolation"),
        ('[2, "inf", "StartTransaction", {"meterStart": 1e400}]', "-1", "FormationViolation"),
        ('[2, "raw\x00nul", "Heartbeat", {}]', "-1", "FormationViolation"),
        ("[2, \"\\u0000\", \"Heartbeat\", {\"x\": 1}]", "\x00", "FormationViolation"),
    ],
)
async def test_hostile_text_frames_get_call_errors(
    ocpp_url: str, station: Station, frame: str, unique_id: str, code: str
) -> None:
    async with raw_socket(ocpp_url, station) as ws:
        await ws.send(frame)
        reply = json.loads(await ws.recv())
        assert reply[:3] == [4, unique_id, code], reply
        await _still_up(ws)
    assert not await ChargingSession.exists().where(ChargingSession.station == station.id)
    await message_log.flush()
    logged = await OcppMessage.count().where((OcppMessage.station == station.id) & (OcppMessage.direction == "in"))
    assert logged == 2  # the hostile frame (NUL replaced) and the heartbeat: the batch was not lost


async def test_binary_frames_are_read_as_utf8_json(ocpp_url: str, station: Station) -> None:
    async with raw_socket(ocpp_url, station) as ws:
        await ws.send(json.dumps([2, "bin", "Heartbeat", {}]).encode())
        assert json.loads(await ws.recv())[:2] == [3, "bin"]
        await ws.send(b'[2, "latin", "Authorize", {"idTag": "\xe4\xff"}]')
        assert json.loads(await ws.recv())[:3] == [4, "-1", "FormationViolation"]
        await ws.send(bytes(range(256)))
        assert json.loads(await ws.recv())[:3] == [4, "-1", "FormationViolation"]
        await _still_up(ws)


async def test_a_32_bit_meter_start_is_stored(ocpp_url: str, station: Station) -> None:
    async with raw_socket(ocpp_url, station) as ws:
        await ws.send(_call("max", "StartTransaction", {**START, "meterStart": 2**31 - 1}))
        reply = json.loads(await ws.recv())
    assert reply[0] == 3, reply
    row = await ChargingSession.select(ChargingSession.meter_start_wh).where(
        ChargingSession.id == reply[2]["transactionId"]
    ).first()  # fmt: skip
    assert row == {"meter_start_wh": 2**31 - 1}


@pytest.mark.parametrize("value", ["Infinity", "NaN", "sNaN", "1e30", "-1E+999999", "9" * 25])
async def test_meter_readings_beyond_any_register_are_not_readings(ocpp_url: str, station: Station, value: str) -> None:
    async with raw_socket(ocpp_url, station) as ws:
        await ws.send(_call("s", "StartTransaction", START))
        transaction_id = json.loads(await ws.recv())[2]["transactionId"]
        sampled = [{"value": value, "unit": "kWh"}, {"value": value}]
        payload = {"connectorId": 1, "transactionId": transaction_id,
                   "meterValue": [{"timestamp": "2026-11-02T08:01:00Z", "sampledValue": sampled}]}  # fmt: skip
        await ws.send(_call("m", "MeterValues", payload))
        assert json.loads(await ws.recv()) == [3, "m", {}]
        await _still_up(ws)
    session = await ChargingSession.select(ChargingSession.energy_wh, ChargingSession.last_meter_wh).where(
        ChargingSession.id == transaction_id
    ).first()  # fmt: skip
    assert session == {"energy_wh": 0, "last_meter_wh": 0}


@pytest.mark.parametrize("stamp", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
async def test_timestamps_beyond_utc_fall_back_to_now(ocpp_url: str, station: Station, stamp: str) -> None:
    async with raw_socket(ocpp_url, station) as ws:
        await ws.send(_call("s", "StartTransaction", {**START, "timestamp": stamp}))
        reply = json.loads(await ws.recv())
        assert reply[0] == 3, reply
        await _still_up(ws)
    row = await ChargingSession.select(ChargingSession.started_at).where(
        ChargingSession.id == reply[2]["transactionId"]
    ).first()  # fmt: skip
    assert row is not None and 2025 < row["started_at"].year < 9999


async def test_meter_values_without_a_known_session_commit_as_a_batch(
    ocpp_url: str, station: Station, caplog: pytest.LogCaptureFixture
) -> None:
    """Found by the fuzz test: a batch without any known session failed (an empty UPDATE of the sessions on
    PostgreSQL) and every frame of it was written again one by one, with a warning and its stack trace."""
    reading = [{"timestamp": "2026-11-02T08:01:00Z", "sampledValue": [{"value": "1"}]}]
    with caplog.at_level(logging.WARNING, logger="csms.bulk"):
        async with raw_socket(ocpp_url, station) as ws:
            for payload in ({"connectorId": 1, "meterValue": reading},
                            {"connectorId": 1, "transactionId": 2**31 - 7, "meterValue": reading}):  # fmt: skip
                await ws.send(_call("m", "MeterValues", payload))
                assert json.loads(await ws.recv()) == [3, "m", {}]
    assert not [r.getMessage() for r in caplog.records if r.name == "csms.bulk"]
    assert await MeterValue.count().where(MeterValue.station == station.id) == 2
