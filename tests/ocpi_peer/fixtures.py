"""pytest plugin (tests/conftest.py loads it): the extrawest-ocpi peer as a fixture for csms's OCPI tests.

- ``ocpi_peer``: one peer process (an eMSP, party DE/EXW) for the whole session;
- ``ocpi_emsp``: the same peer, reset for this test (no partners, tokens, objects or received requests left).

Tests that use either are marked ``ocpi_peer``. scripts/test.sh (the one test command, which CI runs) builds the
peer's virtualenv first and stops when it cannot; pytest run by hand without it skips these tests with the reason
(fails where ``CI`` is set).
"""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator
from typing import Any

import pytest

from tests.ocpi_peer import venv
from tests.ocpi_peer.peer import OcpiPeer, start_peer

FIXTURES = {"ocpi_peer", "ocpi_emsp"}
_running: list[OcpiPeer] = []


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.ocpi_peer)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: Any) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.failed and _running and item.get_closest_marker("ocpi_peer"):
        report.sections.append(("OCPI peer log (last 4000 characters)", _running[0].log()[-4000:]))
    return report


@pytest.fixture(scope="session")
def ocpi_peer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OcpiPeer]:
    try:
        venv.ensure()
    except venv.PeerUnavailable as exc:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the OCPI peer tests, but its virtualenv cannot be made: {exc}")
        pytest.skip(f"the extrawest-ocpi peer cannot be installed here: {exc}")
    with start_peer(log_dir=tmp_path_factory.mktemp("ocpi-peer")) as peer:
        _running.append(peer)
        yield peer
        _running.remove(peer)


@pytest.fixture
async def ocpi_emsp(ocpi_peer: OcpiPeer) -> OcpiPeer:
    await ocpi_peer.reset()
    return ocpi_peer
