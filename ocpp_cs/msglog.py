"""The OCPP message log: every frame both directions, written in batches.

Business data a station sends is written by the handlers before the answer goes out; this log is the
verbatim trail for staff, so batching it (flushed every 200 ms and at shutdown, plain rows in one INSERT)
keeps MeterValues fast.
"""

from __future__ import annotations

from datetime import UTC, datetime

from core import bulk
from core.bulk import storable_text
from core.charging.tables import OcppMessage

FLUSH_DELAY = 0.2
BATCH = 500
COLUMNS = ("station", "charge_box_id", "direction", "message_type", "unique_id", "action", "payload", "created_at")


class MessageLog:
    def __init__(self) -> None:
        self._rows = bulk.BufferedRows("OCPP log", OcppMessage, COLUMNS, FLUSH_DELAY, BATCH)

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
        # A frame may carry a NUL (a raw one in a refused frame, or an escaped one in its message id or action).
        self._rows.add(
            (station_id, charge_box_id[:64], direction, message_type, storable_text(unique_id[:64]),
             storable_text(action[:50]), storable_text(text), datetime.now(UTC))
        )  # fmt: skip

    async def flush(self) -> None:
        await self._rows.flush()


message_log = MessageLog()
