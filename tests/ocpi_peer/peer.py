"""Start the extrawest-ocpi peer in its own process and virtualenv, and talk to its control API.

Runs in csms's virtualenv (tests and benchmarks):

    with start_peer() as peer:                      # an eMSP on a free port
        token = await peer.token_a()                # csms registers with the peer: peer.versions_url + token
        result = await peer.register(csms_versions_url, token_a)   # or the peer registers with csms
        crawl = await peer.crawl(limit=100)          # the partner's locations, page by page by Link
        pushed = await peer.objects("locations")

The control methods are async so that a test can keep serving csms in its own event loop while the peer calls it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.ocpi_peer import venv


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class OcpiPeer:
    base_url: str  # http://127.0.0.1:PORT
    pid: int
    log_path: Path
    role: str
    country_code: str
    party_id: str

    @property
    def versions_url(self) -> str:
        return f"{self.base_url}/ocpi/versions"

    def log(self) -> str:
        """What the peer printed (extrawest logs every request it handled, at info level)."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    async def _call(self, method: str, path: str, body: Any = None, params: dict[str, Any] | None = None) -> Any:
        async with httpx.AsyncClient(base_url=self.base_url, timeout=600) as client:
            response = await client.request(method, f"/control{path}", json=body, params=params)
        response.raise_for_status()
        return response.json()

    async def reset(self) -> None:
        """Forget partners, tokens A, held objects and received requests (between tests on one peer)."""
        await self._call("POST", "/reset")

    async def token_a(self, token: str | None = None) -> str:
        """A CREDENTIALS_TOKEN_A the peer accepts once, for a counterpart that registers with the peer."""
        return str((await self._call("POST", "/token-a", {"token": token} if token else {}))["token"])

    async def register(self, versions_url: str, token: str) -> dict[str, Any]:
        """The peer registers with a counterpart (versions, details, POST credentials): ok, error, steps, partner."""
        return dict(await self._call("POST", "/register", {"versions_url": versions_url, "token": token}))

    async def update_credentials(self, partner: str | None = None) -> dict[str, Any]:
        return dict(await self._call("POST", "/update-credentials", {"partner": partner} if partner else {}))

    async def unregister(self, partner: str | None = None) -> dict[str, Any]:
        return dict(await self._call("POST", "/unregister", {"partner": partner} if partner else {}))

    async def partners(self) -> list[dict[str, Any]]:
        return list(await self._call("GET", "/partners"))

    async def seed_tokens(self, tokens: list[dict[str, Any]]) -> int:
        return int((await self._call("POST", "/tokens", tokens))["count"])

    async def objects(self, module: str) -> list[dict[str, Any]]:
        """What the peer holds of a module (as extrawest parsed it: CiStrings lower-cased, README.md)."""
        return list(await self._call("GET", f"/objects/{module}"))

    async def received(self, module: str | None = None, method: str | None = None) -> list[dict[str, Any]]:
        """Requests the peer received on /ocpi/, raw: method, path, query, headers, body, status, response."""
        params = {k: v for k, v in {"module": module, "method": method}.items() if v}
        return list(await self._call("GET", "/received", params=params))

    async def crawl(self, module: str = "locations", *, url: str | None = None, limit: int | None = None,
                    params: dict[str, str] | None = None, headers: dict[str, str] | None = None, routing: bool = True,
                    keep_items: bool = True, partner: str | None = None) -> dict[str, Any]:  # fmt: skip
        """The peer GETs a partner's list by Link: pages (url, status, seconds, count, X-Total-Count, X-Limit,
        Link), items, count, seconds, error."""
        body = {"module": module, "url": url, "limit": limit, "params": params, "headers": headers or {},
                "routing": routing, "keep_items": keep_items, "partner": partner}  # fmt: skip
        return dict(await self._call("POST", "/crawl", body))

    async def send(self, module: str, method: str = "GET", path: str = "", *, role: str | None = None,
                   json: Any = None, headers: dict[str, str] | None = None, routing: bool = True,
                   partner: str | None = None) -> dict[str, Any]:  # fmt: skip
        """One request from the peer to a partner's module endpoint (+ ``path``): url, status, headers, body."""
        body = {"module": module, "method": method, "path": path, "role": role, "json": json,
                "headers": headers or {}, "routing": routing, "partner": partner}  # fmt: skip
        return dict(await self._call("POST", "/send", body))


@contextlib.contextmanager
def start_peer(*, role: str = "EMSP", country_code: str = "DE", party_id: str = "EXW", tokens: tuple[str, ...] = (),
               locations: int = 0, record: bool = True, log_level: str = "info",
               log_dir: Path | None = None, startup_timeout: float = 120) -> Iterator[OcpiPeer]:  # fmt: skip
    """The peer process on a free port, until the block ends; makes the peer's virtualenv first when missing.

    Raises ``venv.PeerUnavailable`` when the virtualenv cannot be made, RuntimeError when the peer does not
    start (with its log).
    """
    python = venv.ensure()
    port = _free_port()
    log_path = Path(log_dir or tempfile.mkdtemp(prefix="ocpi-peer-")) / f"peer-{role.lower()}-{port}.log"
    cmd = [str(python), "-m", "tests.ocpi_peer.server", "--port", str(port), "--role", role, "--country",
           country_code, "--party", party_id, "--locations", str(locations), "--log-level", log_level]  # fmt: skip
    for token in tokens:
        cmd += ["--token", token]
    if not record:
        cmd.append("--no-record")
    env = {**os.environ, "PYTHONPATH": str(venv.ROOT)}
    with open(log_path, "w") as log:
        # Its own working directory: pydantic's BaseSettings in extrawest reads a ".env" from there.
        proc = subprocess.Popen(cmd, cwd=log_path.parent, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
    peer = OcpiPeer(base_url=f"http://127.0.0.1:{port}", pid=proc.pid, log_path=log_path, role=role,
                    country_code=country_code, party_id=party_id)  # fmt: skip
    try:
        deadline = time.monotonic() + startup_timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the OCPI peer exited with {proc.returncode}:\n{peer.log()[-3000:]}")
            try:
                if httpx.get(f"{peer.base_url}/control/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the OCPI peer did not answer within {startup_timeout} s:\n{peer.log()[-3000:]}")
            time.sleep(0.1)
        yield peer
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
