"""The periodic work (core.periodic) csms runs without cron: registered at start-up, run on the server's loop when
embedded and in each `csms worker` process, so every function here is safe to run in several processes at once."""

from __future__ import annotations

from core import periodic
from core.roaming import exchange_log

HOUR = 3600


def register_periodic() -> None:
    periodic.every("roaming.prune_log", HOUR, exchange_log.prune_expired)
