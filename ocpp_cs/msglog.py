"""The OCPP message log: every frame both directions, written in batches.

Business data a station sends is written by the handlers before the answer goes out; this log is the
verbatim trail for staff, so batching it (flushed every 200 ms and at shutdown, plain rows in one INSERT)
keeps MeterValues fast.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime

from core import bulk
from core.charging.tables import OcppMessage

log = logging.getLogger("csms.ocpp")

FLUSH_DELAY = 0.2
BATCH = 500
COLUMNS = ("station", "charge_box_id", "direction", "message_type", "unique_id", "action", "payload", "created_at")


def _storable(text: str) -> str:
    """PostgreSQL refuses NUL in text, and one such row would fail the whole batch of every station's rows: a
    frame may carry one (a raw NUL in a refused frame, or an escaped one in its message id or action)."""
    return text.replace("\x00", "\ufffd") if "\x00" in text else text


class MessageLog:
    def __init__(self) -> None:
        self._rows: list[tuple[object, ...]] = []  # in COLUMNS order
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    def add(
        self,
        station_id: int | None,
        charge_box_id: str,
        direction: str,
        message_type: int,
        unique_id: str,
        action: str,
        text: str,
    ) -> None:
        self._rows.append(
            (station_id, charge_box_id[:64], direction, message_type, _storable(unique_id[:64]),
             _storable(action[:50]), _storable(text), datetime.now(UTC))
        )  # fmt: skip
        if self._task is None or self._task.done():
            # Without a running loop the rows wait for the next add() or flush().
            with contextlib.suppress(RuntimeError):
                self._task = asyncio.get_running_loop().create_task(self._flush_soon())

    async def _flush_soon(self) -> None:
        await asyncio.sleep(FLUSH_DELAY)
        await self.flush()

    async def flush(self) -> None:
        async with self._lock:
            while self._rows:
                batch, self._rows = self._rows[:BATCH], self._rows[BATCH:]
                try:
                    await bulk.insert_rows(OcppMessage, COLUMNS, batch)
                except Exception:  # never let the log take a station down
                    log.exception("could not write %d OCPP log rows", len(batch))


message_log = MessageLog()
