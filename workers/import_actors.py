"""Background import of long CSV files (core.infrastructure.bulk_import); the page polls the job's progress."""

from __future__ import annotations

import dramatiq

from core.infrastructure import bulk_import
from workers import broker  # noqa: F401 - binds the actor to the configured broker


# Retries are safe: a failed run rolled back its one transaction and run_job skips finished jobs.
@dramatiq.actor(queue_name="imports", max_retries=3, min_backoff=5_000, max_backoff=60_000, time_limit=3_600_000)
async def run_import(job_id: int) -> None:
    await bulk_import.run_job(job_id)
