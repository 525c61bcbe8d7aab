"""The allocation rule of dynamic load management: fair share with minimums, phases, give-back, kW limits,
more sessions than the limit allows, and never more than the grid limit on any phase."""

from __future__ import annotations

import random
from decimal import Decimal

from core.load_management.allocation import (
    ChargePointLoad,
    Reason,
    allocate,
    kw_to_amperes,
)

D = Decimal
THREE = frozenset({1, 2, 3})
GRID_3 = {1: D(32), 2: D(32), 3: D(32)}


def cp(cp_id: int, *, phases: frozenset[int] = THREE, min_a: str = "6", max_a: str = "32", charging: bool = True,
       order: int | None = None, draw: str | None = None, fixed: str | None = None) -> ChargePointLoad:  # fmt: skip
    return ChargePointLoad(
        id=cp_id, phases=phases, min_a=D(min_a), max_a=D(max_a), charging=charging,
        started_order=cp_id if order is None else order, draw_a=None if draw is None else D(draw),
        fixed_a=None if fixed is None else D(fixed),
    )  # fmt: skip


def limits(result: object) -> dict[int, Decimal]:
    return {k: v.limit_a for k, v in result.allocations.items()}  # type: ignore[attr-defined]


def assert_within(grid: dict[int, Decimal], points: list[ChargePointLoad], result: object) -> None:
    allocations = result.allocations  # type: ignore[attr-defined]
    for phase, limit in grid.items():
        used = sum((allocations[p.id].limit_a for p in points if phase in p.phases or not (p.phases & grid.keys())),
                   D(0))  # fmt: skip
        assert used <= limit, (phase, used, limit)


def test_fair_share_splits_the_limit_evenly() -> None:
    result = allocate(GRID_3, [cp(1), cp(2)])
    assert limits(result) == {1: D(16), 2: D(16)}
    assert {a.reason for a in result.allocations.values()} == {Reason.SHARE}
    assert result.used_a == {1: D(32), 2: D(32), 3: D(32)}
    assert not result.over_limit


def test_a_share_never_exceeds_the_charge_points_own_maximum_and_the_rest_goes_to_the_others() -> None:
    result = allocate(GRID_3, [cp(1, max_a="10"), cp(2), cp(3)])
    assert limits(result) == {1: D(10), 2: D(11), 3: D(11)}


def test_thirds_are_rounded_down_to_a_tenth_so_the_sum_stays_below_the_limit() -> None:
    result = allocate(GRID_3, [cp(1), cp(2), cp(3)])
    assert limits(result) == {1: D("10.6"), 2: D("10.6"), 3: D("10.6")}
    assert result.used_a[1] == D("31.8")


def test_idle_charge_points_get_zero_so_a_new_session_starts_within_the_limit() -> None:
    result = allocate(GRID_3, [cp(1), cp(2, charging=False)])
    assert limits(result) == {1: D(32), 2: D(0)}
    assert result.allocations[2].reason is Reason.IDLE


def test_minimums_go_first_in_start_order_and_the_last_started_are_paused() -> None:
    grid = {1: D(20), 2: D(20), 3: D(20)}
    points = [cp(1, order=3), cp(2, order=1), cp(3, order=2), cp(4, order=4)]
    result = allocate(grid, points)
    # 20 A hold three minimums of 6 A: the charge point whose session started last gets 0 A.
    assert result.allocations[4].reason is Reason.PAUSED
    assert result.allocations[4].limit_a == 0
    assert limits(result)[1] == limits(result)[2] == limits(result)[3] == D("6.6")
    assert_within(grid, points, result)


def test_a_limit_below_one_minimum_pauses_everyone() -> None:
    result = allocate({1: D(5), 2: D(5), 3: D(5)}, [cp(1), cp(2)])
    assert limits(result) == {1: D(0), 2: D(0)}
    assert {a.reason for a in result.allocations.values()} == {Reason.PAUSED}


def test_a_minimum_above_the_charge_points_maximum_is_its_maximum() -> None:
    result = allocate(GRID_3, [cp(1, min_a="10", max_a="8"), cp(2)])
    assert limits(result) == {1: D(8), 2: D(24)}


def test_single_phase_charge_points_load_only_their_phase() -> None:
    points = [cp(1, phases=frozenset({1})), cp(2, phases=frozenset({2})), cp(3)]
    result = allocate(GRID_3, points)
    # Phase 1 and 2 carry one single-phase point each plus the three-phase one: 16 A each; phase 3 has 16 A left.
    assert limits(result) == {1: D(16), 2: D(16), 3: D(16)}
    assert result.used_a == {1: D(32), 2: D(32), 3: D(16)}


def test_a_full_phase_stops_only_the_charge_points_on_it() -> None:
    points = [cp(1, phases=frozenset({1})), cp(2, phases=frozenset({1})), cp(3, phases=frozenset({2}))]
    result = allocate(GRID_3, points)
    assert limits(result) == {1: D(16), 2: D(16), 3: D(32)}
    assert result.used_a[3] == 0


