"""Payloads of the OCPI log are kept for a bounded time (`csms roaming prune`, OCPI_LOG_PAYLOAD_DAYS); the
`csms roaming` commands the docs use."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import re
from datetime import UTC, datetime, timedelta

import pytest

from core.roaming import exchange_log, partners
from core.roaming.tables import OcpiExchange
from core.settings import get_settings
from tests.support import TenantCtx, csms_cli


async def _exchange(partner: dict, age: timedelta) -> int:
    row = OcpiExchange(
        tenant=partner["tenant"], partner=partner["id"], direction="in", method="GET", url="/ocpi/versions",
        module="versions", http_status=200, ocpi_status=1000, request_body="{}", response_body='{"data": []}',
        created_at=datetime.now(UTC) - age,
    )  # fmt: skip
    await row.save()
    return int(row.id)


async def test_old_payloads_are_emptied_and_the_rest_stays(emp_exw: TenantCtx) -> None:
    created = await partners.create_partner(emp_exw.actor, {"name": "old"})
    old = await _exchange(created.partner, timedelta(days=31))
    recent = await _exchange(created.partner, timedelta(days=29))
    assert await exchange_log.prune(30) >= 1
    rows = {r["id"]: r for r in await OcpiExchange.select().where(OcpiExchange.partner == created.partner["id"])}
    assert rows[old]["request_body"] == "" and rows[old]["response_body"] == "" and rows[old]["http_status"] == 200
    assert rows[recent]["response_body"] == '{"data": []}'

    done = await csms_cli({**os.environ}, "roaming", "prune", "--days", "1")
    assert done.returncode == 0, done.stderr
    assert (await OcpiExchange.select().where(OcpiExchange.id == recent).first())["response_body"] == ""


async def test_invite_prints_a_token_a_that_opens_versions(emp_exw: TenantCtx) -> None:
    done = await csms_cli({**os.environ, "PUBLIC_URL": "https://csms.example"}, "roaming", "invite",
                    "--tenant", emp_exw.tenant["slug"], "--name", "From the shell")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "versions URL: https://csms.example/ocpi/versions" in done.stdout
    token = re.search(r"token A: (\S+)", done.stdout)
    assert token is not None
    caller = await partners.partner_for_token(token.group(1))
    assert caller is not None and caller.with_token_a and caller.partner["name"] == "From the shell"
    refused = await csms_cli({**os.environ}, "roaming", "invite", "--tenant", emp_exw.tenant["slug"], "--name", "Again")
    assert refused.returncode == 2 and "already has a roaming connection" in refused.stderr


async def test_the_registered_periodic_job_prunes_and_may_run_in_several_processes_at_once(
    emp_exw: TenantCtx, monkeypatch: pytest.MonkeyPatch
) -> None:
    from core import periodic
    from workers.actors import register_jobs

    register_jobs()  # what the server's start-up and each `csms worker` do
    job = next(p for p in periodic.registered() if p.name == "roaming.prune_log")
    assert job.seconds == 3600
    created = await partners.create_partner(emp_exw.actor, {"name": "periodic"})
    monkeypatch.setattr(exchange_log, "PRUNE_BATCH", 2)  # several batches
    old = [await _exchange(created.partner, timedelta(days=8)) for _ in range(5)]
    recent = await _exchange(created.partner, timedelta(days=6))
    seven_days = dataclasses.replace(get_settings(), ocpi_log_payload_days=7)  # OCPI_LOG_PAYLOAD_DAYS=7
    monkeypatch.setattr(exchange_log, "get_settings", lambda: seven_days)
    await asyncio.gather(job.fn(), job.fn())  # two worker processes in the same hour
    rows = {r["id"]: r for r in await OcpiExchange.select().where(OcpiExchange.partner == created.partner["id"])}
    assert all(rows[i]["request_body"] == "" and rows[i]["response_body"] == "" for i in old)
    assert rows[recent]["response_body"] == '{"data": []}'
