"""Who runs a partner's pushes, in several processes at once: a claim to enqueue its job and a lease to run it.

Locations and tariffs (core.roaming.pushes, ``PushState``) and sessions (core.roaming.session_push,
``SessionPushState``) keep one state row per partner with ``queued_until`` (a job is enqueued: no other until it ran,
or until this passed because its worker is gone), ``lease_token`` and ``lease_until`` (a run holds the partner: no
other run until it ends, or until this passed because it died). Each step is one compare-and-set update.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from core.roaming.tables import PushState, SessionPushState

StateTable = type[PushState] | type[SessionPushState]


async def claim_enqueue(table: StateTable, partner_id: int, now: datetime, queued_for: timedelta) -> bool:
    """Whether the caller may enqueue the partner's job now (it then does): no job is enqueued, or the last one never
    ran within ``queued_for``. False when the partner has no state row."""
    claimed = (
        await table.update({table.queued_until: now + queued_for})
        .where(table.partner == partner_id)
        .where(table.queued_until.is_null() | (table.queued_until < now))
        .returning(table.id)
    )
    return bool(claimed)


async def take_lease(table: StateTable, partner_id: int, token: str, now: datetime, lease: timedelta) -> bool:
    """Whether the run with ``token`` now holds the partner for ``lease`` (no other run holds it, or its lease ran
    out). False when the partner has no state row."""
    leased = (
        await table.update({table.lease_token: token, table.lease_until: now + lease})
        .where(table.partner == partner_id)
        .where(table.lease_until.is_null() | (table.lease_until < now))
        .returning(table.id)
    )
    return bool(leased)


async def end_run(table: StateTable, partner_id: int, token: str) -> None:
    """The run with ``token`` is over: its lease and the enqueue claim go (the next tick may enqueue again). A run
    whose lease ran out and was taken by another changes nothing."""
    await table.update({table.lease_token: "", table.lease_until: None, table.queued_until: None}).where(
        (table.partner == partner_id) & (table.lease_token == token)
    )
