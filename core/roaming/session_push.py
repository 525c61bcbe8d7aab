"""Sessions pushed to the partner whose token charges (OCPI mod_sessions: the CPO sends its Session objects to the
eMSP's receiver): a PUT when the session starts, PATCHes while it charges at most once per
``OCPI_SESSION_PATCH_SECONDS`` per session, and a final PATCH (COMPLETED, the end, the CDR's kWh and total cost).

No message per meter value: a periodic tick (every second, wherever a scheduler runs) enqueues one job per partner
with a sessions receiver whose sessions changed since its watermark (an index of roaming sessions by
``updated_at``) or that has a change held back; the job takes the partner's lease and compares the CURRENT state of
each session (``core.roaming.charged``, the same objects the GET list answers) with what the partner last took
(``SessionPush.sent``), and the hub's ``SessionLink`` sends the difference. ``next_step`` is the rule:

* nothing taken yet: a PUT of the whole Session;
* changed while charging: a PATCH with what changed, unless the session was sent less than the rate ago: then the
  change waits (``due_at``) and the run at that time sends the state as it is then (coalesced, never a queue);
* finished: the final request at once, once the session's CDR exists (its totals are what the partner is billed),
  or after ``CDR_WAIT`` without one; after it nothing more is sent of the session.

As for locations: a failed request is retried briefly by the link and then given up (never replayed); a finished
session whose end could not be sent is done with (the partner finds it by GET); consecutive failures rest the partner
for ``PAUSE``; a partner that is not registered, not CONNECTED or without a sessions receiver gets nothing.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any, Protocol

from core import jobs
from core.charging.tables import ChargingSession
from core.db import leased
from core.roaming import charged, leases
from core.roaming.partners import PartnerState, endpoint_url, get_partner, may_push_to
from core.roaming.tables import Partner, SessionPush, SessionPushState
from core.settings import get_settings
from core.tenancy.actor import Actor

log = logging.getLogger("csms.roaming.session_push")

JOB = "roaming.push_sessions"
MODULE = "sessions"
TICK_SECONDS = 1.0
LAG = timedelta(seconds=5)  # a transaction may commit this long after the time it stamped
LEASE = timedelta(minutes=5)
QUEUED_FOR = timedelta(seconds=60)  # an enqueued job that never ran (worker gone) is enqueued again after this
PAUSE = timedelta(seconds=60)
TRIP_AFTER = 3  # sessions failing in a row rest the partner
CDR_WAIT = timedelta(minutes=2)  # a finished session waits this long for its CDR before its end is sent anyway
CDR_POLL = timedelta(seconds=2)


def _now() -> datetime:
    return datetime.now(UTC)


def patch_every() -> timedelta:
    return timedelta(seconds=max(0, get_settings().ocpi_session_patch_seconds))


# --- the rule ------------------------------------------------------------------------------------------------------


class Action(Enum):
    NONE = "none"  # nothing to send (unchanged, or done with)
    PUT = "PUT"  # the whole Session
    PATCH = "PATCH"  # what changed, and last_updated
    WAIT = "wait"  # a change held back until ``Step.until``


@dataclass(frozen=True)
class Sent:
    """What a session's record says: whether the partner took it, when csms last tried, whether it is done with."""

    taken: bool
    attempted_at: datetime | None
    final: bool = False


@dataclass(frozen=True)
class Step:
    action: Action
    until: datetime | None = None


def next_step(
    sent: Sent | None, *, changed: bool, finished: bool, by_cdr: bool, stopped_at: datetime | None, now: datetime,
    every: timedelta,
) -> Step:  # fmt: skip
    """What to do with one session now. ``changed``: its current object differs from the one the partner took
    (besides last_updated); ``finished``: it ended; ``by_cdr``: priced by its CDR."""
    if sent is not None and sent.final:
        return Step(Action.NONE)
    if finished and not by_cdr and (stopped_at is None or now - stopped_at < CDR_WAIT):
        return Step(Action.WAIT, now + CDR_POLL)  # the end carries the CDR's totals
    if sent is None or not sent.taken:
        if finished or sent is None or sent.attempted_at is None or now >= sent.attempted_at + every:
            return Step(Action.PUT)
        return Step(Action.WAIT, sent.attempted_at + every)  # a failed PUT is tried again at the session's rate
    if not changed:
        return Step(Action.NONE)
    if finished or sent.attempted_at is None or now >= sent.attempted_at + every:
        return Step(Action.PATCH)
    return Step(Action.WAIT, sent.attempted_at + every)


