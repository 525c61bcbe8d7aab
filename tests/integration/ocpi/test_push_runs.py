"""One partner's push runs (core.roaming.pushes with hub.pushes over real HTTP to an address nobody answers): the tick
enqueues a partner once, a run needs the partner's lease, consecutive failures trip the circuit (the rest of the
run is not sent, the partner rests, its watermark still advances) and nothing failed is sent later."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import uvicorn

from core import jobs
from core.infrastructure import changes
from core.infrastructure.tables import Location
from core.roaming import pushes
from core.roaming.tables import OcpiExchange, Partner, PushedObject, PushState
from hub import pushes as hub_pushes
from hub.pushes import HubPushLink
from tests.integration.ocpi.test_pushes_with_peer import partners_end  # noqa: F401 - ends the test's partners
from tests.integration.ocpi.test_sender_modules import open_to, roaming_cpo, roaming_site
from tests.support import TenantCtx, free_port


@pytest.fixture(autouse=True)
def push_link(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """The hub's link, quick retries, and the job runner replaced by a list of the enqueued partner ids."""
    enqueued: list[int] = []
    monkeypatch.setattr(hub_pushes, "RETRY_DELAYS", (0.01, 0.01))
    pushes.register_link(HubPushLink())
    saved = dict(jobs._senders)
    jobs.register(pushes.JOB, enqueued.append)
    yield enqueued
    jobs._senders.clear()
    jobs._senders.update(saved)
    pushes.register_link(None)


async def unreachable_partner(emp: TenantCtx) -> dict[str, Any]:
    dead = f"http://127.0.0.1:{free_port()}/ocpi/emsp/2.2.1"
    partner = Partner(tenant=emp.id, kind="EMP", name="Weg", state="REGISTERED", outgoing_token="token",
                      endpoints=[{"identifier": "locations", "role": "RECEIVER", "url": f"{dead}/locations/"}],
                      roles=[{"role": "EMSP", "country_code": "DE", "party_id": "EXW", "name": ""}])  # fmt: skip
    await partner.save()
    return {"id": partner.id, "url": dead}


async def _hold(partner_id: int) -> None:
    """Keep the push ticks of other processes (the browser tests' live server shares the database) from running this
    partner's pushes between the test's own runs: the partner's push counts as queued for a day (a run of the test
    clears it at its end, as any run does)."""
    await PushState.insert(PushState(partner=partner_id)).on_conflict(target=PushState.partner, action="DO NOTHING")
    await PushState.update({PushState.queued_until: datetime.now(UTC) + timedelta(days=1)}).where(
        PushState.partner == partner_id
    )


async def exchanges(partner_id: int) -> list[dict[str, Any]]:
    return await OcpiExchange.select().where(OcpiExchange.partner == partner_id).order_by(OcpiExchange.id)


async def state_of(partner_id: int) -> dict[str, Any]:
    row = await PushState.select().where(PushState.partner == partner_id).first()
    assert row is not None
    return row


async def test_the_tick_enqueues_a_partner_once_until_its_run_is_done(push_link: list[int], emp_exw: TenantCtx) -> None:
    partner = await unreachable_partner(emp_exw)
    await pushes.tick()
    await pushes.tick()
    assert push_link.count(partner["id"]) == 1  # the second tick finds it queued
    await PushState.update({PushState.lease_until: datetime.now(UTC) + timedelta(minutes=5)}).where(
        PushState.partner == partner["id"]
    )
    await pushes.push_partner(partner["id"])  # another run holds the lease: this one does nothing
    assert await exchanges(partner["id"]) == []
    assert (await state_of(partner["id"]))["watermark"] is None


async def test_consecutive_failures_trip_the_circuit_and_nothing_is_replayed(emp_exw: TenantCtx) -> None:
    cpo = await roaming_cpo()
    group = await open_to(cpo, emp_exw)
    sites = [await roaming_site(cpo, group) for _ in range(4)]
    partner = await unreachable_partner(emp_exw)
    await _hold(partner["id"])

    started = datetime.now(UTC)
    await pushes.push_partner(partner["id"])  # never sent: every location is PUT
    tried = await exchanges(partner["id"])
    assert [r["method"] for r in tried] == ["PUT"] * 9  # three locations, each tried three times, then the circuit
    assert all(r["http_status"] == 0 and r["error"] for r in tried)
    tried_ids = {r["url"].rstrip("/").rsplit("/", 1)[1] for r in tried}
    assert tried_ids == {str(s.location["id"]) for s in sites[:3]}  # in id order; the fourth was not tried
    state = await state_of(partner["id"])
    assert state["paused_until"] > started + timedelta(seconds=30) and partner["url"] in state["last_error"]
    assert state["watermark"] >= started and state["lease_until"] is None and state["queued_until"] is None
    assert await PushedObject.count().where(PushedObject.partner == partner["id"]) == 0

    # Paused: a change is not sent, but the watermark advances (nothing waits for later).
    await changes.locations_changed([sites[3].location["id"]])
    before = state["watermark"]
    await pushes.push_partner(partner["id"])
    assert len(await exchanges(partner["id"])) == 9
    assert (await state_of(partner["id"]))["watermark"] > before

    # The pause over: only what changed since is sent, once more briefly retried; the old failures are not replayed.
    await PushState.update({PushState.paused_until: None}).where(PushState.partner == partner["id"])
    await _hold(partner["id"])
    await pushes.push_partner(partner["id"])
    assert len(await exchanges(partner["id"])) == 9
    await _hold(partner["id"])
    await changes.locations_changed([sites[0].location["id"]])
    await pushes.push_partner(partner["id"])
    again = (await exchanges(partner["id"]))[9:]
    assert [r["url"].rstrip("/").rsplit("/", 1)[1] for r in again] == [str(sites[0].location["id"])] * 3
    assert (await state_of(partner["id"]))["paused_until"] is None  # one object failing is no reason to rest

    # "Send everything again": the next run forgets what was sent and PUTs every location the partner sees.
    await pushes.reset(partner["id"])
    await pushes.push_partner(partner["id"])
    resent = (await exchanges(partner["id"]))[12:]
    assert [r["method"] for r in resent] == ["PUT"] * 9  # the circuit again, after three locations
    assert not (await state_of(partner["id"]))["resend"]


