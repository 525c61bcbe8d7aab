"""The periodic partner health check against a real extrawest peer: reachable while it runs (the GET of its versions
is in the OCPI log), not reachable once it is stopped, with the error on the partner page; one check per partner and
period even when several worker processes run the job at once."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta
from pathlib import Path

import pytest

from core import periodic
from core.roaming import connections, health
from core.roaming.partners import PartnerState, now
from core.roaming.tables import OcpiExchange, Partner
from core.settings import get_settings
from tests.ocpi_peer.peer import start_peer
from tests.support import TenantCtx, app_client, login, post_form
from workers.actors import register_jobs


async def _run_job_in_two_processes() -> None:
    register_jobs()  # what the server's start-up and each `csms worker` do
    job = next(p for p in periodic.registered() if p.name == "roaming.partner_health")
    await asyncio.gather(job.fn(), job.fn())


async def _version_checks(partner_id: int) -> list[dict]:
    return await OcpiExchange.select().where(
        (OcpiExchange.partner == partner_id) & (OcpiExchange.direction == "out") & (OcpiExchange.method == "GET")
        & (OcpiExchange.url.like("%/versions"))
    ).order_by(OcpiExchange.id)  # fmt: skip


async def _page(ctx: TenantCtx, partner_id: int) -> str:
    async with app_client() as client:
        await login(client, ctx.admin["email"])
        await post_form(client, "/lang", {"language": "en", "next": "/"})
        return (await client.get(f"/roaming/partners/{partner_id}")).text


async def test_a_partner_is_reachable_while_the_peer_runs_and_not_once_it_stopped(
    csms_public_url: str, emp_exw: TenantCtx, tmp_path: Path
) -> None:
    with start_peer(log_dir=tmp_path) as peer:
        token_a = await peer.token_a()
        partner = await connections.connect_to(
            emp_exw.actor, {"name": "checked", "versions_url": peer.versions_url, "token_a": token_a}
        )
        assert partner["state"] == PartnerState.REGISTERED and partner["health_ok"] is None
        assert 'data-reachable="unknown"' in await _page(emp_exw, partner["id"])
        # Only this partner can be due (others of earlier tests were just checked, as far as the job is concerned).
        await Partner.update({Partner.health_checked_at: now()}).where(Partner.id != partner["id"])
        before = len(await _version_checks(partner["id"]))
        await _run_job_in_two_processes()  # just registered: the handshake showed it reachable, first check later
        assert len(await _version_checks(partner["id"])) == before
        a_period_ago = now() - timedelta(minutes=16)
        await Partner.update({Partner.registered_at: a_period_ago}).where(Partner.id == partner["id"])
        await _run_job_in_two_processes()
        row = await Partner.select().where(Partner.id == partner["id"]).first()
        assert row is not None and row["health_ok"] is True and row["health_error"] == ""
        checks = await _version_checks(partner["id"])
        assert len(checks) == before + 1  # two processes, one check: the claim holds
        assert checks[-1]["http_status"] == 200 and checks[-1]["ocpi_status"] == 1000
        assert checks[-1]["url"] == peer.versions_url
        await _run_job_in_two_processes()  # checked just now: not due again within the period
        assert len(await _version_checks(partner["id"])) == before + 1
        page = await _page(emp_exw, partner["id"])
        assert 'data-reachable="yes"' in page and "every 15 minutes" in page

    # The peer is gone; a period later the check says so.
    await Partner.update({Partner.health_checked_at: a_period_ago}).where(Partner.id == partner["id"])
    await Partner.update({Partner.health_checked_at: now()}).where(Partner.id != partner["id"])
    await _run_job_in_two_processes()
    row = await Partner.select().where(Partner.id == partner["id"]).first()
    assert row is not None and row["health_ok"] is False
    assert "ConnectError" in row["health_error"] and peer.versions_url in row["health_error"]
    assert row["health_checked_at"] > now() - timedelta(minutes=1)
    failed = (await _version_checks(partner["id"]))[-1]
    assert failed["http_status"] == 0 and "ConnectError" in failed["error"]
    page = await _page(emp_exw, partner["id"])
    assert 'data-reachable="no"' in page and 'data-testid="partner-health-error"' in page and "ConnectError" in page


async def test_unregistered_partners_are_not_checked_and_zero_minutes_switches_it_off(
    emp_exw: TenantCtx, monkeypatch: pytest.MonkeyPatch
) -> None:
    from core.roaming import partners

    created = await partners.create_partner(emp_exw.actor, {"name": "waiting"})
    await Partner.update({Partner.health_checked_at: now()}).where(Partner.id != created.partner["id"])
    await _run_job_in_two_processes()
    row = await Partner.select().where(Partner.id == created.partner["id"]).first()
    assert row is not None and row["health_ok"] is None and row["health_checked_at"] is None
    assert "Checked once the partner is registered." in await _page(emp_exw, created.partner["id"])
    assert health.check_period() == timedelta(minutes=15)
    due = {Partner.health_checked_at: None, Partner.registered_at: now() - timedelta(days=1)}
    await Partner.update(due).where(Partner.state == PartnerState.REGISTERED)
    off = dataclasses.replace(get_settings(), ocpi_partner_check_minutes=0)  # OCPI_PARTNER_CHECK_MINUTES=0
    monkeypatch.setattr(health, "get_settings", lambda: off)
    assert health.check_period() is None
    assert await health.check_due_partners() == 0


def test_the_worker_start_up_wires_the_ocpi_client_for_core() -> None:
    import importlib

    import csms.worker
    from hub.client import HubLink

    connections.register_link(None)
    importlib.reload(csms.worker)  # what `csms worker` (dramatiq csms.worker) runs in each process
    assert isinstance(connections.link(), HubLink)