# --- the link to the hub -------------------------------------------------------------------------------------------


class SessionLink(Protocol):
    def render(self, session: charged.ChargedSession) -> dict[str, Any]:
        """The session as the partner sees it (JSON values, the GET list's object)."""

    def changed(self, sent: dict[str, Any], current: dict[str, Any]) -> bool:
        """Whether ``current`` differs from ``sent`` in more than its last_updated."""

    async def send(self, partner: dict[str, Any], current: dict[str, Any], sent: dict[str, Any] | None) -> str | None:
        """PUT ``current`` (``sent`` None) or PATCH what changed since ``sent``, retried briefly; None when the
        partner took it, else why not."""


_link: SessionLink | None = None


def register_link(link: SessionLink | None) -> None:
    global _link
    _link = link


def receives(partner: dict[str, Any]) -> bool:
    return endpoint_url(partner, MODULE, "RECEIVER") is not None


# --- the tick -------------------------------------------------------------------------------------------------------


async def _state(partner_id: int) -> dict[str, Any]:
    await SessionPushState.insert(SessionPushState(partner=partner_id)).on_conflict(
        target=SessionPushState.partner, action="DO NOTHING"
    )
    row = await SessionPushState.select().where(SessionPushState.partner == partner_id).first()
    assert row is not None
    return row


async def _has_work(partner_id: int, state: dict[str, Any], now: datetime) -> bool:
    since = (state["watermark"] or now) - LAG
    changed = ChargingSession.exists().where(
        (ChargingSession.roaming_partner_id == partner_id) & (ChargingSession.updated_at >= since)
    )
    due = SessionPush.exists().where(
        (SessionPush.partner == partner_id) & (SessionPush.due_at <= now) & (SessionPush.final == False)  # noqa: E712
    )
    return bool(await changed or await due)


async def tick() -> int:
    """Enqueues a job for each partner with a sessions receiver that has something to send; returns how many. Safe
    in several processes at once (enqueueing is claimed in the database); without the hub's link, nothing."""
    if _link is None:
        return 0
    now = _now()
    rows = await Partner.select().where(Partner.state == PartnerState.REGISTERED).output(load_json=True)
    candidates = [partner for partner in rows if receives(partner)]
    if not candidates:
        return 0
    states = {
        row["partner"]: row
        for row in await SessionPushState.select().where(SessionPushState.partner.is_in([p["id"] for p in candidates]))
    }
    enqueued = 0
    for partner in candidates:
        state = states.get(partner["id"]) or await _state(partner["id"])
        if state["watermark"] is not None and not await _has_work(partner["id"], state, now):
            continue
        if await leases.claim_enqueue(SessionPushState, partner["id"], now, QUEUED_FOR):
            jobs.enqueue(JOB, partner["id"])
            enqueued += 1
    return enqueued


# --- one partner's run ----------------------------------------------------------------------------------------------


async def push_sessions(partner_id: int) -> None:
    """The job: one run for the partner unless another run holds its lease."""
    started = _now()
    await _state(partner_id)
    take = functools.partial(leases.take_lease, SessionPushState, partner_id, now=started, lease=LEASE)
    async with leased(take, functools.partial(leases.end_run, SessionPushState, partner_id)) as token:
        if token is not None:
            await _run(partner_id, started)


async def _candidates(partner_id: int, since: datetime, now: datetime) -> list[int]:
    changed = await ChargingSession.select(ChargingSession.id).where(
        (ChargingSession.roaming_partner_id == partner_id)
        & (ChargingSession.updated_at >= since)
        & (ChargingSession.updated_at <= now)
    )
    due = await SessionPush.select(SessionPush.session_id).where(
        (SessionPush.partner == partner_id) & (SessionPush.due_at <= now) & (SessionPush.final == False)  # noqa: E712
    )
    return sorted({r["id"] for r in changed} | {r["session_id"] for r in due})


