"""Portal: charge point Control tab, station Operations and OCPP parameters tabs, results via HTMX, bulk jobs."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from core.commands.tables import CommandRecord
from core.tenancy import logins
from tests.integration.ocpp.conftest import Station, make_station
from tests.integration.ocpp.test_commands import card, public_url, simulated, until  # noqa: F401 - fixture
from tests.support import TenantCtx, app_client, csrf_of, login, make_user

HX = {"HX-Request": "true"}


@pytest.fixture
async def portal(cpo: TenantCtx) -> AsyncIterator[httpx.AsyncClient]:
    async with app_client() as client:
        await login(client, cpo.admin["email"])
        yield client


async def hx_post(client: httpx.AsyncClient, url: str, data: dict[str, Any] | None = None) -> httpx.Response:
    return await client.post(url, data=data or {}, headers={**HX, "x-csrftoken": csrf_of(client)})


def status_of(html: str) -> str:
    found = re.search(r'data-testid="command-result" data-status="(\w+)"', html)
    assert found is not None, html
    return found.group(1)


async def finished(client: httpx.AsyncClient, response: httpx.Response) -> str:
    """Follow the pending fragment's polling until the station answered; the final fragment's HTML."""
    assert response.status_code == 200, response.text
    html = response.text
    for _ in range(200):
        if status_of(html) != "pending":
            return html
        record_id = re.search(r'hx-get="/operations/commands/(\d+)"', html)
        assert record_id is not None
        await asyncio.sleep(0.05)
        html = (await client.get(f"/operations/commands/{record_id.group(1)}", headers=HX)).text
    raise AssertionError("the command stayed pending")


async def test_control_tab_start_stop_unlock(
    ocpp_url: str, portal: httpx.AsyncClient, station: Station, cpo: TenantCtx, unique: str
) -> None:
    cp_id = station.charge_points[0]["id"]
    tag = await card(cpo, unique)
    tab = await portal.get(f"/operations/charge-points/{cp_id}/control", headers=HX)
    assert tab.status_code == 200 and 'data-testid="form-start"' in tab.text and "badge err" in tab.text  # offline
    async with simulated(ocpp_url, station) as sim:
        base = f"/operations/charge-points/{cp_id}/commands"
        refused = await hx_post(portal, f"{base}/start", {"id_tag": "ABCDEF0000"})
        assert 'data-testid="command-errors"' in refused.text
        started = await hx_post(portal, f"{base}/start", {"id_tag": tag})
        # Usually still on its way when the page answers (then it polls while visible); a quick station may have
        # answered already.
        assert status_of(started.text) in ("pending", "accepted")
        if status_of(started.text) == "pending":
            assert 'data-poll="700"' in started.text and 'hx-trigger="poll"' in started.text
        assert status_of(await finished(portal, started)) == "accepted"
        await until(lambda: _has_session(sim, 1))

        async def running() -> bool:
            page = await portal.get(f"/operations/charge-points/{cp_id}/control", headers=HX)
            return 'data-testid="running-session"' in page.text

        await until(running)
        stopped = await finished(portal, await hx_post(portal, f"{base}/stop"))
        assert status_of(stopped) == "accepted" and "transactionId" not in stopped  # the reply is {"status": ...}
        unlocked = await finished(portal, await hx_post(portal, f"{base}/unlock"))
        assert "Der Stecker wurde entriegelt." in unlocked and "Unlocked" not in unlocked  # words, not the reply
        inoperative = await finished(portal, await hx_post(portal, f"{base}/availability", {"type": "Inoperative"}))
        assert status_of(inoperative) == "accepted"
        reserved = await finished(portal, await hx_post(portal, f"{base}/reserve", {"id_tag": tag}))
        assert status_of(reserved) == "accepted" and len(sim.reservations) == 1
        tab = await portal.get(f"/operations/charge-points/{cp_id}/control", headers=HX)
        reservation_id = next(iter(sim.reservations))
        assert f'name="reservation_id" value="{reservation_id}"' in tab.text
        cancelled = await hx_post(portal, f"{base}/cancel-reservation", {"reservation_id": str(reservation_id)})
        assert status_of(await finished(portal, cancelled)) == "accepted" and sim.reservations == {}
        # without htmx: the command is sent and the page comes back with a message
        plain = await portal.post(f"{base}/unlock", data={"_csrf_token": csrf_of(portal)}, follow_redirects=False)
        assert plain.status_code == 303 and plain.headers["location"].endswith("?tab=control")
        # a command still on its way polls while visible
        sim.silent.add("UnlockConnector")
        waiting = await hx_post(portal, f"{base}/unlock")
        assert status_of(waiting.text) == "pending"
        assert 'data-poll="700"' in waiting.text and 'hx-trigger="poll"' in waiting.text


async def _has_session(sim: Any, connector: int) -> bool:
    return connector in sim.sessions


async def test_operations_tab_and_diagnostics_download(
    ocpp_url: str, public_url: str, portal: httpx.AsyncClient, station: Station, other_cpo: TenantCtx  # noqa: F811
) -> None:
    tab = await portal.get(f"/operations/stations/{station.id}/operations", headers=HX)
    assert tab.status_code == 200 and 'data-testid="connectivity-test"' in tab.text
    base = f"/operations/stations/{station.id}/commands"
    async with simulated(ocpp_url, station):
        heartbeat = {"requested_message": "Heartbeat"}
        connectivity = await finished(portal, await hx_post(portal, f"{base}/trigger", heartbeat))
        assert status_of(connectivity) == "accepted" and re.search(r"\d+ ms", connectivity)
        record_id = re.search(r'data-id="(\d+)"', connectivity)
        assert record_id is not None  # the fragment keeps polling until the triggered heartbeat arrived

        async def heartbeat_seen() -> bool:
            html = (await portal.get(f"/operations/commands/{record_id.group(1)}", headers=HX)).text
            return 'data-testid="heartbeat-received"' in html

        await until(heartbeat_seen)
        hard = await finished(portal, await hx_post(portal, f"{base}/reset", {"type": "Hard"}))
        assert status_of(hard) == "accepted"
        bad = await hx_post(portal, f"{base}/update-firmware", {"location": "not a url"})
        assert 'data-testid="command-errors"' in bad.text
        limit = {"limit": "11", "unit": "A", "charge_point_id": str(station.charge_points[0]["id"])}
        profile = await hx_post(portal, f"{base}/set-charging-profile", limit)
        assert status_of(await finished(portal, profile)) == "accepted"
        diag = await finished(portal, await hx_post(portal, f"{base}/diagnostics"))
        assert status_of(diag) == "accepted"

        async def download_listed() -> bool:
            history = await portal.get(f"/operations/stations/{station.id}/history", headers=HX)
            return 'data-testid="diagnostics-download"' in history.text

        await until(download_listed)
    history = (await portal.get(f"/operations/stations/{station.id}/history", headers=HX)).text
    link = re.search(r'href="(/operations/commands/\d+/diagnostics)"', history)
    assert link is not None
    download = await portal.get(link.group(1))
    assert download.status_code == 200 and download.content == b"simulated diagnostics\n"
    assert "diagnostics.log" in download.headers["content-disposition"]
    async with app_client() as other:
        await login(other, other_cpo.admin["email"])
        assert (await other.get(link.group(1))).status_code == 404
        assert (await other.get(f"/operations/stations/{station.id}/operations", headers=HX)).status_code == 404
        assert (await hx_post(other, f"{base}/reset")).status_code == 404


async def test_parameters_tab(ocpp_url: str, portal: httpx.AsyncClient, station: Station) -> None:
    shell = await portal.get(f"/operations/stations/{station.id}/parameters", headers=HX)
    assert f'hx-get="/operations/stations/{station.id}/parameters/keys"' in shell.text
    on_cp = await portal.get(f"/operations/charge-points/{station.charge_points[0]['id']}/parameters", headers=HX)
    assert f'hx-get="/operations/stations/{station.id}/parameters/keys"' in on_cp.text
    offline = await portal.get(f"/operations/stations/{station.id}/parameters/keys", headers=HX)
    assert 'data-status="offline"' in offline.text and 'data-testid="retry"' in offline.text
    config = {"HeartbeatInterval": "300", "ChargePointModel": "Sim", "MeterValueSampleInterval": "60"}
    async with simulated(ocpp_url, station, configuration=config, readonly_keys={"ChargePointModel"}) as sim:
        keys = (await portal.get(f"/operations/stations/{station.id}/parameters/keys", headers=HX)).text
        rows = re.findall(r'<tr data-key="([^"]+)"', keys)
        assert rows == ["ChargePointModel", "HeartbeatInterval", "MeterValueSampleInterval"]
        readonly_row = keys.split('data-key="ChargePointModel"')[1].split("</tr>")[0]
        assert 'data-testid="readonly"' in readonly_row and "save-parameter" not in readonly_row
        changed = await hx_post(portal, f"/operations/stations/{station.id}/parameters",
                                {"key": "MeterValueSampleInterval", "value": "30"})  # fmt: skip
        assert 'data-status="accepted"' in changed.text and sim.configuration["MeterValueSampleInterval"] == "30"
        refused = await hx_post(portal, f"/operations/stations/{station.id}/parameters",
                                {"key": "ChargePointModel", "value": "X"})  # fmt: skip
        assert 'data-status="rejected"' in refused.text and sim.configuration["ChargePointModel"] == "Sim"


async def test_permissions(portal: httpx.AsyncClient, station: Station, cpo: TenantCtx) -> None:
    viewer = await make_user(cpo.id, permissions=["infrastructure.view"])
    cp_id = station.charge_points[0]["id"]
    async with app_client() as client:
        await login(client, viewer["email"])
        tab = await client.get(f"/operations/charge-points/{cp_id}/control", headers=HX)
        assert tab.status_code == 200 and "form-start" not in tab.text
        assert (await hx_post(client, f"/operations/charge-points/{cp_id}/commands/unlock")).status_code == 403
        assert (await client.get(f"/operations/stations/{station.id}/operations", headers=HX)).status_code == 403
        detail = await client.get(f"/infrastructure/stations/{station.id}")
        assert 'data-tab="operations"' not in detail.text
    operator = await make_user(cpo.id, permissions=["infrastructure.view", "infrastructure.operations_tab"])
    async with app_client() as client:
        await login(client, operator["email"])
        tab = await client.get(f"/operations/stations/{station.id}/operations", headers=HX)
        assert tab.status_code == 200 and "connectivity-test" not in tab.text  # history only
        assert (await hx_post(client, f"/operations/stations/{station.id}/commands/reset")).status_code == 403
    detail = await portal.get(f"/infrastructure/stations/{station.id}")
    assert 'data-tab="operations"' in detail.text and 'data-tab="ocpp_parameters"' in detail.text


async def test_bulk_job(
    ocpp_url: str, portal: httpx.AsyncClient, station: Station, cpo: TenantCtx, other_cpo: TenantCtx, unique: str
) -> None:
    second = await make_station(cpo, unique + "b")
    foreign = await make_station(other_cpo, unique + "f")
    mixed = {"command": "ClearCache", "station_id": [str(station.id), str(foreign.id)], "_csrf_token": csrf_of(portal)}
    refused = await portal.post("/operations/bulk", data=mixed)
    assert refused.status_code == 400 and 'data-testid="command-errors"' in refused.text
    assert await CommandRecord.count().where(CommandRecord.station == station.id) == 0  # nothing half-sent
    overview = await portal.get("/infrastructure/overview")
    assert 'data-testid="bulk-commands"' in overview.text
    chosen = [str(cp["id"]) for cp in station.charge_points + second.charge_points]
    selection = await portal.post("/operations/bulk/select", follow_redirects=False,
                                  data={"charge_point_ids": chosen, "_csrf_token": csrf_of(portal)})  # fmt: skip
    assert selection.status_code == 303
    assert selection.headers["location"] == f"/operations/bulk?station_id={station.id}&station_id={second.id}"
    form = await portal.get(f"/operations/bulk?station_id={station.id}")
    assert form.status_code == 200 and f'value="{station.id}" checked' in form.text
    missing = await portal.post("/operations/bulk", data={"command": "Reset", "_csrf_token": csrf_of(portal)})
    assert missing.status_code == 400 and 'data-testid="command-errors"' in missing.text
    async with simulated(ocpp_url, station):
        data = {"command": "Reset", "type": "Soft", "station_id": [str(station.id), str(second.id)],
                "_csrf_token": csrf_of(portal)}  # fmt: skip
        started = await portal.post("/operations/bulk", data=data, follow_redirects=False)
        assert started.status_code == 303
        job_url = started.headers["location"]
        for _ in range(200):
            progress = await portal.get(job_url, headers=HX)
            if 'data-running="no"' in progress.text:
                break
            await asyncio.sleep(0.05)
        rows = dict(re.findall(r'<tr data-station="([^"]+)">.*?data-status="(\w+)"', progress.text, re.S))
        assert rows == {station.charge_box_id: "accepted", second.charge_box_id: "offline"}
    other = await logins.actor_for_user(await make_user(cpo.id, permissions=["infrastructure.view"]))
    assert not other.can("ocpp.commands")
