"""The whole way as an operator runs it: `csms serve` (and, in production mode, a `csms worker`) with SMTP_URL and
MAIL_FROM set, in a database of their own; the portal's test mail arrives at the real SMTP server of the test,
sent by the mail.send actor the outbox relay handed it to (in-process when embedded, through Redis otherwise)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import IO

import httpx

from tests.integration.mail.conftest import SmtpServer
from tests.support import csrf_of, free_port, login, run_csms, scratch_database, start_serve, stop_process

PASSWORD = "mail-admin-password-0123"  # noqa: S105 - test credential


@contextlib.asynccontextmanager
async def own_database() -> AsyncIterator[dict[str, str]]:
    """The environment of an installation with a database of its own (nobody else's relay sees its mails)."""
    var = tempfile.mkdtemp(prefix="csms-mail-")
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        async with scratch_database("_mail") as url:
            yield {**os.environ, "DATABASE_URL": url, "CSMS_VAR_DIR": var}
    else:
        yield {**os.environ, "DATABASE_URL": f"sqlite:///{var}/csms.sqlite3", "CSMS_VAR_DIR": var, "REDIS_URL": ""}


def start_worker(env: dict[str, str], log: IO[str]) -> subprocess.Popen[bytes]:
    """`csms worker` in a process group of its own (stop_process ends its forked worker process too)."""
    return subprocess.Popen(
        [sys.executable, "-m", "csms.cli", "worker", "--processes", "1", "--threads", "1"],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip


async def test_the_portals_test_mail_arrives_through_the_worker(smtp_server: SmtpServer) -> None:
    smtp_server.start()
    async with own_database() as base_env:
        env = {**base_env, "SMTP_URL": smtp_server.url, "MAIL_FROM": "Stadtwerke <mail@stadtwerke.example>"}
        for args in (("migrate",),
                     ("tenant", "create", "--slug", "swmail", "--name", "Stadtwerke Mail GmbH"),
                     ("user", "create", "--tenant", "swmail", "--email", "admin@stadtwerke.example", "--admin",
                      "--password", PASSWORD)):  # fmt: skip
            done = run_csms(env, *args)
            assert done.returncode == 0, done.stderr
        processes: list[subprocess.Popen[bytes]] = []
        log_path = Path(env["CSMS_VAR_DIR"]) / "processes.log"
        with log_path.open("a") as log:
            port = free_port()
            processes.append(start_serve(env, port, log))
            if env.get("REDIS_URL"):
                processes.append(start_worker(env, log))
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as portal:
                await login(portal, "admin@stadtwerke.example", PASSWORD)
                sent = await portal.post("/settings/mail/test", data={"token": "first", "_csrf_token": csrf_of(portal)})
                assert sent.status_code == 303, sent.text

                deadline = time.monotonic() + 60
                while not smtp_server.inbox.to("admin@stadtwerke.example"):
                    assert time.monotonic() < deadline, log_path.read_text()
                    await asyncio.sleep(0.2)
                [message] = smtp_server.inbox.to("admin@stadtwerke.example")
                assert message["From"] == "Stadtwerke <mail@stadtwerke.example>"
                assert message["Subject"] == "Testnachricht von csms für Stadtwerke Mail GmbH"  # a tenant in DE

                async def listed_as_sent() -> bool:
                    return "Gesendet" in (await portal.get("/settings/mail")).text

                deadline = time.monotonic() + 30
                while not await listed_as_sent():  # the status is written just after the server's 250
                    assert time.monotonic() < deadline, log_path.read_text()
                    await asyncio.sleep(0.2)
        finally:
            for proc in reversed(processes):
                stop_process(proc)
        assert "Traceback" not in log_path.read_text(), log_path.read_text()
