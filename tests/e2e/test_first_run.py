"""The README's run path on an empty machine: migrate, demo, serve, log in to a populated portal."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time

import httpx

from core.demo import DEMO_EMAIL, DEMO_PASSWORD
from tests.support import dashboard_count, free_port


def test_fresh_embedded_install_serves_a_populated_portal() -> None:
    with tempfile.TemporaryDirectory() as var:
        env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY"}}
        env["CSMS_VAR_DIR"] = var
        for step in (["migrate"], ["demo"]):
            done = subprocess.run([sys.executable, "-m", "csms.cli", *step], env=env, capture_output=True, text=True)
            assert done.returncode == 0, done.stderr
        assert os.path.exists(os.path.join(var, "csms.sqlite3"))
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "csms.cli", "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(100):
                try:
                    if httpx.get(f"{base}/health").status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.1)
            with httpx.Client(base_url=base, follow_redirects=True) as client:
                token = re.search(r'name="_csrf_token" value="([^"]+)"', client.get("/login").text)
                assert token is not None
                login = client.post(
                    "/login", data={"email": DEMO_EMAIL, "password": DEMO_PASSWORD, "_csrf_token": token.group(1)}
                )
                assert login.status_code == 200  # followed the redirect to the dashboard
                tiles = login.text.split('data-testid="status-tiles"')[1].split("</section>")[0]
                counts = [int(n) for n in re.findall(r'<span class="count">(\d+)</span>', tiles)]
                assert sum(counts) == 10  # the demo's charge points, by status
                assert dashboard_count(login.text, "stations-offline") == 6  # none connected yet
                assert dashboard_count(login.text, "stations-online") == 0
        finally:
            server.terminate()
            server.wait(timeout=10)
