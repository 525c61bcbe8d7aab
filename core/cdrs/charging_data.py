"""The "Ladedaten" query: CDRs and running sessions listed, filtered, summed, charted and exported.

One SQL statement over whitelisted columns with bound parameters serves the page, its sums and charts, the
streamed CSV export and the REST API.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from core.cdrs.building import AUTH_SOURCES, CdrStatus
from core.cdrs.tables import Cdr
from core.charging.meter_values import session_sampled_values
from core.charging.sessions import OPEN_STATUSES
from core.charging.tables import ChargingSession
from core.db import is_postgres, lower_sql
from core.eichrecht import ocmf
from core.errors import NotFound
from core.infrastructure.overview import _TOP, _like_escape, _one  # the overview's parameter and text-prefix helpers
from core.tenancy.actor import Actor
from core.tenancy.permissions import Permission

PAGE_SIZES = (25, 50, 100, 200)
DEFAULT_PAGE_SIZE = 50
SORTS = ("start_date_time", "end_date_time", "total_energy", "total_time", "evse_id", "charge_box_id",
         "session_id", "auth_source", "status", "total_cost_incl_vat")  # fmt: skip
DISPLAY_TZ = "Europe/Berlin"
DEFAULT_PERIOD_DAYS = 30


@dataclass(frozen=True)
class CdrQuery:
    country: str = ""
    city: str = ""  # city or postal code, from the start
    street: str = ""
    eichrecht: str = ""  # "yes" | "no"
    signature: str = ""  # core.eichrecht.ocmf.SignatureStatus of the signed data
    power: str = ""  # AC | DC
    auth: str = ""  # AuthSource
    date_from: date | None = None
    date_to: date | None = None  # inclusive
    status: str = ""  # CdrStatus
    currency: str = ""
    partner: int | None = None  # a roaming partner whose tokens charged (core.roaming.tables.Partner id)
    current_only: bool = False  # only each session's current CDR (no credit CDRs, no CDRs a correction replaced)
    sort: str = "start_date_time"
    descending: bool = True
    page: int = 1
    per_page: int = DEFAULT_PAGE_SIZE

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    def to_params(self) -> dict[str, Any]:
        params: dict[str, Any] = {}
        for key in ("country", "city", "street", "eichrecht", "signature", "power", "auth", "status", "currency"):
            if value := getattr(self, key):
                params[key] = value
        if self.partner is not None:
            params["partner"] = self.partner
        if self.date_from:
            params["from"] = self.date_from.isoformat()
        if self.date_to:
            params["to"] = self.date_to.isoformat()
        params["sort"] = self.sort
        params["dir"] = "desc" if self.descending else "asc"
        if self.per_page != DEFAULT_PAGE_SIZE:
            params["per_page"] = self.per_page
        return params


def _date(text: str) -> date | None:
    """ISO or German date; years outside 1900-2999 are ignored (they would overflow in time zone arithmetic)."""
    parsed = None
    with contextlib.suppress(ValueError):
        parsed = date.fromisoformat(text)
    if parsed is None:
        with contextlib.suppress(ValueError):
            parsed = datetime.strptime(text, "%d.%m.%Y").date()
    return parsed if parsed is not None and 1900 <= parsed.year <= 2999 else None


def parse_query(params: Mapping[str, Any]) -> CdrQuery:
    """From URL parameters; anything unknown is dropped, never trusted."""

    def pick(key: str, allowed: tuple[str, ...], upper: bool = True) -> str:
        value = _one(params, key)
        value = value.upper() if upper else value.lower()
        return value if value in allowed else ""

    sort = _one(params, "sort")
    per_page = _one(params, "per_page")
    page = _one(params, "page")
    currency = _one(params, "currency", 3).upper()
    partner = _one(params, "partner", 10)
    return CdrQuery(
        country=_one(params, "country", 3).upper(),
        city=_one(params, "city", 45),
        street=_one(params, "street", 45),
        eichrecht=pick("eichrecht", ("yes", "no"), upper=False),
        signature=pick("signature", tuple(ocmf.SignatureStatus)),
        power=pick("power", ("AC", "DC")),
        auth=pick("auth", AUTH_SOURCES),
        date_from=_date(_one(params, "from", 10)),
        date_to=_date(_one(params, "to", 10)),
        status=pick("status", tuple(CdrStatus)),
        currency=currency if re.fullmatch(r"[A-Z]{3}", currency) else "",
        partner=int(partner) if partner.isdigit() else None,
        sort=sort if sort in SORTS else "start_date_time",
        descending=_one(params, "dir") != "asc",
        page=max(1, int(page)) if page.isdigit() and len(page) < 7 else 1,
        per_page=int(per_page) if per_page.isdigit() and int(per_page) in PAGE_SIZES else DEFAULT_PAGE_SIZE,
    )


def default_period(q: CdrQuery, today: date | None = None) -> CdrQuery:
    """The page opens on the last 30 days, as the seed's "Zeitraum: Letzte 30 Tage"."""
    today = today or datetime.now(ZoneInfo(DISPLAY_TZ)).date()
    return replace(q, date_from=today - timedelta(days=DEFAULT_PERIOD_DAYS - 1), date_to=today)


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(DISPLAY_TZ)).astimezone(UTC)


