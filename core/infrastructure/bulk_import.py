"""Bulk import of locations, stations and charge points from a CSV file (one row per charge point).

Every row is checked with the same FormSpecs as the portal's forms (LOCATION_SPEC, STATION_SPEC,
CHARGE_POINT_SPEC, CONNECTOR_SPEC) and the same uniqueness rules, first as a preview, then again
right before importing. "all" imports every row in one transaction and only when no row has an
error; "valid" imports the rows without errors (also in one transaction). Rows naming an existing
location (same name and address in the tenant) or station (same charge box id) reuse it.
"""

from __future__ import annotations

import asyncio
import contextvars
import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from core.db import is_postgres, transaction
from core.errors import Message, NotFound, ValidationError
from core.infrastructure.changes import stations_changed
from core.infrastructure.charge_points import refresh_charge_point_summary
from core.infrastructure.evse_id import foreign_operator_warning, normalize_evse_id
from core.infrastructure.specs import CHARGE_POINT_SPEC, CONNECTOR_SPEC, LOCATION_SPEC, STATION_SPEC
from core.infrastructure.tables import ChargePoint, ChargingStation, Connector, ImportJob, Location
from core.tenancy import audit, logins
from core.tenancy.actor import Actor
from core.tenancy.permissions import Permission
from core.tenancy.tables import StaffUser, Tenant
from core.validation import FormSpec

BACKGROUND_THRESHOLD = 500  # rows; longer files are imported by a background job
MAX_ROWS = 100_000
MAX_BYTES = 20 * 1024 * 1024
_CHUNK = 500  # ids per IN (...) lookup

# CSV column -> (spec, spec field). The location's "name" is called location_name in the file.
COLUMNS: dict[str, tuple[FormSpec, str]] = {
    "location_name": (LOCATION_SPEC, "name"),
    "address": (LOCATION_SPEC, "address"),
    "postal_code": (LOCATION_SPEC, "postal_code"),
    "city": (LOCATION_SPEC, "city"),
    "country": (LOCATION_SPEC, "country"),
    "charge_box_id": (STATION_SPEC, "charge_box_id"),
    "vendor": (STATION_SPEC, "vendor"),
    "model": (STATION_SPEC, "model"),
    "serial_number": (STATION_SPEC, "serial_number"),
    "firmware_version": (STATION_SPEC, "firmware_version"),
    "ocpp_version": (STATION_SPEC, "ocpp_version"),
    "evse_number": (CHARGE_POINT_SPEC, "evse_number"),
    "evse_id": (CHARGE_POINT_SPEC, "evse_id"),
    "auth_local_rfid": (CHARGE_POINT_SPEC, "auth_local_rfid"),
    "auth_remote": (CHARGE_POINT_SPEC, "auth_remote"),
    "auth_direct_payment": (CHARGE_POINT_SPEC, "auth_direct_payment"),
    "standard": (CONNECTOR_SPEC, "standard"),
    "format": (CONNECTOR_SPEC, "format"),
    "power_type": (CONNECTOR_SPEC, "power_type"),
    "max_electric_power": (CONNECTOR_SPEC, "max_electric_power"),
}
REQUIRED_COLUMNS = ("location_name", "address", "postal_code", "city", "charge_box_id", "evse_number")
# The parent id each spec requires is filled in at import time.
_PARENT = {
    STATION_SPEC.name: "location_id",
    CHARGE_POINT_SPEC.name: "station_id",
    CONNECTOR_SPEC.name: "charge_point_id",
}