async def test_a_change_given_up_is_not_tried_again_while_the_next_runs_still_look_back_at_it(
    emp_exw: TenantCtx,
) -> None:
    cpo = await roaming_cpo()
    site = await roaming_site(cpo, await open_to(cpo, emp_exw))
    partner = await unreachable_partner(emp_exw)
    await _hold(partner["id"])
    now = datetime.now(UTC)
    await PushState.update({PushState.watermark: now - timedelta(seconds=30)}).where(
        PushState.partner == partner["id"]
    )  # only changes are pushed, not everything
    # The run started 2 s before it read its changes, and the location changed between its watermark minus LAG
    # (where the next run looks back to) and LAG before that read.
    await Location.update({Location.last_updated: now - pushes.LAG - timedelta(seconds=1)}).where(
        Location.id == site.location["id"]
    )
    path = f"/{site.location['id']}"

    async def tried() -> int:
        return len([r for r in await exchanges(partner["id"]) if r["url"].rstrip("/").endswith(path)])

    await pushes._run(partner["id"], now - timedelta(seconds=2))
    assert await tried() == 3  # one PUT, retried twice, given up
    await pushes._run(partner["id"], datetime.now(UTC))
    assert await tried() == 3  # not replayed


@asynccontextmanager
async def slow_receiver(seconds: float) -> AsyncIterator[dict[str, Any]]:
    """A partner's receiver (plain ASGI under uvicorn in the test loop) answering every request with OCPI 1000 after
    ``seconds``; notes the paths it was sent and the most requests it had in flight at once."""
    seen: dict[str, Any] = {"paths": [], "in_flight": 0, "most": 0}
    ok = json.dumps({"data": None, "status_code": 1000, "timestamp": "2026-12-06T10:00:00Z"}).encode()

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        while (await receive()).get("more_body"):
            pass
        seen["in_flight"] += 1
        seen["most"] = max(seen["most"], seen["in_flight"])
        seen["paths"].append((scope["method"], scope["path"]))
        await asyncio.sleep(seconds)
        seen["in_flight"] -= 1
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": ok})

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn offers no event for it
        await asyncio.sleep(0.05)
    seen["url"] = f"http://127.0.0.1:{port}/ocpi/emsp/2.2.1"
    try:
        yield seen
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)


async def test_a_runs_requests_go_out_concurrently_but_bounded(emp_exw: TenantCtx) -> None:
    cpo = await roaming_cpo()
    group = await open_to(cpo, emp_exw)
    sites = [await roaming_site(cpo, group) for _ in range(hub_pushes.CONCURRENCY + 4)]
    async with slow_receiver(0.3) as receiver:
        partner = Partner(tenant=emp_exw.id, kind="EMP", name="Langsam", state="REGISTERED", outgoing_token="token",
                          endpoints=[{"identifier": "locations", "role": "RECEIVER",
                                      "url": f"{receiver['url']}/locations/"}],
                          roles=[{"role": "EMSP", "country_code": "DE", "party_id": "EXW", "name": ""}])  # fmt: skip
        await partner.save()
        await pushes.push_partner(partner.id)
    prefix = f"/ocpi/emsp/2.2.1/locations/{cpo.tenant['country_code']}/{cpo.tenant['party_id']}/"
    assert sorted(receiver["paths"]) == sorted(("PUT", f"{prefix}{s.location['id']}") for s in sites)
    # The first request alone (a partner that fails is probed one object at a time), then up to CONCURRENCY at once.
    assert 1 < receiver["most"] <= hub_pushes.CONCURRENCY
    logged = await exchanges(partner.id)
    assert len(logged) == len(sites) and all(r["ocpi_status"] == 1000 for r in logged)
    assert await PushedObject.count().where(PushedObject.partner == partner.id) == 2 * len(sites)  # location, EVSE