def test_single_phase_minimum_needs_room_only_on_its_phase() -> None:
    grid = {1: D(12), 2: D(12), 3: D(12)}
    points = [cp(1, phases=frozenset({1})), cp(2, phases=frozenset({1})), cp(3, phases=frozenset({2})), cp(4)]
    result = allocate(grid, points)
    # Phase 1: two single-phase minimums (12 A) fill it, so the three-phase point (started last) is paused.
    assert result.allocations[4].reason is Reason.PAUSED
    assert limits(result)[3] == D(12)
    assert_within(grid, points, result)


def test_a_single_phase_grid_carries_three_phase_charge_points_on_its_one_phase() -> None:
    result = allocate({1: D(20)}, [cp(1), cp(2, phases=frozenset({1}))])
    assert limits(result) == {1: D(10), 2: D(10)}


def test_a_charge_point_drawing_less_than_its_share_gives_the_rest_back() -> None:
    result = allocate(GRID_3, [cp(1, draw="6"), cp(2), cp(3)])
    # Point 1 keeps what it draws plus the margin (8 A); the others share the remaining 24 A.
    assert limits(result) == {1: D(8), 2: D(12), 3: D(12)}
    assert result.allocations[1].reason is Reason.CAPPED


def test_give_back_never_goes_below_the_minimum() -> None:
    result = allocate(GRID_3, [cp(1, draw="0", min_a="6"), cp(2)])
    assert limits(result) == {1: D(6), 2: D(26)}


def test_a_charge_point_drawing_its_share_keeps_it() -> None:
    result = allocate(GRID_3, [cp(1, draw="16"), cp(2, draw="16")])
    assert limits(result) == {1: D(16), 2: D(16)}


def test_fixed_charge_points_count_first_and_the_rest_is_shared() -> None:
    points = [cp(1, fixed="6"), cp(2), cp(3)]
    result = allocate(GRID_3, points)
    assert limits(result) == {1: D(6), 2: D(13), 3: D(13)}
    assert result.allocations[1].reason is Reason.FIXED
    assert_within(GRID_3, points, result)


def test_fixed_charge_points_beyond_the_limit_leave_nothing_and_are_reported() -> None:
    result = allocate({1: D(10), 2: D(10), 3: D(10)}, [cp(1, fixed="8"), cp(2, fixed="8"), cp(3)])
    assert limits(result)[3] == 0
    assert result.over_limit


def test_kw_limits_convert_at_230_volts_per_phase() -> None:
    assert kw_to_amperes(D(22), 3) == D("31.8")  # 22000 / 690 = 31.88
    assert kw_to_amperes(D("3.7"), 1) == D("16")
    assert kw_to_amperes(D(11), 3) == D("15.9")


def test_no_charge_points_no_allocations() -> None:
    result = allocate(GRID_3, [])
    assert result.allocations == {}
    assert result.used_a == {1: 0, 2: 0, 3: 0}


def test_random_locations_never_exceed_the_limit_on_any_phase() -> None:
    rng = random.Random(17)
    for _ in range(400):
        grid = {phase: D(rng.randint(0, 80)) for phase in (1, 2, 3)[: rng.choice((1, 3))]}
        points = []
        for i in range(rng.randint(0, 12)):
            phases = rng.choice([THREE, frozenset({1}), frozenset({2}), frozenset({3})])
            points.append(cp(i, phases=phases, min_a=str(rng.choice((0, 6, 8))), max_a=str(rng.choice((16, 32))),
                             charging=rng.random() < 0.8, order=rng.randint(0, 50),
                             draw=rng.choice((None, "3", "10.5", "40"))))  # fmt: skip
        result = allocate(grid, points)
        assert not result.over_limit
        for point in points:
            allocation = result.allocations[point.id]
            assert D(0) <= allocation.limit_a <= point.max_a
            if allocation.reason is Reason.SHARE or allocation.reason is Reason.CAPPED:
                assert allocation.limit_a >= min(point.min_a, point.max_a)
        for phase, limit in grid.items():
            assert result.used_a[phase] <= limit


def test_measured_current_reads_current_or_power_from_meter_values() -> None:
    from core.load_management.service import grid_limits, measured_current

    energy = {"value": "1200", "measurand": "Energy.Active.Import.Register", "unit": "Wh"}
    l1 = {"value": "15.5", "measurand": "Current.Import", "phase": "L1", "unit": "A"}
    l2 = {"value": "16.2", "measurand": "Current.Import", "phase": "L2", "unit": "A"}
    current = [{"sampledValue": [energy, l1, l2]}]
    assert measured_current(current) == ("A", D("16.2"))
    power = [{"sampledValue": [{"value": "7.36", "measurand": "Power.Active.Import", "unit": "kW"}]}]
    assert measured_current(power) == ("W", D("7360.00"))
    assert measured_current([{"sampledValue": [{"value": "1200"}]}]) is None
    assert measured_current([{"sampledValue": [{"value": "NaN", "measurand": "Current.Import"}]}]) is None
    assert grid_limits({"phases": 3, "limit_value": D(22), "limit_unit": "kW"}) == {1: D("31.8"), 2: D("31.8"),
                                                                                    3: D("31.8")}  # fmt: skip
    assert grid_limits({"phases": 1, "limit_value": D(40), "limit_unit": "A"}) == {1: D(40)}
