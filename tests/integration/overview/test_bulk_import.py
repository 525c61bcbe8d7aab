"""Bulk import against the real database: reuse, uniqueness, all-or-nothing, valid-only, tenants, jobs."""

from __future__ import annotations

import asyncio
import uuid

import dramatiq
import pytest

from core.errors import ValidationError
from core.infrastructure import bulk_import, overview
from core.infrastructure.bulk_import import ImportMode, JobStatus
from core.infrastructure.overview import parse_query
from core.infrastructure.tables import ChargePoint, ChargingStation, Connector, Location
from core.tenancy.tables import AuditEntry
from tests.integration.overview.helpers import add_charge_point
from tests.support import TenantCtx

HEADER = (
    "location_name;address;postal_code;city;country;charge_box_id;vendor;model;evse_number;evse_id;"
    "standard;power_type;max_electric_power"
)


def _line(
    tag: str, box: str, number: int, *, location: str = "Mitte", evse: str = "", power: str = "AC_3_PHASE"
) -> str:
    return f"{location} {tag};Hauptstr. 1;10115;Berlin;DEU;{box};ABB;Terra;{number};{evse};IEC_62196_T2;{power};22000"


def _file(*lines: str) -> str:
    return "\n".join([HEADER, *lines]) + "\n"


@pytest.fixture
def tag() -> str:
    return uuid.uuid4().hex[:8].upper()


async def _count_of(ctx: TenantCtx, table: type) -> int:
    return await table.count().where(table.tenant == ctx.id)  # type: ignore[attr-defined]


async def test_good_file_creates_reuses_and_audits(cpo: TenantCtx, tag: str) -> None:
    text = _file(
        _line(tag, f"A-{tag}", 1, evse=f"DE*ISE*E{tag}1*1"),
        _line(tag, f"A-{tag}", 2, evse=f"DE*ISE*E{tag}1*2"),
        _line(tag, f"B-{tag}", 1, power="DC"),
    )
    parsed = await bulk_import.validate(cpo.actor, text)
    assert [r.errors for r in parsed.rows] == [{}, {}, {}]
    created = await bulk_import.import_rows(cpo.actor, parsed, ImportMode.ALL)
    assert created == {"locations": 1, "stations": 2, "charge_points": 3}
    assert await _count_of(cpo, Connector) == 3
    dc = await overview.rows(cpo.actor, parse_query({"power": "DC"}))
    assert [r["charge_box_id"] for r in dc] == [f"B-{tag}"]
    audits = await AuditEntry.count().where((AuditEntry.tenant == cpo.id) & (AuditEntry.action == "import"))
    assert audits == 6

    # A second file names the same location and station: both are reused, a new charge point is added.
    again = await bulk_import.validate(cpo.actor, _file(_line(tag, f"A-{tag}", 3)))
    assert again.rows[0].errors == {} and again.rows[0].existing_station is not None
    assert await bulk_import.import_rows(cpo.actor, again, ImportMode.ALL) == {
        "locations": 0, "stations": 0, "charge_points": 1,
    }  # fmt: skip
    assert await _count_of(cpo, Location) == 1


async def test_errors_per_row_and_field_and_all_or_nothing(cpo: TenantCtx, tag: str) -> None:
    text = _file(
        _line(tag, f"A-{tag}", 1),
        _line(tag, f"A-{tag}", 1),  # same station and number twice in the file
        _line(tag, "bad id!", 1),
        _line(tag, f"C-{tag}", 1, evse="not-an-evse-id"),
    )
    parsed = await bulk_import.validate(cpo.actor, text)
    assert parsed.rows[0].errors == {}
    assert set(parsed.rows[1].errors) == {"evse_number"}
    assert parsed.rows[1].errors["evse_number"].params == {"line": 2}
    assert set(parsed.rows[2].errors) == {"charge_box_id"}
    assert set(parsed.rows[3].errors) == {"evse_id"}
    with pytest.raises(ValidationError):
        await bulk_import.import_rows(cpo.actor, parsed, ImportMode.ALL)
    assert await _count_of(cpo, ChargingStation) == 0  # nothing half-imported

    created = await bulk_import.import_rows(cpo.actor, parsed, ImportMode.VALID)
    assert created == {"locations": 1, "stations": 1, "charge_points": 1}


async def test_duplicate_evse_ids_and_existing_numbers(cpo: TenantCtx, tag: str) -> None:
    existing = await add_charge_point(cpo, evse_id=f"DE*ISE*E{tag}9*1", charge_box_id=f"X-{tag}", location_name="Old")
    text = _file(
        _line(tag, f"A-{tag}", 1, evse=f"DE*ISE*E{tag}5*1"),
        _line(tag, f"B-{tag}", 1, evse=f"de*ise*e{tag}5*1"),  # same EVSE-ID after normalising
        _line(tag, f"C-{tag}", 1, evse=f"DE*ISE*E{tag}9*1"),  # taken in the database
        f"Old;Hauptstr. 1;10115;Berlin;DEU;X-{tag};ABB;Terra;1;;IEC_62196_T2;AC_3_PHASE;22000",  # number taken
        _line(tag, f"X-{tag}", 2),  # the station exists at another location
    )
    parsed = await bulk_import.validate(cpo.actor, text)
    assert parsed.rows[0].errors == {}
    assert set(parsed.rows[1].errors) == {"evse_id"}
    assert parsed.rows[2].errors["evse_id"].msgid == "This EVSE-ID is already in use."
    assert set(parsed.rows[3].errors) == {"evse_number"}, existing
    assert parsed.rows[4].errors["charge_box_id"].msgid == "This station exists at another location."


