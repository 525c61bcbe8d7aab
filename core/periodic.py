"""Periodic work that is not triggered by a change: pruning, partner health checks, the roaming pushes' sweep.

``every(name, seconds, fn)`` registers a coroutine function; a ``Scheduler`` runs each registered one on its event
loop every ``seconds`` (the first run one period after start). Who runs the scheduler is wired outside core: the
server's loop in embedded mode, each ``csms worker`` process in production. So a periodic function may run in
several processes at once and must be safe to: idempotent, or claiming its work in the database.
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


@dataclass(frozen=True)
class Periodic:
    name: str
    seconds: float
    fn: Work


_registry: dict[str, Periodic] = {}


def every(name: str, seconds: float, fn: Work) -> None:
    """Runs ``fn`` every ``seconds`` wherever a scheduler runs; registering a name again replaces it."""
    _registry[name] = Periodic(name, seconds, fn)


def registered() -> list[Periodic]:
    return list(_registry.values())


class Scheduler:
    """One task per registered periodic function, on the running loop."""

    def __init__(self) -> None:
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._run(p), name=f"periodic:{p.name}") for p in registered()]

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
