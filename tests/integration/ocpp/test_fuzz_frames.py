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
import logging
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
from websockets.protocol import State

from core.charging.tables import ChargingSession
from core.settings import PROJECT_ROOT
from ocpp_cs import registry
from ocpp_cs.msglog import message_log
from tests.integration.ocpp import fuzzing
from tests.integration.ocpp.conftest import OCPP16, Station, basic

FRAMES = int(os.environ.get("CSMS_FUZZ_FRAMES") or 10_000)
SEED = int(os.environ.get("CSMS_FUZZ_SEED") or date.today().toordinal())
PER_EXAMPLE = (40, 60)
PROBE = '[2, "probe", "Heartbeat", {}]'


@dataclass
class Fuzzed:
    url: str
    station: Station
    ws: Any = None
    frames: int = 0
    reconnects: int = 0
    transactions: set[int] = field(default_factory=set)
    last_transaction: int = 0

    async def socket(self) -> Any:
        """The connection; a new one only after a frame killed the last (that example has failed already, and
        shrinking needs the examples after it to run)."""
        if self.ws is None or self.ws.state is not State.OPEN:
            if self.ws is not None:
                self.reconnects += 1
            self.ws = await websockets.connect(
                f"{self.url}/{self.station.charge_box_id}", subprotocols=OCPP16, max_size=None,
                additional_headers=basic(self.station.charge_box_id, self.station.password),
            )  # fmt: skip
        return self.ws

    def shown(self, frame: str | bytes) -> str:
        return repr(frame if len(frame) <= 300 else frame[:300]) + f" (seed {SEED})"


def _ours(record: logging.LogRecord) -> bool:
    """A csms record about this station's traffic; not roaming jobs that earlier modules' OCPI partners left in the
    in-process queue (a CDR POST retried against a peer that has gone), nor the minute-by-minute payment recovery
    finding earlier modules' payments (one of another provider's settings, the Stripe tests')."""
    if not record.name.startswith("csms") or record.name.startswith(("csms.roaming", "csms.payments")):
        return False
    return "roaming." not in record.getMessage()


@pytest.fixture
async def fuzzed(ocpp_url: str, station: Station, caplog: pytest.LogCaptureFixture) -> AsyncIterator[Fuzzed]:
    """The station's one connection for every example; afterwards: enough frames, it is still the one open, and
    csms logged no warning or error (a failed batch written again one by one, a lost OCPP log batch ...)."""
    caplog.set_level(logging.WARNING, logger="csms")
    state = Fuzzed(ocpp_url, station)
    try:
        yield state
        conn = registry.get(station.charge_box_id)
        assert state.reconnects == 0 and conn is not None and not conn.closed, "the connection did not stay up"
    finally:
        if state.ws is not None:
            await state.ws.close()
    await message_log.flush()
    logged = [f"{r.name}: {r.getMessage()}" for r in caplog.get_records("call") if _ours(r)]
    assert not logged, f"csms logged while fuzzed (seed {SEED}): {logged[:5]}"
    assert state.frames >= FRAMES, f"only {state.frames} frames were sent"


async def _exchange(state: Fuzzed, batch: list[str | bytes]) -> None:
    marker = str(fuzzing.TX_MARKER)
    ws = await state.socket()
    sent: list[tuple[str | bytes, fuzzing.Expect]] = []
    for frame in batch:
        if isinstance(frame, str) and marker in frame:  # a Stop/MeterValues for the last session csms started
            frame = frame.replace(marker, str(state.last_transaction))
        sent.append((frame, fuzzing.expect(frame)))
        await ws.send(frame)
        state.frames += 1
        if sent[-1][1].kind == "result" and sent[-1][1].action == "StartTransaction":
            break  # its transaction id is what the next frames name: read the answers first
    await ws.send(PROBE)  # the last answer: nothing stray (a reply to a station's CALLRESULT) came before it
    for frame, wanted in [*sent, (PROBE, fuzzing.Expect("result", "probe", action="Heartbeat"))]:
        if wanted.kind == "none":
            continue
        try:
            reply = await ws.recv()
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
