"""schemathesis against the REST API's own OpenAPI document, on `csms serve` with the test database.

The key belongs to a tenant holding demo-like data (locations, stations, charge points, a tariff and its
assignment, cards, a driver group, a session with its CDR, a command): schemathesis calls every operation with
generated valid and invalid input and fails on any 5xx, and on any answer that the document does not describe
(status code, content type, headers, body). Bounded: a fixed number of examples per operation, one worker.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.tenancy import api_keys
from tests.integration.security_targets import World, factory_for
from tests.support import app_client, csms_serve, login, make_tenant

EXAMPLES = 12
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
)
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


# Path parameters schemathesis fills with the demo tenant's objects, so that it gets past the lookup (the
# resources' generic item_id it fills at random: those operations are mostly answered 404).
KNOWN_IDS = ("location_id", "station_id", "charge_point_id", "tariff_id", "assignment_id", "card_id",
             "driver_group_id", "cdr_id", "session_id", "record_id", "campaign_id")  # fmt: skip


@pytest.fixture(scope="module")
async def demo() -> tuple[str, dict[str, int]]:
    """A key with every permission of a tenant with one of each object the REST API serves, and their ids."""
    world = World(await make_tenant())
    ids = {param: int(await factory_for("/api/v1/", param)(world)) for param in KNOWN_IDS}
    await factory_for("/api/v1/", "connector_id")(world)
    key, _ = await api_keys.create_api_key(world.ctx.id, "schemathesis")
    return key, ids


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with csms_serve({**os.environ, "PYTHONUNBUFFERED": "1"}) as base:
        yield base


def test_the_rest_api_answers_as_its_openapi_document_says(
    server: str, demo: tuple[str, dict[str, int]], tmp_path: Path
) -> None:
    key, ids = demo
    config = tmp_path / "schemathesis.toml"
    config.write_text("[parameters]\n" + "".join(f"{name} = {value}\n" for name, value in ids.items()))
    command = [
        str(SCHEMATHESIS), "--config-file", str(config), "run", f"{server}/api/docs/openapi.json", "--url", server,
        "--header", f"Authorization: Bearer {key}",
        "--checks", ",".join(CHECKS), "--max-examples", str(EXAMPLES), "--seed", "11", "--workers", "1",
        "--request-timeout", "20", "--phases", "examples,coverage,fuzzing", "--no-color",
    ]  # fmt: skip
    run = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False, cwd=tmp_path)
    assert run.returncode == 0, run.stdout[-20000:] + run.stderr[-3000:]
    selected = re.search(r"Selected: (\d+)/(\d+)\s+Tested: (\d+)", run.stdout)
    assert selected is not None and len(set(selected.groups())) == 1, run.stdout[-3000:]  # every operation ran
    assert int(selected.group(1)) >= 45


async def test_numbers_no_column_can_hold_are_refused_as_input(demo: tuple[str, dict[str, int]]) -> None:
    """What schemathesis found first: such numbers reached the database, which answered with a 500."""
    key, ids = demo
    huge = 2**40
    async with app_client() as api:
        api.headers["Authorization"] = f"Bearer {key}"
        assert (await api.get(f"/api/v1/stations/{huge}")).status_code == 404
        assert (await api.post(f"/api/v1/tariff-assignments/{huge}/cancel")).status_code == 404
        paged = await api.get("/api/v1/locations", params={"offset": huge})
        assert paged.status_code == 400 and "offset" in paged.json()["errors"]
        filtered = await api.get("/api/v1/stations", params={"location_id": -huge})
        assert filtered.status_code == 400 and "location_id" in filtered.json()["errors"]
        created = await api.post("/api/v1/evses", json={"station_id": ids["station_id"], "evse_number": huge})
        assert created.status_code == 400 and "evse_number" in created.json()["errors"], created.text
        moved = await api.patch(f"/api/v1/cards/{ids['card_id']}", json={"driver_group_id": huge})
        assert moved.status_code == 400 and "driver_group_id" in moved.json()["errors"], moved.text
    async with app_client() as portal:
        await login(portal, (await make_tenant()).admin["email"])
        assert (await portal.get(f"/infrastructure/stations/{huge}")).status_code == 404
