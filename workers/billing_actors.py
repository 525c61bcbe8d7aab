"""Billing: the monthly billing run of one month (core.billing.runs)."""

from __future__ import annotations

import dramatiq

from core.billing import runs
from workers import broker  # noqa: F401 - binds the actor to the configured broker


# Idempotent per (tenant, month): a retry after a crash writes only the tenants that are missing. The hourly
# ``billing.due_months`` enqueues an unfinished month again anyway, so a few retries with backoff are enough.
@dramatiq.actor(queue_name="billing", max_retries=3, min_backoff=60_000, time_limit=1_800_000)
async def run_month(period: str) -> None:
    await runs.run_month(period)