# One row shape for CDRs and running sessions. A session is either running or has CDRs: one, or after corrections
# also credit CDRs and new ones; (session_id, cdr_id) is unique over both. ``sign`` is -1 on a credit CDR: its money
# is stored negative already (OCPI), its energy and its count cancel those of the CDR it credits in sums and charts.
_CDR_BRANCH = {
    "session_id": "c.session", "cdr_id": "c.id", "tenant": "c.tenant", "evse_id": "c.evse_id",
    "charge_box_id": "c.charge_box_id", "country": "c.country", "city": "c.city", "postal_code": "c.postal_code",
    "address": "c.address", "start_date_time": "c.start_date_time", "end_date_time": "c.end_date_time",
    "total_energy": "c.total_energy", "total_time": "c.total_time", "total_parking_time": "c.total_parking_time",
    "auth_source": "c.auth_source", "token_uid": "c.token_uid", "status": "c.status",
    "eichrecht_compliant": "c.eichrecht_compliant", "signed": "(c.signed_data IS NOT NULL)",
    "signature_status": "c.signature_status",
    "power_type": "c.power_type", "currency": "c.currency", "total_cost_excl_vat": "c.total_cost_excl_vat",
    "total_vat": "c.total_vat", "total_cost_incl_vat": "c.total_cost_incl_vat", "billable": "c.billable",
    "tariff_code": "c.tariff_code", "roaming_partner_id": "c.roaming_partner_id",
    "roaming_contract_id": "c.roaming_contract_id", "credit": "c.credit",
    "credit_reference_id": "c.credit_reference_id", "corrects_cdr_id": "c.corrects_cdr_id",
    "credited": "EXISTS (SELECT 1 FROM cdr k WHERE k.credit_reference_id = c.id)",
    "sign": "CASE WHEN c.credit THEN -1 ELSE 1 END",
}  # fmt: skip
_ACTIVE_BRANCH = {
    "session_id": "s.id", "cdr_id": "CAST(NULL AS INTEGER)", "tenant": "s.tenant",
    "evse_id": "COALESCE(cp.evse_id, '')",
    "charge_box_id": "st.charge_box_id", "country": "l.country", "city": "l.city", "postal_code": "l.postal_code",
    "address": "l.address", "start_date_time": "s.started_at", "end_date_time": "CAST(NULL AS TIMESTAMPTZ)",
    "total_energy": "s.energy_wh / 1000.0", "total_time": "CAST(NULL AS NUMERIC)",
    "total_parking_time": "CAST(NULL AS NUMERIC)",
    "auth_source": "s.auth_source", "token_uid": "s.id_tag", "status": "'ACTIVE'",
    "eichrecht_compliant": "COALESCE(cp.eichrecht_compliant, FALSE)", "signed": "FALSE", "signature_status": "''",
    "power_type": "CASE WHEN cp.power_type = 'DC' THEN 'DC' ELSE 'AC' END", "currency": "''",
    "total_cost_excl_vat": "CAST(NULL AS NUMERIC)", "total_vat": "CAST(NULL AS NUMERIC)",
    "total_cost_incl_vat": "CAST(NULL AS NUMERIC)", "billable": "TRUE",
    "tariff_code": "''", "roaming_partner_id": "s.roaming_partner_id", "roaming_contract_id": "s.roaming_contract_id",
    "credit": "FALSE", "credit_reference_id": "CAST(NULL AS INTEGER)", "corrects_cdr_id": "CAST(NULL AS INTEGER)",
    "credited": "FALSE", "sign": "1",
}  # fmt: skip
_CDR_FROM = "cdr c"
_ACTIVE_FROM = (
    "charging_session s JOIN charging_station st ON st.id = s.station JOIN location l ON l.id = st.location "
    "LEFT JOIN charge_point cp ON cp.id = s.charge_point"
)


