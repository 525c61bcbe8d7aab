"""Periodic work that is not triggered by a change: pruning, partner health checks, the roaming pushes' sweep.

``every(name, seconds, fn)`` registers a coroutine function; a ``Scheduler`` runs each registered one on its event
loop every ``seconds`` (the first run one period after start). Who runs the scheduler is wired outside core: the
server's loop in embedded mode, each ``csms worker`` process in production. So a periodic function may run in
several processes at once and must be safe to: idempotent, or claiming its work in the database.

Work that sends commands to stations (``where=STATIONS``) needs the command bus, which only the `csms serve` nodes
run: in production it runs on each serve node instead of the workers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("csms.periodic")

Work = Callable[[], Awaitable[Any]]

JOBS = "jobs"  # wherever jobs run: the embedded server, or each `csms worker`
STATIONS = "stations"  # where the stations' websockets and the command bus are: the server, or each `csms serve`


@dataclass(frozen=True)
class Periodic:
    name: str
    seconds: float
    fn: Work
    where: str = JOBS


_registry: dict[str, Periodic] = {}


def every(name: str, seconds: float, fn: Work, where: str = JOBS) -> None:
    """Runs ``fn`` every ``seconds`` wherever a scheduler for ``where`` runs; registering a name again replaces it."""
    _registry[name] = Periodic(name, seconds, fn, where)


def registered(where: str | None = None) -> list[Periodic]:
    """The registered work (of one kind, or all)."""
    return [p for p in _registry.values() if where is None or p.where == where]


class Scheduler:
    """One task per registered periodic function (of one kind, or all), on the running loop."""

    def __init__(self, where: str | None = None) -> None:
        self._tasks: list[asyncio.Task[None]] = []
        self._where = where

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._run(p), name=f"periodic:{p.name}") for p in registered(self._where)]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    @staticmethod
    async def _run(work: Periodic) -> None:
        while True:
            await asyncio.sleep(work.seconds)
            try:
                await work.fn()
            except Exception:  # the database or a partner is away for a moment: the next period tries again
                log.exception("periodic %s failed", work.name)
