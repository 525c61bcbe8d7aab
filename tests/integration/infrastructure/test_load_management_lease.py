"""One recomputation of a location at a time across all nodes: a node that finds the location held asks the holder
to run once more instead of sending profiles of its own (two nodes interleaving profiles computed from different
readings could exceed the grid limit between them); a holder that dies blocks the location for LEASE at most."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from core.load_management import service
from core.load_management.tables import LoadLimit
from tests.integration.infrastructure.conftest import Site
from tests.support import HeldWrite


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


async def test_a_location_held_by_a_node_that_died_is_recomputed_once_the_lease_runs_out(site: Site) -> None:
    """Without a further event: nobody else would ask (the dead holder never runs once more)."""
    location_id = site.location["id"]
    await LoadLimit(tenant=site.location["tenant"], location=location_id, enabled=True).save()
    assert await service.lease(location_id) is not None
    await LoadLimit.update({LoadLimit.lease_until: datetime.now(UTC) + timedelta(seconds=1)}).where(
        LoadLimit.location == location_id
    )
    service.resume()
    service.request(location_id)
    await service.idle()
    assert (await _limit(site))["computed_at"] is None  # held: not recomputed here
    deadline = asyncio.get_running_loop().time() + 1 + service.RETRY_MARGIN_SECONDS + 5
    while (await _limit(site))["computed_at"] is None:
        assert asyncio.get_running_loop().time() < deadline, "not recomputed after the lease ran out"
        await asyncio.sleep(0.1)
    await service.idle()
    assert (await _limit(site))["lease_token"] == ""


async def test_a_recomputation_stopped_while_it_takes_the_lease_leaves_the_location_free(site: Site) -> None:
    """A node stops (a station's disconnect had just started a recomputation) while the UPDATE that takes the lease
    waits for the database: that UPDATE still lands, and the lease it took must be let go of, or the next node could
    not recompute the location for LEASE."""
    location_id = site.location["id"]
    await LoadLimit(tenant=site.location["tenant"], location=location_id, enabled=True).save()
    other_writer = LoadLimit.update({LoadLimit.over_limit: False}).where(LoadLimit.location == location_id)
    async with HeldWrite(other_writer) as held:
        service.resume()
        service.request(location_id)
        await asyncio.sleep(0.3)  # the lease's UPDATE waits
        stopping = asyncio.create_task(service.shutdown())
        await asyncio.sleep(0.3)
        await held.release()
        await stopping
    service.resume()
    assert (await _limit(site))["lease_token"] == ""
    await service.recompute(location_id)  # the next recomputation is not kept waiting
    assert (await _limit(site))["computed_at"] is not None