@dataclass(frozen=True)
class _Shape:
    """What a query takes from each branch: which columns, and optionally an order, a limit and a keyset start."""

    keys: tuple[str, ...] = tuple(_CDR_BRANCH)
    order: tuple[str, bool] | None = None  # (column, descending)
    limit: int | None = None
    after: tuple[Any, Any, Any] | None = None  # (start_date_time, session_id, cdr_id) of the last row already read
    as_text: bool = False  # the database formats times, decimals and flags as the CSV text (plus key_start)


# How the CSV writes a column when the database formats it (as_text): decimals with fixed places, UTC times.
TEXT_DECIMALS = {"total_energy": 3, "total_time": 6, "total_parking_time": 6, "total_cost_excl_vat": 2,
                  "total_vat": 2, "total_cost_incl_vat": 2}  # fmt: skip
TEXT_FLAGS = ("eichrecht_compliant", "signed", "billable")
TEXT_TIMES = ("start_date_time", "end_date_time")


def _as_text(key: str, expr: str, postgres: bool) -> str:
    if key in TEXT_TIMES:
        if postgres:
            return f"""to_char({expr} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')"""
        return f"strftime('%Y-%m-%dT%H:%M:%SZ', {expr})"
    if key in TEXT_DECIMALS:
        places = TEXT_DECIMALS[key]
        if postgres:
            return f"CAST(ROUND(CAST({expr} AS NUMERIC), {places}) AS TEXT)"
        return f"CASE WHEN {expr} IS NULL THEN NULL ELSE printf('%.{places}f', {expr}) END"
    if key in TEXT_FLAGS:
        return f"CASE WHEN {expr} THEN 'true' ELSE 'false' END"
    return expr


def _branch(
    actor: Actor, q: CdrQuery, cols: dict[str, str], tables: str, active: bool, shape: _Shape
) -> tuple[str, list[Any]]:
    parts: list[str] = []
    args: list[Any] = []

    def add(sql: str, *values: Any) -> None:
        parts.append(sql)
        args.extend(values)

    scope = actor.scope
    add(f"{cols['tenant']} IN ({', '.join('{}' for _ in scope)})", *scope)
    if active:
        statuses = [s.value for s in OPEN_STATUSES]
        add(f"s.status IN ({', '.join('{}' for _ in statuses)})", *statuses)
    else:
        if q.status:
            add("c.status = {}", q.status)
        if q.current_only:
            add(f"NOT c.credit AND NOT {cols['credited']}")
    if q.country:
        add(f"{cols['country']} = {{}}", q.country)
    if q.city:
        city, folded = q.city.lower(), lower_sql(cols["city"], is_postgres())
        add(f"(({folded} >= {{}} AND {folded} < {{}}) OR "
            f"({cols['postal_code']} >= {{}} AND {cols['postal_code']} < {{}}))",
            city, city + _TOP, q.city, q.city + _TOP)  # fmt: skip
    if q.street:
        street = lower_sql(cols["address"], is_postgres())
        add(f"{street} LIKE {{}} ESCAPE '\\'", "%" + _like_escape(q.street.lower()) + "%")
    if q.eichrecht:
        add(f"{cols['eichrecht_compliant']} = {{}}", q.eichrecht == "yes")
    if q.signature:
        add(f"{cols['signature_status']} = {{}}", q.signature)
    if q.power:
        add(f"{cols['power_type']} = {{}}", q.power)
    if q.auth:
        add(f"{cols['auth_source']} = {{}}", q.auth)
    start = cols["start_date_time"]
    if q.date_from:
        add(f"{start} >= {{}}", _day_start(q.date_from))
    if q.date_to and shape.after is None:  # the keyset row already lies before the end of the period
        add(f"{start} < {{}}", _day_start(q.date_to + timedelta(days=1)))
    if q.currency:
        add(f"{cols['currency']} = {{}}", q.currency)
    if q.partner is not None:
        add(f"{cols['roaming_partner_id']} = {{}}", q.partner)
    if shape.after is not None:
        # "before the last row" in (start, session, cdr) order, written so that the start index serves it (a running
        # session has no CDR: its cdr_id is NULL, and no other row shares its start and session)
        session, cdr = cols["session_id"], cols["cdr_id"]
        at, last_session, last_cdr = shape.after
        add(f"{start} <= {{}} AND ({start} < {{}} OR {session} < {{}} OR ({session} = {{}} AND {cdr} < {{}}))",
            at, at, last_session, last_session, last_cdr)  # fmt: skip
    if shape.as_text:
        postgres = is_postgres()
        select = ", ".join([f"{_as_text(key, cols[key], postgres)} AS {key}" for key in shape.keys]
                           + [f"{cols['start_date_time']} AS key_start"])  # fmt: skip
    else:
        select = ", ".join(f"{cols[key]} AS {key}" for key in shape.keys)
    if active and not is_postgres():
        # SQLite would walk the start-time index (or the whole table) of all sessions to find the few running
        # ones; the status index finds them directly. PostgreSQL decides this well by its statistics.
        tables = tables.replace("charging_session s ", "charging_session s INDEXED BY charging_session_status ", 1)
    sql = f"SELECT {select} FROM {tables} WHERE {' AND '.join(parts)}"
    if shape.order is not None:
        column, descending = shape.order
        direction = "DESC" if descending else "ASC"
        order_by = start if column == "start_date_time" else cols[column]
        sql += f" ORDER BY {order_by} {direction}, {cols['session_id']} {direction}, {cols['cdr_id']} {direction}"
        if shape.limit is not None:
            sql = f"SELECT * FROM ({sql} LIMIT {int(shape.limit)}) b"
    return sql, args


