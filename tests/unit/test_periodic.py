"""core.periodic: registered work runs every period on the scheduler's loop and survives its own failures."""

from __future__ import annotations

import asyncio

from core import periodic


async def test_scheduler_runs_each_registered_work_repeatedly_and_survives_failures() -> None:
    calls: list[str] = []

    async def ok() -> None:
        calls.append("ok")

    async def failing() -> None:
        calls.append("failing")
        raise RuntimeError("partner away")

    saved = dict(periodic._registry)
    periodic._registry.clear()
    try:
        periodic.every("ok", 0.01, ok)
        periodic.every("failing", 0.01, failing)
        periodic.every("ok", 0.01, ok)  # the same name again replaces, it does not run twice
        assert [p.name for p in periodic.registered()] == ["ok", "failing"]
        scheduler = periodic.Scheduler()
        scheduler.start()
        await asyncio.sleep(0.2)
        await scheduler.stop()
    finally:
        periodic._registry.clear()
        periodic._registry.update(saved)
    assert calls.count("ok") >= 3
    assert calls.count("failing") >= 3  # a failure does not end its loop
    after = len(calls)
    await asyncio.sleep(0.05)
    assert len(calls) == after  # stopped means stopped
