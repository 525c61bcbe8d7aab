"""Actors run by `csms worker` (Redis) or in-process (embedded), and the job names core enqueues them by."""

from __future__ import annotations

from typing import Any

from core import jobs
from workers import (
    billing_actors,
    broker,  # noqa: F401 - binds actors to the configured broker
    cdr_actors,
    community_actors,
    import_actors,
    mail_actors,
    roaming_actors,
)
from workers.schedules import register_periodic

# core.jobs name -> actor; csms wires them with register_jobs() at start-up.
JOBS: dict[str, Any] = {
    "billing.run": billing_actors.run_month,
    "bulk_import.run": import_actors.run_import,
    "cdrs.build": cdr_actors.build_cdr,
    "cdrs.check_signatures": cdr_actors.check_signatures,
    "community.statements": community_actors.write_statements,
    "mail.send": mail_actors.send_mail,
    "roaming.push_partner": roaming_actors.push_partner,
    "roaming.send_cdr": roaming_actors.send_cdr,
    "roaming.push_sessions": roaming_actors.push_sessions,
}


def register_jobs() -> None:
    for name, actor in JOBS.items():
        jobs.register(name, actor.send)
    register_periodic()


# `csms worker` only imports this module: its actors may enqueue further jobs through core.jobs too.
register_jobs()
