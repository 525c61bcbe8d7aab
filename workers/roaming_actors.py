"""Roaming: one run of a partner's pushes (core.roaming.pushes) or session pushes (core.roaming.session_push),
enqueued by the periodic ticks; a new CDR sent to the
partner whose token charged (core.roaming.cdr_push), handed over by the outbox."""

from __future__ import annotations

import dramatiq

from core.roaming import cdr_push, pushes, session_push
from workers import broker  # noqa: F401 - binds the actor to the configured broker


# No Dramatiq retries: OCPI pushes are not queued; a failed run is retried by the next tick, with the current state.
@dramatiq.actor(queue_name="roaming", max_retries=0, time_limit=900_000)
async def push_partner(partner_id: int) -> None:
    await pushes.push_partner(partner_id)


# Sessions likewise: a failed run is not retried; the next tick sends the state as it is then.
@dramatiq.actor(queue_name="roaming", max_retries=0, time_limit=300_000)
async def push_sessions(partner_id: int) -> None:
    await session_push.push_sessions(partner_id)


# The outbox owns the retries of CDRs (attempts, backoff, the error on the row): no Dramatiq retries.
@dramatiq.actor(queue_name="roaming", max_retries=0, time_limit=120_000)
async def send_cdr(message_id: int) -> None:
    await cdr_push.send(message_id)
