"""The peer's own virtualenv: made once under ``.venv-ocpi-peer/`` and kept while requirements.txt is unchanged.

    .venv/bin/python -m tests.ocpi_peer.venv      # scripts/test.sh runs this before the suite

Standard library only: it runs in csms's virtualenv before anything of the peer exists.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REQUIREMENTS = Path(__file__).with_name("requirements.txt")
VENV = Path(os.environ.get("CSMS_OCPI_PEER_VENV") or ROOT / ".venv-ocpi-peer")


class PeerUnavailable(RuntimeError):
    """The peer's virtualenv cannot be made here (no package index, no venv module ...)."""


def python() -> Path:
    return VENV / "bin" / "python"


def _digest() -> str:
    return hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()


def ready() -> bool:
    stamp = VENV / "requirements.sha256"
    return python().exists() and stamp.exists() and stamp.read_text().strip() == _digest()


@contextlib.contextmanager
def _locked() -> Iterator[None]:
    # Two processes of one worktree (a test run and a benchmark) may both find the venv missing.
    VENV.parent.mkdir(parents=True, exist_ok=True)
    with open(VENV.parent / f"{VENV.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _run(*cmd: str | Path) -> None:
    done = subprocess.run([str(c) for c in cmd], capture_output=True, text=True)  # noqa: S603
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
        raise PeerUnavailable(f"{' '.join(str(c) for c in cmd)} failed ({done.returncode}):\n{tail}")


def ensure() -> Path:
    """The peer's python, after making its virtualenv when it is missing or its requirements changed."""
    if ready():
        return python()
    with _locked():
        if ready():
            return python()
        # The stamp is written last, so a venv left half-made by an interrupted install is made again.
        shutil.rmtree(VENV, ignore_errors=True)
        _run(sys.executable, "-m", "venv", VENV)
        _run(python(), "-m", "pip", "install", "-q", "--disable-pip-version-check", "-r", REQUIREMENTS)
        (VENV / "requirements.sha256").write_text(_digest() + "\n")
    return python()


def main() -> int:
    try:
        print(f"OCPI peer virtualenv: {ensure().parent.parent}")
    except PeerUnavailable as exc:
        print(f"OCPI peer virtualenv cannot be made: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
