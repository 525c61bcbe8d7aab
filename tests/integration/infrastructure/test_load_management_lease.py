"""One recomputation of a location at a time across all nodes: a node that finds the location held asks the holder
to run once more instead of sending profiles of its own (two nodes interleaving profiles computed from different
readings could exceed the grid limit between them); a holder that dies blocks the location for LEASE at most."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from core.load_management import service
from core.load_management.tables import LoadLimit
from tests.integration.infrastructure.conftest import Site


async def _limit(site: Site) -> dict[str, Any]:
    row = await LoadLimit.select().where(LoadLimit.location == site.location["id"]).first()
    assert row is not None
    return row


async def test_a_held_location_is_recomputed_by_its_holder_once_more(site: Site) -> None:
    location_id = site.location["id"]
    await LoadLimit(tenant=site.location["tenant"], location=location_id, enabled=True).save()

    holder = await service.lease(location_id)  # another node is recomputing
    assert holder is not None and await service.lease(location_id) is None
    await service.recompute(location_id)
    limit = await _limit(site)
    assert limit["computed_at"] is None  # nothing computed or sent here
    assert limit["recompute_again"] is True  # the holder was asked to run once more

    assert await service.release(location_id, holder) is False  # so it does not let go yet
    assert (await _limit(site))["recompute_again"] is False
    assert await service.release(location_id, holder) is True  # the second round done: free
    await service.recompute(location_id)
    limit = await _limit(site)
    assert limit["computed_at"] is not None and limit["lease_token"] == ""


async def test_the_lease_of_a_node_that_died_runs_out(site: Site) -> None:
    location_id = site.location["id"]
    await LoadLimit(tenant=site.location["tenant"], location=location_id, enabled=True).save()
    assert await service.lease(location_id) is not None
    await LoadLimit.update({LoadLimit.lease_until: datetime.now(UTC) - timedelta(seconds=1)}).where(
        LoadLimit.location == location_id
    )
    await service.recompute(location_id)
    assert (await _limit(site))["computed_at"] is not None
