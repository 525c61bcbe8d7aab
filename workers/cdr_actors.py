"""CDRs from finished sessions: the outbox hands each ``session.stopped`` message to ``build_cdr``, and each
``station.check_signatures`` message to ``check_signatures`` (the station's CDRs checked with its current key)."""

from __future__ import annotations

import dramatiq

from core import outbox
from core.cdrs import building
from core.infrastructure.stations import SIGNATURE_CHECK_TOPIC
from core.payments import driver
from workers import broker  # noqa: F401 - binds the actor to the configured broker


# The outbox owns retries (attempts, backoff, the error on the row), so Dramatiq does not retry on its own.
@dramatiq.actor(queue_name="cdrs", max_retries=0, time_limit=300_000)
async def build_cdr(message_id: int) -> None:
    # the CDR, then a paid session's capture at the CDR's gross total (core.payments.driver)
    await outbox.consume(message_id, driver.on_session_stopped, building.TOPIC)


@dramatiq.actor(queue_name="cdrs", max_retries=0, time_limit=600_000)
async def check_signatures(message_id: int) -> None:
    await outbox.consume(message_id, building.on_check_signatures, SIGNATURE_CHECK_TOPIC)