def rows_sql(actor: Actor, q: CdrQuery, shape: _Shape | None = None) -> tuple[str, list[Any]]:
    """The filtered rows as one sub-select ``r`` (CDRs, plus running sessions unless filtered out).

    Each branch filters (and, for pages and export batches, orders and limits) on its own, so that it walks
    its own indexes; the outer query only merges at most ``limit`` rows per branch.
    """
    shape = shape or _Shape()
    branches = []
    if q.status != CdrStatus.ACTIVE.value:
        branches.append(_branch(actor, q, _CDR_BRANCH, _CDR_FROM, False, shape))
    if q.status in ("", CdrStatus.ACTIVE.value) and not q.currency:
        branches.append(_branch(actor, q, _ACTIVE_BRANCH, _ACTIVE_FROM, True, shape))
    sql = " UNION ALL ".join(b[0] for b in branches)
    return f"({sql}) r", [a for b in branches for a in b[1]]


def _order(q: CdrQuery) -> str:
    direction = "DESC" if q.descending else "ASC"
    return f"r.{q.sort} {direction}, r.session_id {direction}, r.cdr_id {direction}"


_DECIMALS = {"total_energy": "0.001", "total_time": "0.000001", "total_parking_time": "0.000001",
             "total_cost_excl_vat": "0.01", "total_vat": "0.01", "total_cost_incl_vat": "0.01"}  # fmt: skip


