"""The station's OCPP tab shows the address a station really connects to: served over TLS by `csms serve
--ssl-certfile` without PUBLIC_URL, the page says wss://host:port/ocpp/<id> (not PUBLIC_URL's default
http://127.0.0.1:8000) and warns that PUBLIC_URL is not set; a station configured with that address connects."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import ssl
import subprocess
import sys
from html import unescape
from pathlib import Path

import httpx
import websockets

from core.infrastructure import stations
from tests.integration.infrastructure.conftest import make_site
from tests.integration.ocpp.conftest import OCPP16, basic
from tests.support import TenantCtx, free_port, login, self_signed_certificate


async def test_the_ocpp_tab_shows_where_the_server_really_listens(tmp_path: Path, cpo: TenantCtx, unique: str) -> None:
    site = await make_site(cpo, unique)
    box = site.station["charge_box_id"]
    password = "station-secret-0123"  # noqa: S105 - test credential
    await stations.update_station(cpo.actor, site.station["id"], {"ocpp_password": password})
    cert_file, key_file = self_signed_certificate(tmp_path)
    tls = ssl.create_default_context(cafile=str(cert_file))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "PUBLIC_URL"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "csms.cli", "serve", "--port", str(port), "--log-level", "warning",
        "--ssl-certfile", str(cert_file), "--ssl-keyfile", str(key_file),
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        await _until_healthy(f"https://127.0.0.1:{port}", tls, proc)
        async with httpx.AsyncClient(base_url=f"https://127.0.0.1:{port}", verify=tls) as client:
            await login(client, cpo.admin["email"])
            tab = (await client.get(f"/infrastructure/stations/{site.station['id']}/tab/ocpp")).text
        shown = unescape(re.search(r'data-testid="ocpp-url">([^<]+)<', tab).group(1))  # type: ignore[union-attr]
        assert shown == f"wss://127.0.0.1:{port}/ocpp/{box}"
        assert 'data-testid="public-url-warning"' in tab and "PUBLIC_URL" in tab
        async with websockets.connect(
            shown, ssl=tls, subprotocols=OCPP16, additional_headers=basic(box, password)
        ) as ws:  # fmt: skip
            await ws.send('[2,"1","Heartbeat",{}]')
            assert '"currentTime"' in await ws.recv()
    finally:
        proc.terminate()
        await asyncio.wait_for(proc.wait(), 15)


async def _until_healthy(base: str, tls: ssl.SSLContext, proc: asyncio.subprocess.Process) -> None:
    async with httpx.AsyncClient(verify=tls) as http:
        for _ in range(300):
            assert proc.returncode is None, "csms serve exited"
            with contextlib.suppress(httpx.TransportError):
                if (await http.get(f"{base}/health", timeout=1)).status_code == 200:
                    return
            await asyncio.sleep(0.1)
    raise AssertionError(f"{base} did not start")