# Shown on the page as documentation and offered as a template file.
COLUMN_HELP: tuple[tuple[str, str], ...] = (
    ("location_name", "Name of the location; an existing location with the same name and address is reused"),
    ("address", "Street and number"),
    ("postal_code", "Postal code"),
    ("city", "City"),
    ("country", "ISO 3166 alpha-3, e.g. DEU (default DEU)"),
    ("charge_box_id", "OCPP charge box id; an existing station of yours is reused"),
    ("vendor", "Vendor"),
    ("model", "Model"),
    ("serial_number", "Serial number"),
    ("firmware_version", "Firmware version"),
    ("ocpp_version", "1.6 or 2.0.1 (default 1.6)"),
    ("evse_number", "Number of the charge point on the station (OCPP connectorId), 1-999"),
    ("evse_id", "EVSE-ID, e.g. DE*ISE*E12345*1 (optional)"),
    ("auth_local_rfid", "yes/no (default yes)"),
    ("auth_remote", "yes/no (default yes)"),
    ("auth_direct_payment", "yes/no (default no)"),
    ("standard", "Connector standard, e.g."),
    ("format", "Connector format, one of"),
    ("power_type", "Power type, one of"),
    ("max_electric_power", "Maximum power in watts, e.g. 22000"),
)


# The codes a column takes, as they are written in the file (shown as code next to the column's meaning).
COLUMN_VALUES: dict[str, tuple[str, ...]] = {
    "standard": ("IEC_62196_T2", "IEC_62196_T2_COMBO", "CHADEMO"),
    "format": ("SOCKET", "CABLE"),
    "power_type": ("AC_1_PHASE", "AC_3_PHASE", "DC"),
}


def template_csv() -> str:
    header = ";".join(COLUMNS)
    example = ";".join(
        [
            "Parkhaus Mitte", "Hauptstr. 1", "10115", "Berlin", "DEU", "PH-MITTE-01", "ABB", "Terra AC",
            "SN-0001", "1.7.2", "1.6", "1", "DE*ISE*E10001*1", "yes", "yes", "no", "IEC_62196_T2", "SOCKET",
            "AC_3_PHASE", "22000",
        ]
    )  # fmt: skip
    return header + "\n" + example + "\n"


class JobStatus(StrEnum):
    PREVIEW = "PREVIEW"
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    DONE = "DONE"
    FAILED = "FAILED"


class ImportMode(StrEnum):
    ALL = "all"
    VALID = "valid"


@dataclass
class Row:
    line: int  # line number in the file (the header is line 1)
    values: dict[str, str]
    errors: dict[str, Message] = field(default_factory=dict)
    warnings: dict[str, Message] = field(default_factory=dict)  # saved all the same (an EVSE-ID of another operator)
    location: dict[str, Any] = field(default_factory=dict)
    station: dict[str, Any] = field(default_factory=dict)
    charge_point: dict[str, Any] = field(default_factory=dict)
    connector: dict[str, Any] = field(default_factory=dict)
    existing_location: int | None = None
    existing_station: int | None = None

    @property
    def valid(self) -> bool:
        return not self.errors


@dataclass
class Parsed:
    rows: list[Row]
    file_errors: list[Message]

    @property
    def valid_rows(self) -> list[Row]:
        return [r for r in self.rows if r.valid]

    @property
    def invalid_rows(self) -> list[Row]:
        return [r for r in self.rows if not r.valid]

    @property
    def importable(self) -> bool:
        return not self.file_errors and bool(self.rows)


# --- parsing ---------------------------------------------------------------------------------------