def _as_datetime(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    parsed = datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _clean(row: dict[str, Any]) -> dict[str, Any]:
    """One value type per column on both databases (SQLite gives text and floats out of a UNION)."""
    for key, exponent in _DECIMALS.items():
        if row.get(key) is not None:
            row[key] = Decimal(str(row[key])).quantize(Decimal(exponent))
    for key in ("start_date_time", "end_date_time"):
        row[key] = _as_datetime(row.get(key))
    for key in ("eichrecht_compliant", "signed", "billable", "credit", "credited"):
        row[key] = bool(row.get(key))
    row.pop("sign", None)
    return row


async def list_rows(actor: Actor, q: CdrQuery) -> list[dict[str, Any]]:
    actor.require(Permission.SESSIONS_VIEW)
    shape = _Shape(order=(q.sort, q.descending), limit=q.offset + q.per_page)
    source, args = rows_sql(actor, q, shape)
    sql = f"SELECT * FROM {source} ORDER BY {_order(q)} LIMIT {int(q.per_page)} OFFSET {int(q.offset)}"
    return [_clean(row) for row in await Cdr.raw(sql, *args)]


async def count(actor: Actor, q: CdrQuery) -> int:
    actor.require(Permission.SESSIONS_VIEW)
    source, args = rows_sql(actor, q, _Shape(keys=("session_id",)))
    result = await Cdr.raw(f"SELECT COUNT(*) AS n FROM {source}", *args)
    return int(result[0]["n"]) if result else 0


async def sums(actor: Actor, q: CdrQuery) -> list[dict[str, Any]]:
    """Energy and revenue of the filtered rows, per currency (running sessions have none: currency ""). A credit CDR
    cancels the CDR it credits (its amounts are negative, its energy and count subtract): a corrected session counts
    once, with its new CDR's values."""
    actor.require(Permission.SESSIONS_VIEW)
    keys = ("currency", "total_energy", "total_cost_excl_vat", "total_vat", "total_cost_incl_vat", "sign")
    source, args = rows_sql(actor, q, _Shape(keys=keys))
    result = await Cdr.raw(
        "SELECT r.currency AS currency, SUM(r.sign) AS sessions, SUM(r.total_energy * r.sign) AS total_energy, "
        "SUM(r.total_cost_excl_vat) AS total_cost_excl_vat, SUM(r.total_vat) AS total_vat, "
        f"SUM(r.total_cost_incl_vat) AS total_cost_incl_vat FROM {source} GROUP BY r.currency ORDER BY r.currency",
        *args,
    )
    for row in result:
        row["sessions"] = int(row["sessions"])
        for key in ("total_energy", "total_cost_excl_vat", "total_vat", "total_cost_incl_vat"):
            row[key] = Decimal(str(row[key] or 0)).quantize(Decimal(_DECIMALS[key]))
    return list(result)


DURATION_BUCKETS: tuple[tuple[str, Decimal | None], ...] = (
    ("< 15 min", Decimal("0.25")),
    ("15–60 min", Decimal(1)),
    ("1–2 h", Decimal(2)),
    ("2–4 h", Decimal(4)),
    ("4–8 h", Decimal(8)),
    ("> 8 h", None),
)


async def chart_data(actor: Actor, q: CdrQuery) -> dict[str, list[tuple[str, Decimal]]]:
    """Energy per day (UTC days), sessions per auth source and per duration bucket, for the chart view (a credit CDR
    cancels the CDR it credits, as in ``sums``)."""
    actor.require(Permission.SESSIONS_VIEW)
    keys = ("start_date_time", "total_energy", "auth_source", "total_time", "sign")
    source, args = rows_sql(actor, q, _Shape(keys=keys))
    day = "substr(r.start_date_time, 1, 10)"  # SQLite keeps ISO text in UTC
    if is_postgres():
        day = "to_char(r.start_date_time AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
    per_day = await Cdr.raw(
        f"SELECT {day} AS day, SUM(r.total_energy * r.sign) AS energy FROM {source} GROUP BY {day} ORDER BY {day}",
        *args,
    )
    by_auth = await Cdr.raw(
        f"SELECT r.auth_source AS auth, SUM(r.sign) AS n FROM {source} GROUP BY r.auth_source ORDER BY r.auth_source",
        *args,
    )
    cases = " ".join(
        f"WHEN r.total_time < {limit} THEN {i}" for i, (_, limit) in enumerate(DURATION_BUCKETS) if limit is not None
    )
    by_duration = await Cdr.raw(
        f"SELECT CASE {cases} ELSE {len(DURATION_BUCKETS) - 1} END AS bucket, SUM(r.sign) AS n FROM {source} "
        "WHERE r.total_time IS NOT NULL GROUP BY bucket",
        *args,
    )
    counts = {int(row["bucket"]): int(row["n"]) for row in by_duration}
    return {
        "energy_per_day": [(str(r["day"]), Decimal(str(r["energy"] or 0)).quantize(Decimal("0.001"))) for r in per_day],
        "auth_sources": [(str(r["auth"]), Decimal(int(r["n"]))) for r in by_auth],
        "durations": [(label, Decimal(counts.get(i, 0))) for i, (label, _) in enumerate(DURATION_BUCKETS)],
    }


EXPORT_BATCH = 5000
EXPORT_COLUMNS = (
    "session_id", "cdr_id", "status", "evse_id", "charge_box_id", "country", "city", "postal_code", "address",
    "start_date_time", "end_date_time", "total_energy", "total_time", "total_parking_time", "power_type",
    "auth_source", "token_uid", "eichrecht_compliant", "signed", "signature_status", "tariff_code", "currency",
    "total_cost_excl_vat", "total_vat", "total_cost_incl_vat", "billable", "credit_reference_id", "corrects_cdr_id",
)  # fmt: skip


async def export_batches(actor: Actor, q: CdrQuery, batch: int = EXPORT_BATCH) -> AsyncIterator[list[tuple[Any, ...]]]:
    """Every filtered row as CSV values (``EXPORT_COLUMNS``), newest first, in batches by keyset (never OFFSET).

    The database formats times (ISO 8601, UTC), decimals (fixed places) and flags (true/false), so that 100,000
    rows cost no Python conversion per value; each batch walks the start-time index from where the last ended.
    """
    actor.require(Permission.SESSIONS_VIEW)
    width = len(EXPORT_COLUMNS)

    async def fetch(after: tuple[Any, Any, Any] | None) -> list[dict[str, Any]]:
        shape = _Shape(keys=EXPORT_COLUMNS, order=("start_date_time", True), limit=batch, after=after, as_text=True)
        source, args = rows_sql(actor, q, shape)
        sql = f"SELECT * FROM {source} ORDER BY r.key_start DESC, r.session_id DESC, r.cdr_id DESC LIMIT {int(batch)}"
        return list(await Cdr.raw(sql, *args))

    rows = await fetch(None)
    while rows:
        # The next batch is read while the caller writes this one.
        last = (rows[-1]["key_start"], rows[-1]["session_id"], rows[-1]["cdr_id"])
        ahead = asyncio.ensure_future(fetch(last)) if len(rows) == batch else None
        try:
            yield [tuple(row.values())[:width] for row in rows]
        except BaseException:
            if ahead is not None:
                ahead.cancel()
            raise
        rows = await ahead if ahead is not None else []


def _loaded(row: dict[str, Any], *keys: str) -> dict[str, Any]:
    for key in keys:
        if isinstance(row.get(key), str):
            row[key] = json.loads(row[key]) if row[key] else None
    return row


async def get_cdr(actor: Actor, cdr_id: int) -> dict[str, Any]:
    actor.require(Permission.SESSIONS_VIEW)
    row = await Cdr.select().where((Cdr.id == cdr_id) & Cdr.tenant.is_in(actor.scope)).output(load_json=True).first()
    if row is None:
        raise NotFound("cdr")
    # a corrected CDR: the credit CDR that cancels it and the new CDR that replaces it
    related = await Cdr.select(Cdr.id, Cdr.credit).where(
        Cdr.tenant.is_in(actor.scope) & ((Cdr.credit_reference_id == cdr_id) | (Cdr.corrects_cdr_id == cdr_id))
    )
    row["credited_by"] = next((r["id"] for r in related if r["credit"]), None)
    row["corrected_by"] = next((r["id"] for r in related if not r["credit"]), None)
    return _loaded(row, "tariff", "price_components", "signed_data", "signature_check", "flags")


async def session_meter_values(actor: Actor, session_id: int, limit: int = 2000) -> list[dict[str, Any]]:
    """The sampled values of one session of the actor's tenants (signed values verbatim), at most ``limit``
    MeterValues."""
    actor.require(Permission.SESSIONS_VIEW)
    owned = await ChargingSession.exists().where(
        (ChargingSession.id == session_id) & ChargingSession.tenant.is_in(actor.scope)
    )
    if not owned:
        raise NotFound("session")
    return await session_sampled_values(session_id, limit)


async def filter_options(actor: Actor) -> dict[str, list[str]]:
    """Countries and currencies the tenant's CDRs actually have, for the select boxes."""
    actor.require(Permission.SESSIONS_VIEW)
    marks = ", ".join("{}" for _ in actor.scope)
    options: dict[str, list[str]] = {}
    for key, sql in (
        ("country", f"SELECT DISTINCT country AS v FROM location WHERE tenant IN ({marks})"),
        ("currency", f"SELECT DISTINCT currency AS v FROM cdr WHERE tenant IN ({marks})"),
    ):
        options[key] = sorted(str(r["v"]) for r in await Cdr.raw(sql, *actor.scope) if r["v"])
    return options
