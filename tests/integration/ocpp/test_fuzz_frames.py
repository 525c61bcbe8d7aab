"""Property-based fuzzing of a connected station's socket: at least CSMS_FUZZ_FRAMES (10,000) generated frames per
run (random and deeply nested JSON, huge numbers, wrong types, every handled action with valid and with mutated
payloads, binary frames, cut-off text). Every frame gets the answer OCPP-J prescribes (tests/integration/ocpp/
fuzzing.py says which) with the frame's message id, the one connection stays up throughout, and what csms stored is
what it acknowledged: every session kept is one a StartTransaction was answered with, and each such answer was kept
(a StartTransaction with a 2^70 meter is refused, not stored).

Deterministic per day: the seed is the date (CSMS_FUZZ_SEED overrides it), so a CI run can be repeated while each
day explores new frames; failing examples are kept in .hypothesis/ and tried first by the next run.

The examples run on the test's event loop, where the server runs too (pytest-asyncio drives each example), and
each example's frames are sent back to back before the answers are read: csms answers a socket's frames in order.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest
import websockets
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from hypothesis.database import DirectoryBasedExampleDatabase

from core.charging.tables import ChargingSession
from core.settings import PROJECT_ROOT
from ocpp_cs import registry
from tests.integration.ocpp import fuzzing
from tests.integration.ocpp.conftest import Station, raw_socket

FRAMES = int(os.environ.get("CSMS_FUZZ_FRAMES") or 10_000)
SEED = int(os.environ.get("CSMS_FUZZ_SEED") or date.today().toordinal())
PER_EXAMPLE = (40, 60)
PROBE = '[2, "probe", "Heartbeat", {}]'


@dataclass
class Fuzzed:
    station: Station
    ws: Any
    frames: int = 0
    transactions: set[int] = field(default_factory=set)
    last_transaction: int = 0

    def shown(self, frame: str | bytes) -> str:
        return repr(frame if len(frame) <= 300 else frame[:300]) + f" (seed {SEED})"


@pytest.fixture
async def fuzzed(ocpp_url: str, station: Station) -> AsyncIterator[Fuzzed]:
    """The station's one connection for every example; afterwards: enough frames, and it is still the one open."""
    async with raw_socket(ocpp_url, station, max_size=None) as ws:
        state = Fuzzed(station, ws)
        yield state
        conn = registry.get(station.charge_box_id)
        assert conn is not None and not conn.closed, "the station's connection did not stay up"
    assert state.frames >= FRAMES, f"only {state.frames} frames were sent"


async def _exchange(state: Fuzzed, batch: list[str | bytes]) -> None:
    marker = str(fuzzing.TX_MARKER)
    sent: list[tuple[str | bytes, fuzzing.Expect]] = []
    for frame in batch:
        if isinstance(frame, str) and marker in frame:  # a Stop/MeterValues for the last session csms started
            frame = frame.replace(marker, str(state.last_transaction))
        sent.append((frame, fuzzing.expect(frame)))
        await state.ws.send(frame)
        state.frames += 1
        if sent[-1][1].kind == "result" and sent[-1][1].action == "StartTransaction":
            break  # its transaction id is what the next frames name: read the answers first
    await state.ws.send(PROBE)  # the last answer: nothing stray (a reply to a station's CALLRESULT) came before it
    for frame, wanted in [*sent, (PROBE, fuzzing.Expect("result", "probe", action="Heartbeat"))]:
        if wanted.kind == "none":
            continue
        try:
            reply = await state.ws.recv()
        except websockets.ConnectionClosed as exc:
            raise AssertionError(f"the connection closed ({exc}) after {state.shown(frame)}") from None
        problem = fuzzing.mismatch(wanted, reply)
        assert problem is None, f"{problem}; got {reply[:300]!r} for {state.shown(frame)}"
        if wanted.action == "StartTransaction":
            state.last_transaction = int(json.loads(reply)[2]["transactionId"])
            state.transactions.add(state.last_transaction)
    if len(sent) < len(batch):
        await _exchange(state, batch[len(sent) :])


@seed(SEED)
@settings(
    max_examples=-(-FRAMES // PER_EXAMPLE[0]), deadline=None, print_blob=True,
    database=DirectoryBasedExampleDatabase(str(PROJECT_ROOT / ".hypothesis" / "ocpp-fuzz")),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)  # fmt: skip
@given(batch=st.lists(fuzzing.frames, min_size=PER_EXAMPLE[0], max_size=PER_EXAMPLE[1]))
async def test_generated_frames_get_their_prescribed_answers(fuzzed: Fuzzed, batch: list[str | bytes]) -> None:
    await _exchange(fuzzed, batch)
    stored = await ChargingSession.select(ChargingSession.id, ChargingSession.meter_start_wh).where(
        ChargingSession.station == fuzzed.station.id
    )  # fmt: skip
    assert {row["id"] for row in stored} == fuzzed.transactions, f"stored is not what was acknowledged (seed {SEED})"
    low, high = fuzzing.INT32
    assert all(low <= row["meter_start_wh"] <= high for row in stored)
