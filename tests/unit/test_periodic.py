"""core.periodic: registered work runs every period on the scheduler's loop and survives its own failures."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from core import periodic


@pytest.fixture
def empty_registry() -> Iterator[None]:
    """The registry without csms's own work for the test, and back as it was afterwards."""
    saved = dict(periodic._registry)
    periodic._registry.clear()
    yield
    periodic._registry.clear()
    periodic._registry.update(saved)


@pytest.mark.usefixtures("empty_registry")
async def test_scheduler_runs_each_registered_work_repeatedly_and_survives_failures() -> None:
    calls: list[str] = []

    async def ok() -> None:
        calls.append("ok")

    async def failing() -> None:
        calls.append("failing")
        raise RuntimeError("partner away")

    periodic.every("ok", 0.01, ok)
    periodic.every("failing", 0.01, failing)
    periodic.every("ok", 0.01, ok)  # the same name again replaces, it does not run twice
    assert [p.name for p in periodic.registered()] == ["ok", "failing"]
    scheduler = periodic.Scheduler()
    scheduler.start()
    await asyncio.sleep(0.2)
    await scheduler.stop()
    assert calls.count("ok") >= 3
    assert calls.count("failing") >= 3  # a failure does not end its loop
    after = len(calls)
    await asyncio.sleep(0.05)
    assert len(calls) == after  # stopped means stopped


@pytest.mark.usefixtures("empty_registry")
async def test_a_scheduler_of_one_kind_runs_only_that_work() -> None:
    calls: list[str] = []

    async def job() -> None:
        calls.append("job")

    async def station_work() -> None:
        calls.append("stations")

    periodic.every("job", 0.01, job)
    periodic.every("stations", 0.01, station_work, periodic.STATIONS)
    assert [p.name for p in periodic.registered(periodic.JOBS)] == ["job"]
    assert [p.name for p in periodic.registered(periodic.STATIONS)] == ["stations"]
    assert [p.name for p in periodic.registered()] == ["job", "stations"]  # embedded: one scheduler, all of it
    scheduler = periodic.Scheduler(periodic.STATIONS)  # a serve node in production
    scheduler.start()
    await asyncio.sleep(0.1)
    await scheduler.stop()
    assert calls and set(calls) == {"stations"}
