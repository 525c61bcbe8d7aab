"""The advanced overview ("Erweiterte Übersicht"): charge points with their station and location.

``OverviewQuery`` describes filters, sort, page and columns; ``build_sql`` turns it into one SQL
statement over whitelisted columns with bound parameters only, so user input never becomes SQL text.
Filters, sort and columns are remembered per user (``UserPreference`` key ``overview``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from decimal import Decimal, InvalidOperation
from typing import Any

from core.db import is_postgres, lower_sql
from core.infrastructure.evse_status import effective_status_sql
from core.infrastructure.specs import CONNECTOR_STANDARDS, OCPP_VERSIONS, STATUS_GROUPS, EvseStatus
from core.infrastructure.tables import ChargePoint
from core.tenancy import preferences
from core.tenancy.actor import Actor
from core.tenancy.permissions import Permission

PREFERENCE_KEY = "overview"
PAGE_SIZES = (25, 50, 100, 200)
DEFAULT_PAGE_SIZE = 50
MAX_SEARCH_TERMS = 50


@dataclass(frozen=True)
class Column:
    key: str
    label: str  # msgid
    sql: str  # expression over the aliases cp (charge_point), s (charging_station), l (location)
    sortable: bool = True


# Order here is the order on the page and in the column chooser.
COLUMNS: tuple[Column, ...] = (
    Column("evse_id", "EVSE-ID", "cp.evse_id"),
    Column("evse_number", "Charge point number", "cp.evse_number"),
    Column("charge_box_id", "Charge box id", "s.charge_box_id"),
    Column("station_name", "Station name", "s.name"),
    Column("postal_code", "Postal code", "l.postal_code"),
    Column("city", "City", "l.city"),
    Column("address", "Address", "l.address"),
    Column("country", "Country", "l.country"),
    # What the charge point really is (station status and connection included); the detail is what it reported.
    Column("status", "Status", effective_status_sql()),
    Column("status_detail", "Status detail", "cp.status_detail"),
    Column("error_rate", "Error rate", "cp.error_rate"),
    Column("vendor", "Vendor", "s.vendor"),
    Column("model", "Model", "s.model"),
    Column("firmware_version", "Firmware version", "s.firmware_version"),
    Column("ocpp_version", "Protocol", "s.ocpp_version"),
    Column("power_type", "AC/DC", "cp.power_type"),
    Column("max_power_kw", "Max. power (kW)", "cp.max_power_kw"),
    Column("connector_standards", "Connector types", "cp.connector_standards"),
    Column("auth_types", "Authorisation types", "cp.auth_local_rfid", sortable=False),
    Column("connected", "Connected", "s.connected"),
    Column("last_heartbeat_at", "Last heartbeat", "s.last_heartbeat_at"),
)
COLUMNS_BY_KEY = {c.key: c for c in COLUMNS}
DEFAULT_COLUMNS = (
    "evse_id",
    "charge_box_id",
    "postal_code",
    "city",
    "address",
    "status",
    "status_detail",
    "error_rate",
    "model",
)
DEFAULT_SORT = "evse_id"

AUTH_TYPES: dict[str, tuple[str, str]] = {
    "rfid": ("Local RFID", "cp.auth_local_rfid"),
    "remote": ("Remote", "cp.auth_remote"),
    "direct_payment": ("Direct Payment", "cp.auth_direct_payment"),
}
POWER_FILTERS = ("AC", "DC")
_STATUS_VALUES = frozenset(EvseStatus)

# What the SELECT returns: every column's expression plus what rows link to.
_SELECT = ", ".join(
    [
        "cp.id AS id",
        "cp.station AS station_id",
        "s.location AS location_id",
        "cp.auth_remote AS auth_remote",
        "cp.auth_direct_payment AS auth_direct_payment",
    ]
    + [f"{c.sql} AS {c.key if c.key != 'auth_types' else 'auth_local_rfid'}" for c in COLUMNS]
)
_FROM = "charge_point cp JOIN charging_station s ON s.id = cp.station JOIN location l ON l.id = s.location"


@dataclass(frozen=True)
class OverviewQuery:
    country: str = ""
    city: str = ""  # city or postal code
    street: str = ""
    status: tuple[str, ...] = ()  # EvseStatus values or STATUS_GROUPS keys
    firmware: str = ""
    connector: str = ""
    protocol: str = ""
    power: str = ""  # AC | DC
    auth: tuple[str, ...] = ()  # AUTH_TYPES keys
    vendor: str = ""
    model: str = ""
    min_error_rate: Decimal | None = None
    search: str = ""
    sort: str = DEFAULT_SORT
    descending: bool = False
    page: int = 1
    per_page: int = DEFAULT_PAGE_SIZE
    columns: tuple[str, ...] = field(default=DEFAULT_COLUMNS)

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    def statuses(self) -> list[str]:
        """Group keys (dashboard tiles) expanded to EVSE statuses."""
        result: list[str] = []
        for item in self.status:
            values = STATUS_GROUPS[item][1] if item in STATUS_GROUPS else (item,)
            result.extend(v for v in values if v not in result)
        return result

    def search_terms(self) -> list[str]:
        """Several ids at once, separated by comma or semicolon (vaylens "magic search")."""
        terms = [t.strip() for t in re.split(r"[,;]", self.search) if t.strip()]
        return terms[:MAX_SEARCH_TERMS]

    def has_filters(self) -> bool:
        return any(
            [self.country, self.city, self.street, self.status, self.firmware, self.connector, self.protocol,
             self.power, self.auth, self.vendor, self.model, self.min_error_rate is not None, self.search]
        )  # fmt: skip

    def to_params(self) -> dict[str, Any]:
        """The query as URL/form parameters (lists for repeated keys); also what preferences store."""
        params: dict[str, Any] = {}
        for key in ("country", "city", "street", "firmware", "connector", "protocol", "power", "vendor", "model"):
            value = getattr(self, key)
            if value:
                params[key] = value
        if self.status:
            params["status"] = list(self.status)
        if self.auth:
            params["auth"] = list(self.auth)
        if self.min_error_rate is not None:
            params["min_error"] = str(self.min_error_rate)
        if self.search:
            params["q"] = self.search
        params["sort"] = self.sort
        params["dir"] = "desc" if self.descending else "asc"
        params["per_page"] = self.per_page
        params["col"] = list(self.columns)
        return params

    def preference(self) -> dict[str, Any]:
        data = self.to_params()
        data.pop("page", None)
        return data


def _one(params: Mapping[str, Any], key: str, limit: int = 100) -> str:
    value = params.get(key)
    if isinstance(value, list | tuple):
        value = value[0] if value else ""
    return str(value or "").strip()[:limit]


def _many(params: Mapping[str, Any], key: str) -> list[str]:
    value = params.get(key)
    if value is None:
        return []
    items = value if isinstance(value, list | tuple) else [value]
    return [str(item).strip() for item in items if str(item).strip()]


def _int(text: str, default: int) -> int:
    try:
        return int(text)
    except ValueError:
        return default


def parse_query(params: Mapping[str, Any]) -> OverviewQuery:
    """From URL/form parameters or a stored preference; anything unknown is dropped, never trusted."""
    sort_by = _one(params, "sort_by")  # a header click: "column:asc|desc"
    sort, _, direction = sort_by.partition(":") if sort_by else (_one(params, "sort"), "", _one(params, "dir"))
    column = COLUMNS_BY_KEY.get(sort)
    if column is None or not column.sortable:
        sort = DEFAULT_SORT
    columns = tuple(c for c in _many(params, "col") if c in COLUMNS_BY_KEY) or DEFAULT_COLUMNS
    min_error: Decimal | None = None
    if raw_error := _one(params, "min_error").replace(",", "."):
        try:
            min_error = Decimal(raw_error)
        except InvalidOperation:
            min_error = None
        if min_error is not None and not (min_error.is_finite() and 0 <= min_error <= 100):
            min_error = None
    per_page = _int(_one(params, "per_page"), DEFAULT_PAGE_SIZE)
    power = _one(params, "power").upper()
    protocol = _one(params, "protocol")
    connector = _one(params, "connector")
    return OverviewQuery(
        country=_one(params, "country", 3).upper(),
        city=_one(params, "city", 45),
        street=_one(params, "street", 45),
        status=tuple(s for s in _many(params, "status") if s in STATUS_GROUPS or s in _STATUS_VALUES),
        firmware=_one(params, "firmware", 50),
        connector=connector if connector in CONNECTOR_STANDARDS else "",
        protocol=protocol if protocol in OCPP_VERSIONS else "",
        power=power if power in POWER_FILTERS else "",
        auth=tuple(a for a in _many(params, "auth") if a in AUTH_TYPES),
        vendor=_one(params, "vendor", 50),
        model=_one(params, "model", 50),
        min_error_rate=min_error,
        search=_one(params, "q", 2000),
        sort=sort,
        descending=direction == "desc",
        page=max(1, _int(_one(params, "page"), 1)),
        per_page=per_page if per_page in PAGE_SIZES else DEFAULT_PAGE_SIZE,
        columns=columns,
    )


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class _Where:
    """Collects conditions with ``{}`` placeholders (Piccolo's raw query syntax) and their values."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.args: list[Any] = []

    def add(self, sql: str, *args: Any) -> None:
        self.parts.append(sql)
        self.args.extend(args)

    def sql(self) -> str:
        return " AND ".join(self.parts)


def _fold(expr: str, postgres: bool) -> str:
    """Lower-cased and, on PostgreSQL, byte-ordered so that prefix ranges use the expression indexes."""
    return f'{lower_sql(expr, postgres)} COLLATE "C"' if postgres else lower_sql(expr, postgres)


def _bytes(expr: str, postgres: bool) -> str:
    return f'{expr} COLLATE "C"' if postgres else expr


def _prefix_range(expr: str, terms: list[str]) -> tuple[str, list[Any]]:
    """``expr`` starts with one of ``terms``, as an index range (LIKE 'x%' cannot use them on both databases)."""
    parts = " OR ".join(f"({expr} >= {{}} AND {expr} < {{}})" for _ in terms)
    args: list[Any] = []
    for term in terms:
        args.extend([term, term + _TOP])
    return f"({parts})", args


_TOP = "\U0010ffff"  # sorts after every character, so [term, term + _TOP) is "starts with term"
_ALIAS = re.compile(r"\b([sl])\.")


def build_where(actor: Actor, q: OverviewQuery, *, postgres: bool = False) -> _Where:
    """Conditions over cp/s/l; text filters match from the start of a value (city, postal code, ids)."""
    where = _Where()
    scope = actor.scope
    where.add(f"cp.tenant IN ({', '.join('{}' for _ in scope)})", *scope)
    where.add("cp.decommissioned_at IS NULL")
    if q.country:
        where.add("l.country = {}", q.country)
    if q.city:
        city_sql, city_args = _prefix_range(_fold("l.city", postgres), [q.city.lower()])
        code_sql, code_args = _prefix_range(_bytes("l.postal_code", postgres), [q.city])
        where.add(f"({city_sql} OR {code_sql})", *city_args, *code_args)
    if q.street:
        street = "%" + _like_escape(q.street.lower()) + "%"
        where.add(f"{lower_sql('l.address', postgres)} LIKE {{}} ESCAPE '\\'", street)
    if statuses := q.statuses():
        where.add(f"{effective_status_sql()} IN ({', '.join('{}' for _ in statuses)})", *statuses)
    if q.firmware:
        where.add("s.firmware_version = {}", q.firmware)
    if q.connector:
        # connector_standards is "|"-joined; wrapping it in "|" makes the match exact per standard.
        where.add("('|' || cp.connector_standards || '|') LIKE {} ESCAPE '\\'", "%|" + _like_escape(q.connector) + "|%")
    if q.protocol:
        where.add("s.ocpp_version = {}", q.protocol)
    if q.power == "DC":
        where.add("cp.power_type = {}", "DC")
    elif q.power == "AC":
        where.add("cp.power_type <> {}", "DC")
    for key in q.auth:
        where.add(f"{AUTH_TYPES[key][1]} = {{}}", True)
    if q.vendor:
        where.add("s.vendor = {}", q.vendor)
    if q.model:
        where.add("s.model = {}", q.model)
    if q.min_error_rate is not None:
        where.add("cp.error_rate >= {}", q.min_error_rate)
    if terms := [t.lower() for t in q.search_terms()]:
        # One id set per table, united, so that each part uses its own index instead of scanning the join.
        evse, evse_args = _prefix_range(_fold("c1.evse_id", postgres), terms)
        box, box_args = _prefix_range(_fold("s2.charge_box_id", postgres), terms)
        sname, sname_args = _prefix_range(_fold("s2.name", postgres), terms)
        lname, lname_args = _prefix_range(_fold("l3.name", postgres), terms)
        lcity, lcity_args = _prefix_range(_fold("l3.city", postgres), terms)
        where.add(
            "cp.id IN ("
            f"SELECT c1.id FROM charge_point c1 WHERE {evse} "
            "UNION SELECT c2.id FROM charge_point c2 JOIN charging_station s2 ON s2.id = c2.station "
            f"WHERE {box} OR {sname} "
            "UNION SELECT c3.id FROM charge_point c3 JOIN charging_station s3 ON s3.id = c3.station "
            f"JOIN location l3 ON l3.id = s3.location WHERE {lname} OR {lcity})",
            *evse_args, *box_args, *sname_args, *lname_args, *lcity_args,
        )  # fmt: skip
    return where


def _tables(*sql: str) -> str:
    """Only the joins the given SQL needs: every charge point has exactly one station and one location."""
    used = set(_ALIAS.findall(" ".join(sql)))
    tables = "charge_point cp"
    if used:
        tables += " JOIN charging_station s ON s.id = cp.station"
    if "l" in used:
        tables += " JOIN location l ON l.id = s.location"
    return tables


def build_sql(actor: Actor, q: OverviewQuery, *, postgres: bool = False) -> tuple[str, list[Any]]:
    """The page's SELECT: only whitelisted expressions are ever placed in the SQL text.

    The page's ids are found first with only the joins that filters and sort need, so that a deep
    OFFSET walks one index instead of the three-table join; then those 50 rows are joined for display.
    """
    where = build_where(actor, q, postgres=postgres)
    column = COLUMNS_BY_KEY[q.sort] if q.sort in COLUMNS_BY_KEY else COLUMNS_BY_KEY[DEFAULT_SORT]
    direction = "DESC" if q.descending else "ASC"
    # The id makes paging stable; a plain (column, id) order lets the composite indexes serve both directions.
    order = f"{column.sql} {direction}, cp.id {direction}"
    page_ids = (
        f"SELECT cp.id FROM {_tables(where.sql(), column.sql)} WHERE {where.sql()} ORDER BY {order} "
        f"LIMIT {int(q.per_page)} OFFSET {int(q.offset)}"
    )
    return f"SELECT {_SELECT} FROM {_FROM} WHERE cp.id IN ({page_ids}) ORDER BY {order}", where.args


def build_count_sql(actor: Actor, q: OverviewQuery, *, postgres: bool = False) -> tuple[str, list[Any]]:
    where = build_where(actor, q, postgres=postgres)
    return f"SELECT COUNT(*) AS n FROM {_tables(where.sql())} WHERE {where.sql()}", where.args


async def rows(actor: Actor, q: OverviewQuery) -> list[dict[str, Any]]:
    actor.require(Permission.INFRASTRUCTURE_VIEW)
    sql, args = build_sql(actor, q, postgres=is_postgres())
    result = await ChargePoint.raw(sql, *args)
    for row in result:
        row["auth_types"] = [key for key, (_, expr) in AUTH_TYPES.items() if row.get(expr.removeprefix("cp."))]
        for key in ("connected", "auth_local_rfid", "auth_remote", "auth_direct_payment"):
            row[key] = bool(row.get(key))
        if row.get("error_rate") is not None:
            row["error_rate"] = Decimal(str(row["error_rate"]))
        if row.get("max_power_kw") is not None:
            row["max_power_kw"] = Decimal(str(row["max_power_kw"]))
    return result


async def count(actor: Actor, q: OverviewQuery) -> int:
    actor.require(Permission.INFRASTRUCTURE_VIEW)
    sql, args = build_count_sql(actor, q, postgres=is_postgres())
    result = await ChargePoint.raw(sql, *args)
    return int(result[0]["n"]) if result else 0


async def matching_ids(actor: Actor, q: OverviewQuery, limit: int) -> list[int]:
    """Every charge point the overview shows for ``q`` (no paging), at most ``limit``, by id."""
    actor.require(Permission.INFRASTRUCTURE_VIEW)
    where = build_where(actor, q, postgres=is_postgres())
    sql = f"SELECT cp.id FROM {_tables(where.sql())} WHERE {where.sql()} ORDER BY cp.id LIMIT {int(limit)}"
    return [int(r["id"]) for r in await ChargePoint.raw(sql, *where.args)]


async def filter_options(actor: Actor) -> dict[str, list[str]]:
    """Values for the select boxes: what the tenant's stations and locations actually have."""
    actor.require(Permission.INFRASTRUCTURE_VIEW)
    scope = actor.scope
    marks = ", ".join("{}" for _ in scope)
    options: dict[str, list[str]] = {}
    for key, sql in (
        ("vendor", f"SELECT DISTINCT vendor AS v FROM charging_station WHERE tenant IN ({marks})"),
        ("model", f"SELECT DISTINCT model AS v FROM charging_station WHERE tenant IN ({marks})"),
        ("firmware", f"SELECT DISTINCT firmware_version AS v FROM charging_station WHERE tenant IN ({marks})"),
        ("country", f"SELECT DISTINCT country AS v FROM location WHERE tenant IN ({marks})"),
    ):
        result = await ChargePoint.raw(sql, *scope)
        options[key] = sorted(str(r["v"]) for r in result if r["v"])
    return options


async def load_preference(actor: Actor) -> OverviewQuery | None:
    value = await preferences.load(actor, PREFERENCE_KEY)
    return parse_query(value) if isinstance(value, dict) else None


async def save_preference(actor: Actor, q: OverviewQuery) -> None:
    await preferences.save(actor, PREFERENCE_KEY, q.preference())


def reset_filters(q: OverviewQuery) -> OverviewQuery:
    """Keeps the chosen columns and sort, drops every filter."""
    return OverviewQuery(sort=q.sort, descending=q.descending, per_page=q.per_page, columns=q.columns)


def reset_columns(q: OverviewQuery) -> OverviewQuery:
    return replace(q, columns=DEFAULT_COLUMNS, page=1)


def as_dict(q: OverviewQuery) -> dict[str, Any]:
    return asdict(q)