async def test_another_tenants_charge_box_id_is_an_error_not_an_overwrite(
    cpo: TenantCtx, other_cpo: TenantCtx, tag: str
) -> None:
    theirs = await add_charge_point(other_cpo, charge_box_id=f"THEIRS-{tag}")
    parsed = await bulk_import.validate(cpo.actor, _file(_line(tag, f"THEIRS-{tag}", 2)))
    assert parsed.rows[0].errors["charge_box_id"].msgid == "A station with this charge box id exists."
    assert await bulk_import.import_rows(cpo.actor, parsed, ImportMode.VALID) == {
        "locations": 0, "stations": 0, "charge_points": 0,
    }  # fmt: skip
    assert await ChargePoint.count().where(ChargePoint.station == theirs["station_id"]) == 1
    job = await bulk_import.create_job(cpo.actor, "x.csv", _file(_line(tag, f"D-{tag}", 1)).encode())
    with pytest.raises(Exception):  # noqa: B017 - NotFound: another tenant's job looks missing
        await bulk_import.get_job(other_cpo.actor, job["id"])


async def test_job_preview_then_choice(cpo: TenantCtx, tag: str) -> None:
    data = ("\ufeff" + _file(_line(tag, f"A-{tag}", 1), _line(tag, "bad id!", 1))).encode()
    job = await bulk_import.create_job(cpo.actor, "stations.csv", data)
    assert (job["status"], job["total"], job["valid"], job["invalid"]) == (JobStatus.PREVIEW, 2, 1, 1)
    assert job["errors"] == [{"row": 3, "field": "charge_box_id", "message": "The format is not valid.", "params": {}}]
    with pytest.raises(ValidationError):
        await bulk_import.choose_mode(cpo.actor, job["id"], ImportMode.ALL)
    chosen = await bulk_import.choose_mode(cpo.actor, job["id"], ImportMode.VALID)
    assert chosen["status"] == JobStatus.QUEUED
    with pytest.raises(ValidationError):  # a second click does not import twice
        await bulk_import.choose_mode(cpo.actor, job["id"], ImportMode.VALID)
    await bulk_import.run_job(job["id"])
    await bulk_import.run_job(job["id"])  # idempotent
    done = await bulk_import.get_job(cpo.actor, job["id"])
    assert done["status"] == JobStatus.DONE and done["created"]["charge_points"] == 1
    assert await _count_of(cpo, ChargePoint) == 1


async def test_empty_file_job_cannot_be_imported(cpo: TenantCtx) -> None:
    job = await bulk_import.create_job(cpo.actor, "empty.csv", b"")
    assert job["errors"][0]["message"] == "The file is empty."
    with pytest.raises(ValidationError):
        await bulk_import.choose_mode(cpo.actor, job["id"], ImportMode.ALL)


async def test_large_file_runs_as_a_background_job(cpo: TenantCtx, tag: str) -> None:
    rows = [_line(tag, f"L-{tag}-{n // 4}", n % 4 + 1, location=f"Loc{n // 40}") for n in range(600)]
    job = await bulk_import.create_job(cpo.actor, "big.csv", _file(*rows).encode())
    assert job["valid"] == 600
    assert bulk_import.runs_in_background(job, ImportMode.ALL)
    await bulk_import.choose_mode(cpo.actor, job["id"], ImportMode.ALL)

    from workers.embedded import EmbeddedBroker
    from workers.import_actors import run_import

    broker = EmbeddedBroker()
    actor = dramatiq.actor(
        run_import.fn, broker=broker, actor_name=f"run_import_{tag}", queue_name="imports"
    )  # the real actor function on an in-process broker
    broker.attach(asyncio.get_running_loop())
    actor.send(job["id"])
    await broker.drain(timeout=120)
    broker.detach()
    done = await bulk_import.get_job(cpo.actor, job["id"])
    assert done["status"] == JobStatus.DONE, done
    assert done["done"] == 600 and done["created"] == {"locations": 15, "stations": 150, "charge_points": 600}
    assert await _count_of(cpo, ChargePoint) == 600


async def test_another_operators_evse_id_is_imported_with_a_warning(cpo: TenantCtx, tag: str) -> None:
    text = _file(
        _line(tag, f"A-{tag}", 1, evse=f"DE*ISE*E{tag}*1"),  # the tenant's own operator id (DE*ISE)
        _line(tag, f"A-{tag}", 2, evse=f"DE*XYZ*E{tag}*2"),  # another operator's
    )
    parsed = await bulk_import.validate(cpo.actor, text)
    assert [row.errors for row in parsed.rows] == [{}, {}]
    assert parsed.rows[0].warnings == {}
    assert parsed.rows[1].warnings["evse_id"].params == {
        "evse_id": f"DE*XYZ*E{tag}*2",
        "theirs": "DE*XYZ",
        "ours": "DE*ISE",
    }
    job = await bulk_import.create_job(cpo.actor, "mixed.csv", text.encode())
    assert (job["valid"], job["invalid"]) == (2, 0)
