"""Embedded mode's one writer: a write transaction held long is logged with where it was opened, so that the next
"database is locked" (another writer waited longer than the engine's timeout) names its cause."""

from __future__ import annotations

import asyncio
import logging

import pytest
from piccolo.engine.sqlite import SQLiteEngine

from core import db


async def _hold_a_write_transaction() -> None:
    async with db.transaction():
        await asyncio.sleep(0.05)


async def test_a_long_write_transaction_is_logged_with_its_opener(
    database: None, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    if not isinstance(db.engine(), SQLiteEngine):
        pytest.skip("PostgreSQL has no single writer")
    monkeypatch.setattr(db, "SLOW_WRITE_SECONDS", 0.04)
    with caplog.at_level(logging.WARNING, logger="csms.db"):
        await _hold_a_write_transaction()
        async with db.transaction():  # a short one is not
            pass
    messages = [record.getMessage() for record in caplog.records if record.name == "csms.db"]
    assert len(messages) == 1, messages
    assert messages[0].startswith("SQLite write transaction held 0.")
    assert "test_slow_write_warning.py" in messages[0] and "_hold_a_write_transaction" in messages[0]
