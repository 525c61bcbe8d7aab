"""The OCPI log of partners' requests, written in batches off the request path: complete after the background
flush, shown at once on the node's own log page, written at a clean shutdown of `csms serve`, a row that cannot be
written does not take its batch with it; and the cached token check: an ended partner's token opens the functional
modules at most CACHE_SECONDS longer on a node, versions and credentials never."""

from __future__ import annotations

import asyncio
import base64
import os
from typing import Any

import httpx
import pytest

from core.roaming import exchange_log, partners
from core.roaming.tables import OcpiExchange
from hub import auth
from tests.integration.ocpi.conftest import tenant_with_party
from tests.integration.ocpi.test_transport import b64, registered
from tests.support import TenantCtx, app_client, csms_serve

TOKEN = {
    "country_code": "DE", "party_id": "EML", "type": "RFID", "contract_id": "DE-EML-C00000001",
    "issuer": "EML Mobility", "valid": True, "whitelist": "ALWAYS", "last_updated": "2026-12-01T10:00:00Z",
}  # fmt: skip


@pytest.fixture
async def emp(hub_operator: TenantCtx) -> TenantCtx:
    return await tenant_with_party("EMP", "EML")


def put(uid: str) -> tuple[str, dict[str, Any]]:
    return f"/ocpi/2.2.1/tokens/DE/EML/{uid}", {**TOKEN, "uid": uid}


async def logged(partner_id: int) -> list[dict[str, Any]]:
    return await OcpiExchange.select().where(OcpiExchange.partner == partner_id).order_by(OcpiExchange.id)


async def push(client: httpx.AsyncClient, token: str, uids: list[str]) -> None:
    for uid in uids:
        path, body = put(uid)
        answer = await client.put(path, headers={"Authorization": b64(token)}, json=body)
        assert answer.json()["status_code"] == 1000, answer.text


async def test_the_background_flush_writes_every_exchange_and_marks_the_last_pull(emp: TenantCtx) -> None:
    partner, token = await registered(emp)
    assert partner["last_pull_at"] is None
    uids = [f"BUF{i}" for i in range(5)]
    async with app_client() as client:
        await push(client, token, uids)
    rows: list[dict[str, Any]] = []
    for _ in range(100):  # no flush() here: the buffer's own task writes them within OCPI_LOG_FLUSH_SECONDS
        rows = await logged(partner["id"])
        if len(rows) == len(uids):
            break
        await asyncio.sleep(0.1)
    assert [(r["direction"], r["method"], r["url"], r["http_status"], r["ocpi_status"]) for r in rows] == [
        ("in", "PUT", f"/2.2.1/tokens/DE/EML/{uid}", 200, 1000) for uid in uids
    ]
    assert all(f'"uid":"{uid}"' in r["request_body"].replace(" ", "") for r, uid in zip(rows, uids, strict=True))
    assert all('"status_code":1000' in r["response_body"] for r in rows)
    assert (await partners.partner_by_id(partner["id"]))["last_pull_at"] is not None


async def test_the_nodes_own_log_page_shows_the_exchanges_at_once(emp: TenantCtx) -> None:
    partner, token = await registered(emp)
    async with app_client() as client:
        await push(client, token, ["PAGE1", "PAGE2"])
    rows = await exchange_log.partner_log(emp.actor, partner["id"], exchange_log.ExchangeFilter.of())
    assert [r["url"].rsplit("/", 1)[1] for r in rows] == ["PAGE2", "PAGE1"]  # newest first
    assert await exchange_log.modules_logged(emp.actor, partner["id"]) == ["tokens"]


async def test_a_row_that_cannot_be_written_does_not_lose_its_batch(emp: TenantCtx) -> None:
    partner, _ = await registered(emp)

    def exchange(url: str, direction: Any = "in", body: str = "") -> exchange_log.Exchange:
        return exchange_log.Exchange(partner=partner, direction=direction, method="GET", url=url, module="tokens",
                                     http_status=200, ocpi_status=1000, duration_ms=1, request_body=body)  # fmt: skip

    exchange_log.record_later(exchange("/first"))
    exchange_log.record_later(exchange("/broken", direction=None))  # NOT NULL: this row's INSERT fails
    exchange_log.record_later(exchange("/last", body="a\x00b"))  # PostgreSQL refuses NUL in text: replaced
    await exchange_log.flush()
    rows = await logged(partner["id"])
    assert [(r["url"], r["request_body"]) for r in rows] == [("/first", ""), ("/last", "a\ufffdb")]


async def test_a_clean_shutdown_writes_what_is_still_buffered(emp: TenantCtx) -> None:
    partner, token = await registered(emp)
    uids = [f"STOP{i}" for i in range(20)]
    env = {**os.environ, "OCPI_LOG_FLUSH_SECONDS": "3600"}  # only the shutdown writes them
    with csms_serve(env, start_within=120) as base:
        async with httpx.AsyncClient(base_url=base) as client:
            await push(client, token, uids)
        assert await logged(partner["id"]) == []
    assert [r["url"].rsplit("/", 1)[1] for r in await logged(partner["id"])] == uids


async def test_an_ended_partners_token_works_at_most_cache_seconds_longer(
    emp: TenantCtx, monkeypatch: pytest.MonkeyPatch
) -> None:
    partner, token = await registered(emp)
    headers = {"Authorization": "Token " + base64.b64encode(token.encode()).decode()}
    path = "/ocpi/2.2.1/tokens/DE/EML/NOSUCHTOKEN"
    async with app_client() as client:
        assert (await client.get(path, headers=headers)).status_code == 404  # the partner's: an unknown token
        await partners.end_connection(partner["id"])
        assert (await client.get("/ocpi/versions", headers=headers)).status_code == 401  # never from the cache
        assert (await client.get(path, headers=headers)).status_code == 404  # cached on this node
        later = auth._clock() + auth.CACHE_SECONDS
        monkeypatch.setattr(auth, "_clock", lambda: later)
        refused = await client.get(path, headers=headers)
        assert refused.status_code == 401 and refused.json()["status_code"] == 2000
