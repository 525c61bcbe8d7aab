"""Roaming: one run of a partner's pushes (core.roaming.pushes), enqueued by the periodic tick; a new CDR sent to the
partner whose token charged (core.roaming.cdr_push), handed over by the outbox."""

from __future__ import annotations

import dramatiq

from core.roaming import cdr_push, pushes
from workers import broker  # noqa: F401 - binds the actor to the configured broker


# No Dramatiq retries: OCPI pushes are not queued; a failed run is retried by the next tick, with the current state.
@dramatiq.actor(queue_name="roaming", max_retries=0, time_limit=900_000)
async def push_partner(partner_id: int) -> None:
    await pushes.push_partner(partner_id)


# The outbox owns the retries of CDRs (attempts, backoff, the error on the row): no Dramatiq retries.
@dramatiq.actor(queue_name="roaming", max_retries=0, time_limit=120_000)
async def send_cdr(message_id: int) -> None:
    await cdr_push.send(message_id)
