"""The allocation rule of dynamic load management: a pure function, no database, no OCPP.

A location's grid connection has a limit in amperes per phase. Each charge point of the location gets a
current limit (amperes per phase it uses) so that, on every phase, the sum over the charge points never
exceeds the grid limit:

1. Fixed charge points come first: ones csms cannot steer right now (a station that did not confirm its
   profile, or is offline) count at what they may draw (``fixed_a``), whatever is left is shared.
2. Idle charge points (no session) get 0 A.
3. Charging charge points get their minimum current in the order their sessions started, as long as every phase
   they use has room for it; the ones that started last, for which no room is left, get 0 A (paused).
4. The rest is shared fairly (water-filling): every charge point that holds its minimum is raised by the same
   amount until it reaches its cap (its own maximum, or what it draws plus a margin: a car that draws less than
   its share gives the rest back) or one of its phases is full.

Amounts are exact fractions during the computation and rounded down to 0.1 A at the end, so rounding never
pushes a phase over its limit.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

VOLTS_PER_PHASE = 230
# A car that draws less than its share keeps this much above what it draws, so it can ramp up again
# (the next MeterValues raise its share when it does).
GIVE_BACK_MARGIN_A = Decimal("2")
STEP = Fraction(1, 10)  # limits are sent with one decimal


class Reason(StrEnum):
    SHARE = "share"  # its fair share of what is left after the minimums
    CAPPED = "capped"  # less than the fair share: its own maximum or what it draws (the rest was given back)
    PAUSED = "paused"  # charging, but no room for its minimum: 0 A until others stop
    IDLE = "idle"  # no session: 0 A, so a new session starts within the limit
    FIXED = "fixed"  # csms cannot steer it now: counted at what it may draw


@dataclass(frozen=True)
class ChargePointLoad:
    """What the rule needs to know about one charge point."""

    id: int
    phases: frozenset[int]  # grid phases it draws from, e.g. {1, 2, 3} or {1}
    min_a: Decimal
    max_a: Decimal
    charging: bool = False
    started_order: int = 0  # smaller: started earlier
    draw_a: Decimal | None = None  # measured current (per phase), None when unknown
    fixed_a: Decimal | None = None  # not steerable: counts at this current


@dataclass(frozen=True)
class Allocation:
    limit_a: Decimal
    reason: Reason


@dataclass
class AllocationResult:
    allocations: dict[int, Allocation] = field(default_factory=dict)
    used_a: dict[int, Decimal] = field(default_factory=dict)  # per phase: the sum of the limits on it
    over_limit: bool = False  # the fixed charge points alone exceed a phase: nothing csms can do but wait


def kw_to_amperes(kw: Decimal, phases: int) -> Decimal:
    """A power limit in kW as amperes per phase at 230 V per phase (rounded down to 0.1 A)."""
    amps = Fraction(kw) * 1000 / (VOLTS_PER_PHASE * phases)
    return _round_down(amps)


def _round_down(value: Fraction) -> Decimal:
    steps = math.floor(value / STEP)
    return Decimal(steps) / 10


def _cap(cp: ChargePointLoad) -> Fraction:
    cap = Fraction(cp.max_a)
    if cp.draw_a is not None:
        cap = min(cap, max(Fraction(cp.min_a), Fraction(cp.draw_a + GIVE_BACK_MARGIN_A)))
    return cap


def allocate(limits_a: dict[int, Decimal], charge_points: Iterable[ChargePointLoad]) -> AllocationResult:
    """Each charge point's limit; ``limits_a``: the grid limit per phase (phase number -> amperes)."""
    points = sorted(charge_points, key=lambda cp: (cp.started_order, cp.id))
    room = {phase: Fraction(limit) for phase, limit in limits_a.items()}
    result = AllocationResult()
    amounts: dict[int, Fraction] = {}
    reasons: dict[int, Reason] = {}

    def take(cp: ChargePointLoad, amount: Fraction) -> None:
        for phase in _phases_of(cp, room):
            room[phase] -= amount
        amounts[cp.id] = amounts.get(cp.id, Fraction(0)) + amount

    for cp in points:
        if cp.fixed_a is not None:
            take(cp, Fraction(cp.fixed_a))
            reasons[cp.id] = Reason.FIXED
    steerable = [cp for cp in points if cp.fixed_a is None]
    for cp in steerable:
        if not cp.charging:
            amounts[cp.id], reasons[cp.id] = Fraction(0), Reason.IDLE
    sharing: list[ChargePointLoad] = []
    for cp in (cp for cp in steerable if cp.charging):
        minimum = min(Fraction(cp.min_a), Fraction(cp.max_a))
        if all(room[phase] >= minimum for phase in _phases_of(cp, room)):
            take(cp, minimum)
            reasons[cp.id] = Reason.SHARE
            sharing.append(cp)
        else:
            amounts[cp.id], reasons[cp.id] = Fraction(0), Reason.PAUSED
    _fill(sharing, room, amounts, reasons)
    for cp in points:
        limit = cp.fixed_a if cp.fixed_a is not None else _round_down(amounts[cp.id])
        result.allocations[cp.id] = Allocation(limit, reasons[cp.id])
    for phase, grid_limit in limits_a.items():
        on_phase = [result.allocations[cp.id].limit_a for cp in points if phase in _phases_of(cp, room)]
        result.used_a[phase] = sum(on_phase, Decimal(0))
        result.over_limit = result.over_limit or result.used_a[phase] > grid_limit
    return result


def _phases_of(cp: ChargePointLoad, room: dict[int, Fraction]) -> Sequence[int]:
    """The grid phases the charge point loads; a grid with fewer phases carries all of it on the ones it has."""
    phases = [phase for phase in sorted(cp.phases) if phase in room]
    return phases or sorted(room)


def _fill(
    sharing: list[ChargePointLoad], room: dict[int, Fraction], amounts: dict[int, Fraction], reasons: dict[int, Reason]
) -> None:
    """Water-filling: raise every open charge point by the same amount until it is capped or a phase is full."""
    caps = {cp.id: _cap(cp) for cp in sharing}
    open_points = [cp for cp in sharing if amounts[cp.id] < caps[cp.id]]
    for cp in sharing:
        if amounts[cp.id] >= caps[cp.id]:
            reasons[cp.id] = Reason.CAPPED if caps[cp.id] < Fraction(cp.max_a) else Reason.SHARE
    while open_points:
        users = {phase: sum(1 for cp in open_points if phase in _phases_of(cp, room)) for phase in room}
        step = min(
            [room[phase] / count for phase, count in users.items() if count]
            + [caps[cp.id] - amounts[cp.id] for cp in open_points]
        )
        step = max(step, Fraction(0))
        for cp in open_points:
            amounts[cp.id] += step
            for phase in _phases_of(cp, room):
                room[phase] -= step
        full = {phase for phase, count in users.items() if count and room[phase] <= 0}
        still_open = []
        for cp in open_points:
            if amounts[cp.id] >= caps[cp.id]:
                reasons[cp.id] = Reason.CAPPED if caps[cp.id] < Fraction(cp.max_a) else Reason.SHARE
            elif not full.intersection(_phases_of(cp, room)):
                still_open.append(cp)
        if len(still_open) == len(open_points):  # nothing changed: cannot happen, but never loop forever
            break
        open_points = still_open