def decode(data: bytes) -> str:
    """UTF-8 with or without byte order mark; anything else is refused with a clear message."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError({"file": Message("The file is not UTF-8 encoded.")}) from None


def _delimiter(header_line: str) -> str:
    return ";" if header_line.count(";") >= header_line.count(",") else ","


def read_rows(text: str) -> tuple[list[Row], list[Message]]:
    """Splits the file into rows keyed by column name; header problems are file errors."""
    lines = text.lstrip("\ufeff").splitlines()
    while lines and not lines[0].strip():
        lines.pop(0)
    if not lines:
        return [], [Message("The file is empty.")]
    delimiter = _delimiter(lines[0])
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=delimiter)
    header: list[str] | None = None
    rows: list[Row] = []
    for record in reader:
        if header is None:
            if not any(cell.strip() for cell in record):
                continue
            header = [cell.strip().lower() for cell in record]
            unknown = [name for name in header if name not in COLUMNS]
            missing = [name for name in REQUIRED_COLUMNS if name not in header]
            errors = []
            if unknown:
                errors.append(Message("Unknown columns: %(columns)s", {"columns": ", ".join(unknown)}))
            if missing:
                errors.append(Message("Missing columns: %(columns)s", {"columns": ", ".join(missing)}))
            if len(set(header)) != len(header):
                errors.append(Message("A column appears twice in the header."))
            if errors:
                return [], errors
            continue
        if not any(cell.strip() for cell in record):
            continue
        line = reader.line_num
        if len(rows) >= MAX_ROWS:
            return [], [Message("At most %(max)s rows per file.", {"max": MAX_ROWS})]
        row = Row(
            line=line, values={name: (record[i].strip() if i < len(record) else "") for i, name in enumerate(header)}
        )
        if len(record) != len(header):
            row.errors["__row__"] = Message(
                "The row has %(found)s values, the header %(expected)s (check the separator).",
                {"found": len(record), "expected": len(header)},
            )
        rows.append(row)
    if header is None:
        return [], [Message("The file is empty.")]
    if not rows:
        return [], [Message("The file has no data rows.")]
    return rows, []


def _spec_input(row: Row, spec: FormSpec) -> dict[str, Any]:
    raw: dict[str, Any] = {}
    for column, (column_spec, name) in COLUMNS.items():
        if column_spec is spec and row.values.get(column, "") != "":
            raw[name] = row.values[column]
    for f in spec.fields:
        # A required field with a default (the location's country) may be left out of the file.
        if f.required and f.default is not None and f.name not in raw:
            raw[f.name] = f.default
    if spec.name in _PARENT:
        raw[_PARENT[spec.name]] = 0
    return raw


def _column_of(spec: FormSpec, name: str) -> str:
    for column, (column_spec, field_name) in COLUMNS.items():
        if column_spec is spec and field_name == name:
            return column
    return "__row__"


def check_fields(row: Row) -> None:
    """The form rules, field by field; errors are keyed by the file's column names."""
    if "__row__" in row.errors:
        return
    parsed: dict[str, dict[str, Any]] = {}
    for spec in (LOCATION_SPEC, STATION_SPEC, CHARGE_POINT_SPEC, CONNECTOR_SPEC):
        try:
            parsed[spec.name] = spec.parse(_spec_input(row, spec))
        except ValidationError as exc:
            for name, message in exc.errors.items():
                row.errors.setdefault(_column_of(spec, name), message)
    if row.errors:
        return
    row.location = parsed[LOCATION_SPEC.name]
    row.location["opening_hours"] = row.location.get("opening_hours") or []
    row.station = {k: v for k, v in parsed[STATION_SPEC.name].items() if k in _STATION_FIELDS}
    row.charge_point = parsed[CHARGE_POINT_SPEC.name]
    row.charge_point.pop("station_id", None)
    evse_id = row.charge_point.get("evse_id")
    row.charge_point["evse_id"] = normalize_evse_id(evse_id) if evse_id else None
    row.connector = parsed[CONNECTOR_SPEC.name]
    row.connector.pop("charge_point_id", None)


# Only what the file can set; a new station's other settings keep the table's defaults.
_STATION_FIELDS = frozenset(name for spec, name in COLUMNS.values() if spec is STATION_SPEC)


