"""Actors run by `csms worker` (Redis) or in-process (embedded), and the job names core enqueues them by."""

from __future__ import annotations

from typing import Any

from core import jobs, periodic
from core.tariffs.assignments import mark_assignments_in_force
from workers import (
    broker,  # noqa: F401 - binds actors to the configured broker
    cdr_actors,
    import_actors,
)

# core.jobs name -> actor; csms wires them with register_jobs() at start-up.
JOBS: dict[str, Any] = {
    "bulk_import.run": import_actors.run_import,
    "cdrs.build": cdr_actors.build_cdr,
    "cdrs.check_signatures": cdr_actors.check_signatures,
}


# Periodic work (core.periodic: every csms worker, or the server's loop when embedded): name -> (seconds, work).
PERIODIC: dict[str, tuple[float, Any]] = {
    "tariffs.assignments_in_force": (30, mark_assignments_in_force),
}


def register_jobs() -> None:
    for name, actor in JOBS.items():
        jobs.register(name, actor.send)
    for name, (seconds, work) in PERIODIC.items():
        periodic.every(name, seconds, work)


# `csms worker` only imports this module: its actors may enqueue further jobs through core.jobs too.
register_jobs()
