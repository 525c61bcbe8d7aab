"""Make the pre-move database dumps that tests/integration/test_premove_database.py restores.

They were made once with the code as it stood before the domain layout (commit f80cce2, issue 10) and are kept as
they are: a database that commit migrated and filled must keep working with every later version. The script uses
only the command line and OCPP, so it runs against any checkout of csms:

    git worktree add /tmp/premove f80cce2
    cd /tmp/premove && PYTHONPATH=/tmp/premove /path/to/csms/.venv/bin/python \
        /path/to/csms/tests/data/premove/generate.py --out /path/to/csms/tests/data/premove

It migrates a new SQLite and a new PostgreSQL database (``csms_premove``, dropped first), loads the demo, charges
one session over OCPP at DEMO-AC-001 with the demo guest card (a CDR is made) and dumps both databases as SQL.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import websockets

PG = "postgresql://postgres@127.0.0.1:5432/csms_premove"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _csms(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "-m", "csms.cli", *args], env=env, check=True)


async def _charge(url: str) -> None:
    import base64

    auth = base64.b64encode(b"DEMO-AC-001:demo-station-password").decode()
    async with websockets.connect(
        f"{url}/DEMO-AC-001", subprotocols=["ocpp1.6"], additional_headers={"Authorization": f"Basic {auth}"}
    ) as ws:
        counter = 0

        async def call(action: str, payload: dict[str, object]) -> dict[str, object]:
            nonlocal counter
            counter += 1
            await ws.send(json.dumps([2, str(counter), action, payload]))
            while True:
                frame = json.loads(await ws.recv())
                if frame[0] == 3 and frame[1] == str(counter):
                    return dict(frame[2])

        await call("BootNotification", {"chargePointVendor": "ABL", "chargePointModel": "eMH3"})
        await call("StatusNotification", {"connectorId": 1, "status": "Charging", "errorCode": "NoError"})
        start = await call("StartTransaction", {"connectorId": 1, "idTag": "6A570001", "meterStart": 1000,
                                                "timestamp": "2026-11-20T08:00:00Z"})  # fmt: skip
        tx = start["transactionId"]
        await call("MeterValues", {"connectorId": 1, "transactionId": tx, "meterValue": [
            {"timestamp": "2026-11-20T08:30:00Z", "sampledValue": [{"value": "6000"}]}]})  # fmt: skip
        await call("StopTransaction", {"transactionId": tx, "meterStop": 12000, "timestamp": "2026-11-20T09:00:00Z",
                                       "idTag": "6A570001", "reason": "Local"})  # fmt: skip
        await call("StatusNotification", {"connectorId": 1, "status": "Available", "errorCode": "NoError"})


def _make(database_url: str, count_cdrs: object) -> None:
    var = tempfile.mkdtemp(prefix="premove-var-")
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": "", "CSMS_VAR_DIR": var,
           "SECRET_KEY": "premove-secret-key-0123456789-0123456789"}  # fmt: skip
    _csms(env, "migrate")
    _csms(env, "demo")
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "csms.cli", "serve", "--port", str(port)], env=env)
    try:
        time.sleep(4)
        asyncio.run(_charge(f"ws://127.0.0.1:{port}/ocpp"))
        deadline = time.monotonic() + 30
        while count_cdrs() == 0:  # type: ignore[operator]
            if time.monotonic() > deadline:
                raise RuntimeError("no CDR was made")
            time.sleep(0.5)
        time.sleep(1)  # the OCPP message log's last batch
    finally:
        server.terminate()
        server.wait(timeout=20)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()

    path = Path(tempfile.mkdtemp(prefix="premove-")) / "premove.sqlite3"

    def sqlite_cdrs() -> int:
        with sqlite3.connect(path) as conn:
            return int(conn.execute("SELECT count(*) FROM cdr").fetchone()[0])

    _make(f"sqlite:///{path}", sqlite_cdrs)
    with sqlite3.connect(path) as conn:
        (args.out / "sqlite.sql").write_text("\n".join(conn.iterdump()) + "\n")

    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-c", "DROP DATABASE IF EXISTS csms_premove"],
                   check=True)  # fmt: skip
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-c", "CREATE DATABASE csms_premove"], check=True)

    def pg_cdrs() -> int:
        out = subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "csms_premove", "-tAc",
                              "SELECT count(*) FROM cdr"], check=True, capture_output=True, text=True)  # fmt: skip
        return int(out.stdout.strip())

    _make(PG, pg_cdrs)
    dump = subprocess.run(
        ["pg_dump", "-h", "127.0.0.1", "-U", "postgres", "--inserts", "--no-owner", "--no-privileges",
         "--no-comments", "csms_premove"],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    # psql meta-commands (\restrict of newer pg_dump releases) are not SQL: the test restores with asyncpg.
    sql = "".join(line for line in dump.stdout.splitlines(keepends=True) if not line.startswith("\\"))
    (args.out / "postgres.sql").write_text(sql)


if __name__ == "__main__":
    main()