def _chunks(items: list[Any]) -> Iterable[list[Any]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


async def check_uniqueness(actor: Actor, rows: list[Row]) -> None:
    """Rules across rows and against the database, with a few batched look-ups instead of one per row."""
    tenant_id = actor.tenant_id
    candidates = [r for r in rows if r.valid]
    box_ids = sorted({r.station["charge_box_id"] for r in candidates})
    stations: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(box_ids):
        for s in await ChargingStation.select(
            ChargingStation.id, ChargingStation.tenant, ChargingStation.charge_box_id, ChargingStation.location
        ).where(ChargingStation.charge_box_id.is_in(chunk)):
            stations[s["charge_box_id"]] = s
    locations: dict[tuple[str, str], int] = {}
    for loc in await Location.select(Location.id, Location.name, Location.address).where(
        (Location.tenant == tenant_id) & Location.decommissioned_at.is_null()
    ):
        locations.setdefault((loc["name"], loc["address"]), loc["id"])
    station_ids = [s["id"] for s in stations.values() if s["tenant"] == tenant_id]
    taken_numbers: set[tuple[int, int]] = set()
    for chunk in _chunks(station_ids):
        for cp in await ChargePoint.select(ChargePoint.station, ChargePoint.evse_number).where(
            ChargePoint.station.is_in(chunk)
        ):
            taken_numbers.add((cp["station"], cp["evse_number"]))
    evse_ids = sorted({r.charge_point["evse_id"] for r in candidates if r.charge_point.get("evse_id")})
    taken_evse: set[str] = set()
    for chunk in _chunks(evse_ids):
        taken_evse.update(cp["evse_id"] for cp in await ChargePoint.select(ChargePoint.evse_id).where(
            ChargePoint.evse_id.is_in(chunk)
        ))  # fmt: skip

    operator = await Tenant.select(Tenant.country_code, Tenant.party_id).where(Tenant.id == tenant_id).first() or {}
    seen_points: dict[tuple[str, int], int] = {}
    seen_evse: dict[str, int] = {}
    station_location: dict[str, tuple[str, str]] = {}
    for row in candidates:
        box = row.station["charge_box_id"]
        location_key = (row.location["name"], row.location["address"])
        row.existing_location = locations.get(location_key)
        existing = stations.get(box)
        if existing is not None:
            if existing["tenant"] != tenant_id:
                # Another operator's station is never touched; it looks like any taken id.
                row.errors["charge_box_id"] = Message("A station with this charge box id exists.")
                continue
            row.existing_station = existing["id"]
            if existing["location"] != row.existing_location:
                row.errors["charge_box_id"] = Message("This station exists at another location.")
            elif (existing["id"], row.charge_point["evse_number"]) in taken_numbers:
                row.errors["evse_number"] = Message("The station already has a charge point with this number.")
        first_location = station_location.setdefault(box, location_key)
        if first_location != location_key:
            row.errors.setdefault(
                "charge_box_id", Message("This charge box id appears with another location in the file.")
            )
        point_key = (box, row.charge_point["evse_number"])
        if point_key in seen_points:
            row.errors["evse_number"] = Message(
                "Charge box id and number appear twice in the file (line %(line)s).", {"line": seen_points[point_key]}
            )
        else:
            seen_points[point_key] = row.line
        evse_id = row.charge_point.get("evse_id")
        if evse_id:
            if evse_id in taken_evse:
                row.errors["evse_id"] = Message("This EVSE-ID is already in use.")
            elif evse_id in seen_evse:
                row.errors["evse_id"] = Message(
                    "This EVSE-ID appears twice in the file (line %(line)s).", {"line": seen_evse[evse_id]}
                )
            else:
                seen_evse[evse_id] = row.line
            if (warning := foreign_operator_warning(evse_id, operator)) is not None:
                row.warnings["evse_id"] = warning


async def validate(actor: Actor, text: str) -> Parsed:
    actor.require(Permission.INFRASTRUCTURE_MANAGE)
    rows, file_errors = read_rows(text)
    for row in rows:
        check_fields(row)
    if rows:
        await check_uniqueness(actor, rows)
    return Parsed(rows=rows, file_errors=file_errors)


# --- import ----------------------------------------------------------------------------------------

ProgressFn = Any  # async callable (done: int) -> None


async def import_rows(actor: Actor, parsed: Parsed, mode: ImportMode, progress: ProgressFn = None) -> dict[str, int]:
    """Creates what the rows describe in ONE transaction; returns counts of created entities."""
    actor.require(Permission.INFRASTRUCTURE_MANAGE)
    if not parsed.importable:
        raise ValidationError({"file": parsed.file_errors[0] if parsed.file_errors else Message("The file is empty.")})
    if mode == ImportMode.ALL and parsed.invalid_rows:
        raise ValidationError({"file": Message("Some rows have errors; import only the valid rows or fix the file.")})
    rows = parsed.valid_rows
    tenant_id = actor.tenant_id
    created = {"locations": 0, "stations": 0, "charge_points": 0}
    location_ids: dict[tuple[str, str], int] = {}
    station_ids: dict[str, int] = {}
    touched: set[int] = set()
    async with transaction():
        for done, row in enumerate(rows, start=1):
            key = (row.location["name"], row.location["address"])
            location_id = row.existing_location or location_ids.get(key)
            if location_id is None:
                location = Location(tenant=tenant_id, **row.location)
                await location.save()
                location_id = location_ids[key] = location.id
                await audit.record(actor, tenant_id, "location", location_id, "import", audit.diff({}, row.location))
                created["locations"] += 1
            box = row.station["charge_box_id"]
            station_id = row.existing_station or station_ids.get(box)
            if station_id is None:
                # No OCPP password yet: the operator generates one on the data sheet when the station is set up.
                station = ChargingStation(tenant=tenant_id, location=location_id, attributes={}, **row.station)
                await station.save()
                station_id = station_ids[box] = station.id
                await audit.record(actor, tenant_id, "station", station_id, "import", audit.diff({}, row.station))
                created["stations"] += 1
            cp = ChargePoint(tenant=tenant_id, station=station_id, **row.charge_point)
            await cp.save()
            await Connector(tenant=tenant_id, charge_point=cp.id, **row.connector).save()
            await refresh_charge_point_summary(cp.id)
            changes = audit.diff({}, {**row.charge_point, **row.connector})
            await audit.record(actor, tenant_id, "charge_point", cp.id, "import", changes)
            touched.add(station_id)
            created["charge_points"] += 1
            if progress is not None and (done % 50 == 0 or done == len(rows)):
                await progress(done)
        await stations_changed(touched)
    return created


# --- jobs: preview, run now or in the background ------------------------------------------------------


def error_list(parsed: Parsed) -> list[dict[str, Any]]:
    """Errors as stored on the job (and shown in the preview table)."""
    items = [{"row": 0, "field": "file", "message": m.msgid, "params": m.params} for m in parsed.file_errors]
    for row in parsed.invalid_rows:
        for name, message in row.errors.items():
            items.append({"row": row.line, "field": name, "message": message.msgid, "params": message.params})
    return items


async def create_job(actor: Actor, filename: str, data: bytes) -> dict[str, Any]:
    """Stores the upload and its preview (counts and errors per row and field)."""
    actor.require(Permission.INFRASTRUCTURE_MANAGE)
    if len(data) > MAX_BYTES:
        raise ValidationError({"file": Message("The file is too large (at most 20 MB).")})
    text = decode(data)
    parsed = await validate(actor, text)
    job = ImportJob(
        tenant=actor.tenant_id, user=actor.user_id, filename=filename[:255], content=text,
        status=JobStatus.PREVIEW, total=len(parsed.rows), valid=len(parsed.valid_rows),
        invalid=len(parsed.invalid_rows) + (1 if parsed.file_errors else 0), errors=error_list(parsed),
    )  # fmt: skip
    await job.save()
    return await get_job(actor, job.id)


async def get_job(actor: Actor, job_id: int) -> dict[str, Any]:
    actor.require(Permission.INFRASTRUCTURE_MANAGE)
    row = (
        await ImportJob.select(*ImportJob.all_columns(exclude=[ImportJob.content]))
        .where((ImportJob.id == job_id) & ImportJob.tenant.is_in(actor.scope))
        .output(load_json=True)
        .first()
    )
    if row is None:
        raise NotFound("import")
    row["done"] = max(row["done"], _progress.get(job_id, 0))
    return row


async def list_jobs(actor: Actor, limit: int = 20) -> list[dict[str, Any]]:
    actor.require(Permission.INFRASTRUCTURE_MANAGE)
    return (
        await ImportJob.select(*ImportJob.all_columns(exclude=[ImportJob.content, ImportJob.errors]))
        .where(ImportJob.tenant.is_in(actor.scope))
        .order_by(ImportJob.id, ascending=False)
        .limit(limit)
        .output(load_json=True)
    )


async def preview_rows(actor: Actor, job_id: int) -> Parsed:
    """The job's file checked again against the current data, for the preview table."""
    await get_job(actor, job_id)
    content = await ImportJob.select(ImportJob.content).where(ImportJob.id == job_id).first()
    assert content is not None
    return await validate(actor, content["content"])


def runs_in_background(job: dict[str, Any], mode: ImportMode) -> bool:
    rows = job["total"] if mode == ImportMode.ALL else job["valid"]
    return bool(rows > BACKGROUND_THRESHOLD)


async def choose_mode(actor: Actor, job_id: int, mode: ImportMode) -> dict[str, Any]:
    """The user's choice; refuses "all" while rows have errors. The caller then runs or enqueues the job."""
    job = await get_job(actor, job_id)
    if job["status"] != JobStatus.PREVIEW:
        raise ValidationError({"mode": Message("This import was already started.")})
    if mode == ImportMode.ALL and job["invalid"]:
        raise ValidationError({"mode": Message("Some rows have errors; import only the valid rows or fix the file.")})
    if mode == ImportMode.VALID and not job["valid"]:
        raise ValidationError({"mode": Message("No row is valid.")})
    updated = (
        await ImportJob.update({ImportJob.status: JobStatus.QUEUED, ImportJob.mode: mode.value})
        .where((ImportJob.id == job_id) & (ImportJob.status == JobStatus.PREVIEW))
        .returning(ImportJob.id)
    )
    if not updated:  # a second click raced the first
        raise ValidationError({"mode": Message("This import was already started.")})
    return await get_job(actor, job_id)


# In embedded mode (SQLite) the job runs in the serving process, and a second connection could not
# write while the import's transaction holds the database: progress is kept here for the page to poll.
_progress: dict[int, int] = {}


async def _store_progress(job_id: int, done: int) -> None:
    _progress[job_id] = done
    if is_postgres():
        # A fresh context has no current transaction, so the update commits at once on its own connection.
        update = ImportJob.update({ImportJob.done: done}).where(ImportJob.id == job_id)
        await asyncio.create_task(update.run(), context=contextvars.Context())


async def run_job(job_id: int) -> None:
    """Imports a queued job as the user who uploaded it; idempotent (a finished job is left alone)."""
    job = await ImportJob.select().where(ImportJob.id == job_id).first()
    if job is None or job["status"] not in (JobStatus.QUEUED, JobStatus.RUNNING):
        return
    user = await StaffUser.select().where(StaffUser.id == job["user"]).first() if job["user"] else None
    if user is None:
        await _finish(job_id, JobStatus.FAILED, [{"row": 0, "field": "file", "message": "Not found", "params": {}}])
        return
    actor = await logins.actor_for_user(user)
    await ImportJob.update({ImportJob.status: JobStatus.RUNNING}).where(ImportJob.id == job_id)
    parsed = await validate(actor, job["content"])
    mode = ImportMode(job["mode"] or ImportMode.ALL)
    await ImportJob.update(
        {ImportJob.total: len(parsed.valid_rows) if mode == ImportMode.VALID else len(parsed.rows)}
    ).where(ImportJob.id == job_id)

    async def progress(done: int) -> None:
        await _store_progress(job_id, done)

    try:
        created = await import_rows(actor, parsed, mode, progress)
    except ValidationError:
        # The data changed since the preview (e.g. someone created the same station): nothing was imported.
        await _finish(job_id, JobStatus.FAILED, error_list(parsed), invalid=len(parsed.invalid_rows))
        return
    await _finish(job_id, JobStatus.DONE, error_list(parsed), created=created, done=len(parsed.valid_rows))


async def _finish(job_id: int, status: JobStatus, errors: list[dict[str, Any]], **values: Any) -> None:
    update: dict[Any, Any] = {
        ImportJob.status: status,
        ImportJob.errors: errors,
        ImportJob.finished_at: datetime.now(UTC),
    }
    for key, value in values.items():
        update[getattr(ImportJob, key)] = value
    await ImportJob.update(update).where(ImportJob.id == job_id)
    _progress.pop(job_id, None)
