"""Session pushes (core.roaming.session_push.next_step, hub.session_push.patch_body): the start at once, changes at
most once per rate and only the newest state, the end at once with the CDR's totals, and PATCH bodies with only what
changed plus last_updated."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from core.roaming.session_push import CDR_POLL, CDR_WAIT, Action, Sent, Step, next_step
from hub.session_push import HubSessionLink, patch_body

T0 = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)
EVERY = timedelta(seconds=60)


def step(sent: Sent | None, *, at: datetime, changed: bool = True, finished: bool = False, by_cdr: bool = False,
         stopped_at: datetime | None = None) -> Step:  # fmt: skip
    return next_step(sent, changed=changed, finished=finished, by_cdr=by_cdr, stopped_at=stopped_at, now=at,
                     every=EVERY)  # fmt: skip


def test_the_start_is_put_at_once() -> None:
    assert step(None, at=T0) == Step(Action.PUT)


def test_a_change_within_the_rate_waits_until_the_rate_allows_it() -> None:
    taken = Sent(True, T0)
    assert step(taken, at=T0 + timedelta(seconds=10)) == Step(Action.WAIT, T0 + EVERY)
    assert step(taken, at=T0 + EVERY) == Step(Action.PATCH)
    assert step(taken, at=T0 + timedelta(seconds=10), changed=False) == Step(Action.NONE)


def test_the_end_waits_for_the_cdr_then_goes_at_once_whatever_the_rate() -> None:
    taken, stop = Sent(True, T0), T0 + timedelta(seconds=5)
    assert step(taken, at=stop, finished=True, stopped_at=stop) == Step(Action.WAIT, stop + CDR_POLL)
    with_cdr = step(taken, at=stop + timedelta(seconds=2), finished=True, by_cdr=True, stopped_at=stop)
    assert with_cdr == Step(Action.PATCH)
    # no CDR for too long: the end goes with the price as it stands
    late = stop + CDR_WAIT
    assert step(taken, at=late, finished=True, stopped_at=stop) == Step(Action.PATCH)
    # a session that started and ended before anything was taken: one PUT of the finished session
    assert step(None, at=late, finished=True, by_cdr=True, stopped_at=stop) == Step(Action.PUT)


def test_nothing_follows_the_end_nor_a_given_up_end() -> None:
    done = Sent(True, T0, final=True)
    assert step(done, at=T0 + timedelta(hours=1), finished=True, by_cdr=True) == Step(Action.NONE)
    given_up = Sent(False, T0, final=True)
    assert step(given_up, at=T0 + timedelta(hours=1), finished=True, by_cdr=True) == Step(Action.NONE)


def test_a_failed_start_is_tried_again_at_the_sessions_rate_with_the_state_of_then() -> None:
    failed = Sent(False, T0)
    assert step(failed, at=T0 + timedelta(seconds=30)) == Step(Action.WAIT, T0 + EVERY)
    assert step(failed, at=T0 + EVERY) == Step(Action.PUT)


def test_changes_every_ten_seconds_are_coalesced_to_one_patch_a_minute_with_the_newest_state() -> None:
    """A session whose kWh grow every 10 s for 5 minutes: each run sends the state as it is when the rule lets it,
    so the partner gets at most one request a minute, each with the newest kWh, and never an older one."""
    sent: Sent | None = None
    partner_holds: float | None = None
    requests: list[tuple[datetime, float]] = []
    due: datetime | None = None
    for tick in range(0, 301):  # the scheduler's one-second ticks; a change every 10 s
        now = T0 + timedelta(seconds=tick)
        kwh = (tick // 10) * 0.5
        if tick % 10 and (due is None or now < due):
            continue  # no change and nothing due: no run considers the session
        decision = step(sent, at=now, changed=partner_holds != kwh)
        due = decision.until if decision.action is Action.WAIT else None
        if decision.action in (Action.PUT, Action.PATCH):
            requests.append((now, kwh))
            sent, partner_holds = Sent(True, now), kwh
    times = [at for at, _ in requests]
    assert all(b - a >= EVERY for a, b in zip(times, times[1:], strict=False))
    assert len(requests) == 6  # the start and one a minute
    assert [kwh for _, kwh in requests] == sorted({kwh for _, kwh in requests})  # always newer, never replayed
    assert requests[-1] == (T0 + timedelta(seconds=300), 15.0)


SESSION: dict[str, Any] = {
    "country_code": "DE", "party_id": "CPA", "id": "17", "start_date_time": "2026-12-06T10:00:00Z", "kwh": 1.5,
    "auth_method": "AUTH_REQUEST", "currency": "EUR", "status": "ACTIVE",
    "total_cost": {"excl_vat": 0.75, "incl_vat": 0.89}, "last_updated": "2026-12-06T10:01:00Z",
}  # fmt: skip


def test_a_patch_carries_what_changed_and_last_updated() -> None:
    now = {**SESSION, "kwh": 2.0, "total_cost": {"excl_vat": 1.0, "incl_vat": 1.19},
           "last_updated": "2026-12-06T10:02:00Z"}  # fmt: skip
    assert patch_body(SESSION, now) == {"kwh": 2.0, "total_cost": {"excl_vat": 1.0, "incl_vat": 1.19},
                                        "last_updated": "2026-12-06T10:02:00Z"}  # fmt: skip
    end = {**now, "status": "COMPLETED", "end_date_time": "2026-12-06T10:03:00Z"}
    assert patch_body(now, end) == {"status": "COMPLETED", "end_date_time": "2026-12-06T10:03:00Z",
                                    "last_updated": "2026-12-06T10:02:00Z"}  # fmt: skip
    gone = {k: v for k, v in now.items() if k != "total_cost"}
    assert patch_body(now, gone) == {"total_cost": None, "last_updated": "2026-12-06T10:02:00Z"}


def test_a_new_last_updated_alone_is_no_change() -> None:
    link = HubSessionLink()
    assert not link.changed(SESSION, {**SESSION, "last_updated": "2026-12-06T10:05:00Z"})
    assert link.changed(SESSION, {**SESSION, "kwh": 1.6})
