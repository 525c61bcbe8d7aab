"""requirements.lock pins every dependency pyproject.toml names, at a version pyproject.toml allows: a dependency
added or narrowed without `scripts/lock.sh` would otherwise be installed unpinned, or not at all."""

from __future__ import annotations

import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]


def _pins() -> dict[str, Version]:
    pins: dict[str, Version] = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"not an exact pin: {line}"
            pins[canonicalize_name(name)] = Version(version.strip())
    return pins


def test_every_dependency_is_pinned_within_its_range() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    required = [Requirement(r) for r in [*project["dependencies"], *project["optional-dependencies"]["dev"]]]
    pins = _pins()
    problems = [
        f"{req}: {pins.get(canonicalize_name(req.name), 'not in the lock')}"
        for req in required
        if canonicalize_name(req.name) not in pins or pins[canonicalize_name(req.name)] not in req.specifier
    ]
    assert problems == [], "run scripts/lock.sh"
