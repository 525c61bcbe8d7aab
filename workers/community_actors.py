"""Community charging: the monthly statements and credit note of one community and month (core.community)."""

from __future__ import annotations

import dramatiq

from core.community import statements
from workers import broker  # noqa: F401 - binds the actor to the configured broker


# Idempotent per (community, month): a retry after a crash writes only what is missing. The hourly
# ``community.due_months`` enqueues it again anyway, so a few retries with backoff are enough.
@dramatiq.actor(queue_name="community", max_retries=3, min_backoff=60_000, time_limit=900_000)
async def write_statements(community_id: int, period: str) -> None:
    await statements.write_month(community_id, period)