async def _run(partner_id: int, started: datetime) -> None:
    partner = await Partner.select().where(Partner.id == partner_id).output(load_json=True).first()
    state = await _state(partner_id)
    since = (state["watermark"] or started) - LAG
    values: dict[Any, Any] = {SessionPushState.watermark: started}
    ids = await _candidates(partner_id, since, started)
    paused = state["paused_until"] is not None and state["paused_until"] > started
    if (
        partner is None or partner["state"] != PartnerState.REGISTERED or not receives(partner) or paused
        or _link is None or not await may_push_to(partner)
    ):  # fmt: skip
        # Nothing is sent and nothing is kept for later: the partner resyncs by GET.
        await SessionPush.update({SessionPush.due_at: None}).where(
            (SessionPush.partner == partner_id) & SessionPush.due_at.is_not_null()
        )
        await SessionPushState.update(values).where(SessionPushState.partner == partner_id)
        return
    records = {
        r["session_id"]: r
        for r in await SessionPush.select()
        .where((SessionPush.partner == partner_id) & SessionPush.session_id.is_in(ids or [-1]))
        .output(load_json=True)
    }
    sent_now = failed = in_a_row = 0
    every = patch_every()
    for bundle in await charged.sessions_by_id(partner_id, ids, started):
        record = records.get(int(bundle.session["id"]))
        outcome = await _push_one(partner, bundle, record, every)
        if outcome is None:
            continue
        if outcome:
            failed, in_a_row = failed + 1, in_a_row + 1
            values[SessionPushState.last_error] = outcome[:300]
            values[SessionPushState.last_error_at] = _now()
            if in_a_row >= TRIP_AFTER:
                values[SessionPushState.paused_until] = _now() + PAUSE
                log.warning("session pushes to partner %s paused: %s", partner_id, outcome)
                break
        else:
            sent_now, in_a_row = sent_now + 1, 0
            values[SessionPushState.last_sent_at] = _now()
    if sent_now:
        values[SessionPushState.sent] = SessionPushState.sent + sent_now
    if failed:
        values[SessionPushState.failed] = SessionPushState.failed + failed
    await SessionPushState.update(values).where(SessionPushState.partner == partner_id)


async def _push_one(
    partner: dict[str, Any], bundle: charged.ChargedSession, record: dict[str, Any] | None, every: timedelta
) -> str | None:
    """Carries out the session's next step; None when nothing was sent, "" when the partner took it, else the
    error of a request given up."""
    assert _link is not None
    now = _now()
    current = _link.render(bundle)
    before = record["sent"] if record is not None else None
    sent = None if record is None else Sent(before is not None, record["attempted_at"], record["final"])
    step = next_step(
        sent, changed=before is not None and _link.changed(before, current), finished=bundle.finished,
        by_cdr=bundle.by_cdr, stopped_at=bundle.session["stopped_at"], now=now, every=every,
    )  # fmt: skip
    session_id = int(bundle.session["id"])
    if step.action is not Action.NONE and not await may_push_to(partner, *_party(bundle)):
        step = Step(Action.NONE)  # the token's eMSP behind a hub is not CONNECTED: nothing, and nothing kept
    if step.action in (Action.NONE, Action.WAIT):
        if (record or {}).get("due_at") != step.until:
            await _save(partner["id"], session_id, {SessionPush.due_at: step.until})
        return None
    error = await _link.send(partner, current, before if step.action is Action.PATCH else None)
    values: dict[Any, Any] = {SessionPush.attempted_at: _now(), SessionPush.due_at: None,
                              SessionPush.final: bundle.finished}  # fmt: skip
    if error is None:
        values[SessionPush.sent] = current
    await _save(partner["id"], session_id, values)
    return error or ""


def _party(bundle: charged.ChargedSession) -> tuple[str, str]:
    token = bundle.session.get("roaming_token") or {}
    return str(token.get("country_code") or ""), str(token.get("party_id") or "")


async def _save(partner_id: int, session_id: int, values: dict[Any, Any]) -> None:
    await SessionPush.insert(SessionPush(partner=partner_id, session_id=session_id)).on_conflict(
        target=SessionPush.session_id, action="DO NOTHING"
    )
    await SessionPush.update(values).where(SessionPush.session_id == session_id)


# --- the partner page ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionPushOverview:
    receives: bool  # registered with a sessions receiver
    sent: int  # PUTs and PATCHes the partner took
    failed: int  # given up
    last_sent_at: datetime | None
    last_error: str
    last_error_at: datetime | None


async def overview(actor: Actor, partner_id: int) -> SessionPushOverview:
    partner = await get_partner(actor, partner_id)
    state = await SessionPushState.select().where(SessionPushState.partner == partner_id).first() or {}
    return SessionPushOverview(
        receives=partner["state"] == PartnerState.REGISTERED and receives(partner),
        sent=int(state.get("sent") or 0),
        failed=int(state.get("failed") or 0),
        last_sent_at=state.get("last_sent_at"),
        last_error=state.get("last_error", ""),
        last_error_at=state.get("last_error_at"),
    )
