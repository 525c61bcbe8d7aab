"""Two ``csms serve`` processes sharing PostgreSQL and Redis: a command issued on node B reaches the station
whose websocket node A holds, the reply comes back, and once the station is gone the command says offline."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import redis.asyncio as aioredis

from core.access.tables import ChargingCard
from core.tenancy import api_keys
from ocpp_cs.bus import STATIONS_KEY, alive_key, locate
from tests.integration.ocpp.conftest import Station, raw_socket
from tests.integration.ocpp.test_commands import simulated, until
from tests.support import TenantCtx, free_port

pytestmark = pytest.mark.redis

CSMS = str(Path(sys.executable).with_name("csms"))


@contextlib.contextmanager
def node(node_id: str, port: int) -> Iterator[str]:
    if not os.environ.get("REDIS_URL") or not os.environ["DATABASE_URL"].startswith("postgres"):
        pytest.skip("two nodes need PostgreSQL and Redis")
    env = {**os.environ, "CSMS_NODE_ID": node_id}
    log = tempfile.NamedTemporaryFile(prefix=f"csms-{node_id}-", suffix=".log", delete=False)  # noqa: SIM115
    process = subprocess.Popen(  # noqa: S603 - our own CLI
        [CSMS, "serve", "--port", str(port), "--log-level", "warning"],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        log.close()
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()


async def wait_ready(base: str) -> None:
    async with httpx.AsyncClient(base_url=base) as http:
        for _ in range(200):
            with contextlib.suppress(httpx.TransportError):
                if (await http.get("/health")).status_code == 200:
                    return
            await asyncio.sleep(0.1)
    raise AssertionError(f"{base} did not start")


@pytest.fixture
async def two_nodes() -> AsyncIterator[tuple[str, str]]:
    with node("test-node-a", free_port()) as a, node("test-node-b", free_port()) as b:
        await asyncio.gather(wait_ready(a), wait_ready(b))
        yield a, b


async def test_command_through_another_node(
    two_nodes: tuple[str, str], station: Station, cpo: TenantCtx, unique: str
) -> None:
    node_a, node_b = two_nodes
    key, _ = await api_keys.create_api_key(cpo.id, "two-nodes")
    auth = {"Authorization": f"Bearer {key}"}
    tag = f"B{unique[:7]}".upper()
    await ChargingCard(tenant=cpo.id, uid=tag).save()
    cache = aioredis.Redis.from_url(os.environ["REDIS_URL"], decode_responses=True)
    async with httpx.AsyncClient(base_url=node_b, headers=auth, timeout=30) as api_b:
        async with simulated(node_a.replace("http://", "ws://") + "/ocpp", station) as sim:
            assert await locate(cache, station.charge_box_id) == "test-node-a"
            assert await cache.hget(STATIONS_KEY, station.charge_box_id) == "test-node-a"  # type: ignore[misc]
            assert 0 < await cache.ttl(alive_key("test-node-a")) <= 60

            answer = await api_b.post(f"/api/v1/stations/{station.id}/commands/ChangeConfiguration",
                                      json={"key": "HeartbeatInterval", "value": "90"})  # fmt: skip
            assert answer.status_code == 200, answer.text
            assert answer.json()["status"] == "accepted" and answer.json()["result"] == {"status": "Accepted"}
            assert sim.configuration["HeartbeatInterval"] == "90"

            start = await api_b.post(f"/api/v1/evses/{station.charge_points[0]['id']}/commands/start",
                                     json={"id_tag": tag})  # fmt: skip
            assert start.status_code == 200 and start.json()["status"] == "accepted", start.text
            await until(lambda: _charging(sim))

            config = await api_b.post(f"/api/v1/stations/{station.id}/commands/get-configuration", json={})
            assert {"key": "HeartbeatInterval", "readonly": False, "value": "90"} in config.json()["result"][
                "configurationKey"
            ]
            # The record is shared: node A shows what node B sent.
            async with httpx.AsyncClient(base_url=node_a, headers=auth) as api_a:
                record = await api_a.get(f"/api/v1/commands/{start.json()['id']}")
                assert record.status_code == 200 and record.json()["action"] == "RemoteStartTransaction"

        async def gone() -> bool:
            return await cache.hget(STATIONS_KEY, station.charge_box_id) is None  # type: ignore[misc]

        await until(gone)
        offline = await api_b.post(f"/api/v1/stations/{station.id}/commands/reset", json={"type": "Soft"})
        assert offline.status_code == 409 and offline.json()["status"] == "offline"

        # A bare websocket on node A: CALLERROR and timeout come back to node B, and commands from both nodes
        # reach the station one at a time.
        async with (
            httpx.AsyncClient(base_url=node_a, headers=auth, timeout=30) as api_a,
            raw_socket(node_a.replace("http://", "ws://") + "/ocpp", station) as ws,
        ):
            await until(lambda: _present(cache, station.charge_box_id))
            url = f"/api/v1/stations/{station.id}/commands"
            pending = asyncio.create_task(api_b.post(f"{url}/ClearCache"))
            frame = json.loads(await asyncio.wait_for(ws.recv(), 15))
            await ws.send(json.dumps([4, frame[1], "NotSupported", "no cache", {}]))
            failed = (await pending).json()
            assert failed["status"] == "failed" and failed["result"]["errorCode"] == "NotSupported"

            slow = await api_b.post(f"{url}/ClearCache?timeout=0.5")
            assert slow.status_code == 504 and slow.json()["status"] == "timeout"
            await asyncio.wait_for(ws.recv(), 15)  # the call nobody answered

            from_b = asyncio.create_task(api_b.post(f"{url}/reset"))
            from_a = asyncio.create_task(api_a.post(f"{url}/ClearCache"))
            first = json.loads(await asyncio.wait_for(ws.recv(), 15))
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(ws.recv(), 0.5)
            await ws.send(json.dumps([3, first[1], {"status": "Accepted"}]))
            second = json.loads(await asyncio.wait_for(ws.recv(), 15))
            await ws.send(json.dumps([3, second[1], {"status": "Accepted"}]))
            assert {first[2], second[2]} == {"Reset", "ClearCache"}
            answers = [(await task).json()["status"] for task in (from_b, from_a)]
            assert answers == ["accepted", "accepted"]
    await cache.aclose()


async def _present(cache: aioredis.Redis, charge_box_id: str) -> bool:
    return await locate(cache, charge_box_id) == "test-node-a"


async def _charging(sim: object) -> bool:
    return bool(getattr(sim, "sessions", {}))
