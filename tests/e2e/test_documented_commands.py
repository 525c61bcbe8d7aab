"""The commands of README.md and docs/ work as written, on the demo data a new user gets from `bash scripts/run.sh`.

Every ```sh block of those files runs here, unless ``NOT_RUN`` names its first command with the reason; a new block
is run without anything added here. ``127.0.0.1:8000`` in a block becomes the address of the server started for
this test (`bash scripts/run.sh --port N` on an empty embedded database). A command that runs until Ctrl-C
(``csms simulate``) runs until ``UNTIL_STOPPED`` sees what it documents, then gets Ctrl-C and must end cleanly.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from csms.cli import build_parser
from tests.e2e.conftest import ARTIFACTS
from tests.support import csms_serve, free_port

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SERVER = "bash scripts/run.sh"  # the README's run command: it serves everything the other blocks use
NOT_RUN = {
    "bash scripts/test.sh": "it is the command that runs this test",
    ".venv/bin/python bench/": "benchmarks load the machine for minutes and are never part of the test suite",
    "git clone https://example.org/": "the operator's own copy of the repository; this checkout is one",
    ".venv/bin/csms serve --host 0.0.0.0": "production start lines (PostgreSQL, Redis, certificates) that run until "
    "stopped: tests/integration/test_production.py runs `csms serve` and `csms worker` processes that way",
}
DOCUMENTED_ADDRESS = "127.0.0.1:8000"
DEMO_CARD = "6A570001"  # core.access.driver_groups.DEMO_GUEST_CARD


def shell_blocks() -> Iterator[tuple[str, str]]:
    """(where, text) of every ```sh block of the README and docs/."""
    for path in DOCUMENTS:
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"^```sh\n(.*?)^```", text, re.S | re.M):
            yield f"{path.relative_to(ROOT)}:{text.count(chr(10), 0, match.start()) + 1}", match.group(1)


def first_command(block: str) -> str:
    return next(line.strip() for line in block.splitlines() if line.strip() and not line.lstrip().startswith("#"))


def _demo_card_was_accepted(base: str, env: dict[str, str]) -> Callable[[], bool]:
    """A session of the demo's guest card, authorised: what the simulator example documents."""
    key = subprocess.run(["csms", "apikey", "create", "--tenant", "demo", "--name", "docs-test"], env=env,
                         capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    headers = {"Authorization": f"Bearer {key}"}

    def seen() -> bool:
        listed = httpx.get(f"{base}/api/v1/sessions", headers=headers, timeout=5).json()["items"]
        sessions = [httpx.get(f"{base}/api/v1/sessions/{s['id']}", headers=headers, timeout=5).json() for s in listed]
        return any(s["id_tag"] == DEMO_CARD and s["auth_status"] == "Accepted" for s in sessions)

    return seen


UNTIL_STOPPED = {"csms simulate": _demo_card_was_accepted}


def test_every_documented_block_is_run_or_says_why_not() -> None:
    blocks = list(shell_blocks())
    assert len(blocks) >= 8
    firsts = [first_command(text) for _, text in blocks]
    assert SERVER in firsts
    assert any(first.startswith("csms simulate") for first in firsts)  # docs/ocpp.md's simulator example
    assert any(first.startswith("csms tenant create") for first in firsts)  # README's command line example
    for where, text in blocks:
        first = first_command(text)
        if any(first.startswith(prefix) for prefix in UNTIL_STOPPED):
            assert first == text.strip(), f"{where}: a command that runs until Ctrl-C stands alone in its block"


def cli_commands(parser: argparse.ArgumentParser, prefix: str = "") -> set[str]:
    """Every command of the command line: "serve", "tenant create" ..."""
    commands: set[str] = set()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                commands |= cli_commands(sub, f"{prefix}{name} ") or {f"{prefix}{name}"}
    return commands


def test_readme_lists_every_csms_command() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = {row.strip() for row in re.findall(r"^\| `csms ((?:[a-z][a-z-]* ?)+)", readme, re.M)}
    assert table == cli_commands(build_parser())


@pytest.mark.skipif(
    os.environ.get("CSMS_TEST_MODE") == "production",
    reason="the commands run on the embedded database of scripts/run.sh whatever the suite's: the embedded run does it",
)
def test_documented_commands_work_on_the_demo_data(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY"}}
    env |= {"CSMS_VAR_DIR": str(tmp_path), "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"}
    # The server's address is its PUBLIC_URL, as 127.0.0.1:8000 is for scripts/run.sh: OCPI partners are sent it.
    port = free_port()
    env["PUBLIC_URL"] = f"http://127.0.0.1:{port}"
    ARTIFACTS.mkdir(exist_ok=True)
    with (
        (ARTIFACTS / "documented-commands-server.log").open("w") as log,
        csms_serve(env, log, command=tuple(SERVER.split()), start_within=180, port=port) as base,
    ):
        address = base.removeprefix("http://")
        failures, ran = [], 0
        for where, text in shell_blocks():
            first = first_command(text)
            if first == SERVER or any(first.startswith(prefix) for prefix in NOT_RUN):
                continue
            script = text.replace(DOCUMENTED_ADDRESS, address)
            waits_for = next((check for prefix, check in UNTIL_STOPPED.items() if first.startswith(prefix)), None)
            failure = _run_until(script, env, waits_for(base, env)) if waits_for else _run(script, env)
            if failure:
                failures.append(f"{where}: {failure}")
            ran += 1
    assert ran >= 3
    assert not failures, "\n\n".join(failures)


def _run(script: str, env: dict[str, str]) -> str:
    # A command that asks for a password (`csms user create` without --password) reads it from stdin here.
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=ROOT, env=env, capture_output=True,
                          input="a-documented-password-2026\n", text=True, timeout=120, check=False)  # fmt: skip
    return "" if done.returncode == 0 else f"exit code {done.returncode}\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"


def _run_until(script: str, env: dict[str, str], seen: Callable[[], bool], within: float = 30) -> str:
    proc = subprocess.Popen(["bash", "-c", f"exec {script}"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)  # fmt: skip
    deadline = time.monotonic() + within
    while not seen() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.5)
    happened = seen()
    proc.send_signal(signal.SIGINT)  # Ctrl-C
    try:
        output, _ = proc.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        output, _ = proc.communicate()
        return f"did not end on Ctrl-C\n{output[-2000:]}"
    if not happened:
        return f"what it documents did not happen within {within} s\n{output[-2000:]}"
    return "" if proc.returncode == 0 else f"exit code {proc.returncode} after Ctrl-C\n{output[-2000:]}"
