"""Payloads of the OCPI log are kept for a bounded time (`csms roaming prune`, OCPI_LOG_PAYLOAD_DAYS); the
`csms roaming` commands the docs use."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime, timedelta

from core.roaming import exchange_log, partners
from core.roaming.tables import OcpiExchange
from tests.support import TenantCtx, run_csms


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

    done = run_csms({**os.environ}, "roaming", "prune", "--days", "1")
    assert done.returncode == 0, done.stderr
    assert (await OcpiExchange.select().where(OcpiExchange.id == recent).first())["response_body"] == ""


async def test_invite_prints_a_token_a_that_opens_versions(emp_exw: TenantCtx) -> None:
    done = run_csms({**os.environ, "PUBLIC_URL": "https://csms.example"}, "roaming", "invite",
                    "--tenant", emp_exw.tenant["slug"], "--name", "From the shell")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "versions URL: https://csms.example/ocpi/versions" in done.stdout
    token = re.search(r"token A: (\S+)", done.stdout)
    assert token is not None
    caller = await partners.partner_for_token(token.group(1))
    assert caller is not None and caller.with_token_a and caller.partner["name"] == "From the shell"
    refused = run_csms({**os.environ}, "roaming", "invite", "--tenant", emp_exw.tenant["slug"], "--name", "Again")
    assert refused.returncode == 2 and "already has a roaming connection" in refused.stderr
