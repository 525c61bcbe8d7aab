"""Attempt counters: how often something happened for a key (a charge box id, a source address) within a time
window that starts with the first count and ends ``window`` seconds later.

core.charging.handshake counts failed station logins and new unknown stations here. Embedded, the counters live in
this process; with several nodes an adapter registers a store all nodes share at start-up (ocpp_cs.attempts,
on Redis), so that an attacker spreading attempts over the nodes meets one count.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Count:
    count: int
    seconds_left: float  # until the window ends; 0 when nothing was counted


class AttemptStore(Protocol):
    async def counts(self, keys: Sequence[str]) -> list[Count]:
        """The current window's count of each key."""

    async def add(self, keys: Sequence[str], window: float) -> list[Count]:
        """Count one more for each key (a key's window starts with its first count); returns the new counts."""


class LocalAttempts:
    """The store of one process. Bounded: an attacker cycling through source addresses cannot grow it without
    limit (when full, expired windows go first, then the oldest half)."""

    def __init__(self, max_keys: int = 100_000) -> None:
        self.max_keys = max_keys
        self._windows: dict[str, tuple[int, float]] = {}  # key -> (count, monotonic end of the window)

    def _current(self, key: str, now: float) -> Count:
        entry = self._windows.get(key)
        if entry is None or entry[1] <= now:
            return Count(0, 0.0)
        return Count(entry[0], entry[1] - now)

    async def counts(self, keys: Sequence[str]) -> list[Count]:
        now = time.monotonic()
        return [self._current(key, now) for key in keys]

    async def add(self, keys: Sequence[str], window: float) -> list[Count]:
        now = time.monotonic()
        if len(self._windows) + len(keys) > self.max_keys:
            self._prune(now)
        added = []
        for key in keys:
            current = self._current(key, now)
            end = now + current.seconds_left if current.count else now + window
            self._windows[key] = (current.count + 1, end)
            added.append(Count(current.count + 1, end - now))
        return added

    def _prune(self, now: float) -> None:
        self._windows = {key: entry for key, entry in self._windows.items() if entry[1] > now}
        if len(self._windows) > self.max_keys // 2:
            keep = list(self._windows.items())[len(self._windows) // 2 :]
            self._windows = dict(keep)


_store: AttemptStore = LocalAttempts()


def store() -> AttemptStore:
    return _store


def register(shared: AttemptStore | None) -> None:
    """Use ``shared`` from now on (None: back to a store of this process)."""
    global _store
    _store = shared if shared is not None else LocalAttempts()
