"""The OCPI exchange log: every request and response between csms and a partner, both directions.

The hub node records each exchange here (hub/transport.py for requests partners send csms, hub/client.py for csms's
own requests); the portal shows them per partner with filters and a CSV export. Payloads are kept for
``payload_days`` (setting OCPI_LOG_PAYLOAD_DAYS) and then emptied by ``prune`` (hourly by ``prune_expired``, which
the periodic work runs, or `csms roaming prune`); method, URL, status and timing stay as long as the partner.

Requests partners send are logged off the request path (``record_later``): buffered and written in batches within
OCPI_LOG_FLUSH_SECONDS, and at shutdown of `csms serve`. A node's own log reads write its buffer first; another
node's pages see an exchange up to that much later. A node that is killed (not stopped) loses at most that buffer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from core import bulk, db
from core.bulk import BufferedRows, storable_text
from core.charging.monitoring import PERIODS, since_of
from core.roaming.partners import get_partner, now
from core.roaming.tables import OcpiExchange, Partner
from core.settings import get_settings
from core.tenancy.actor import Actor

MAX_BODY = 64_000  # characters of a payload kept; a long location list is cut (marked) rather than stored whole
LOG_PAGE = 200
PRUNE_BATCH = 1000
ERROR_FILTER = "errors"


@dataclass(frozen=True)
class Exchange:
    partner: dict[str, Any]
    direction: str  # "in" | "out"
    method: str
    url: str
    module: str
    http_status: int
    ocpi_status: int | None
    duration_ms: int
    request_id: str = ""
    correlation_id: str = ""
    request_body: str = ""
    response_body: str = ""
    error: str = ""

    @property
    def succeeded(self) -> bool:
        return _succeeded(self.http_status, self.ocpi_status)


def _succeeded(http_status: int, ocpi_status: int | None) -> bool:
    return 200 <= http_status < 300 and (ocpi_status is None or 1000 <= ocpi_status < 2000)


def _cut(text: str) -> str:
    return storable_text(text if len(text) <= MAX_BODY else text[:MAX_BODY] + "\n[…]")


MARK_EVERY = timedelta(seconds=10)
BATCH = 500  # buffered exchanges written at once (record_later); at most OCPI_LOG_FLUSH_SECONDS after the first
COLUMNS = ("tenant", "partner", "direction", "method", "url", "module", "http_status", "ocpi_status", "duration_ms",
           "request_id", "correlation_id", "request_body", "response_body", "error", "created_at")  # fmt: skip
_DIRECTION, _PARTNER = COLUMNS.index("direction"), COLUMNS.index("partner")
_HTTP_STATUS, _OCPI_STATUS = COLUMNS.index("http_status"), COLUMNS.index("ocpi_status")


def _row(exchange: Exchange) -> tuple[Any, ...]:
    """The exchange's OcpiExchange values in COLUMNS order."""
    partner = exchange.partner
    return (
        partner["tenant"], partner["id"], exchange.direction, exchange.method, exchange.url[:1000],
        exchange.module[:20], exchange.http_status, exchange.ocpi_status, exchange.duration_ms,
        exchange.request_id[:64], exchange.correlation_id[:64], _cut(exchange.request_body),
        _cut(exchange.response_body), exchange.error[:300], now(),
    )  # fmt: skip


# A fixed statement: a run of pushes writes one row per request, and the ORM's INSERT cost more CPU than the row.
_NAMES = ", ".join(f'"{c}"' for c in COLUMNS)
_INSERT = f'INSERT INTO "{OcpiExchange._meta.tablename}" ({_NAMES}) VALUES (' + ", ".join("{}" for _ in COLUMNS) + ")"  # noqa: S608


async def record(exchange: Exchange) -> None:
    """One exchange, written before this returns; a successful one also marks the partner's last successful pull
    (they asked csms) or push (csms sent them something other than a GET)."""
    await bulk.execute(_INSERT, *_row(exchange))
    if _marks_partner(exchange):
        await _mark(exchange.partner["id"], exchange.direction)


def _marks_partner(exchange: Exchange) -> bool:
    """Whether the exchange is a successful pull (the partner asked csms) or push (csms sent it other than a GET)."""
    return exchange.succeeded and not (exchange.direction == "out" and exchange.method == "GET")


async def record_all(exchanges: list[Exchange]) -> None:
    """``record`` for many exchanges at once (a run of pushes): one write for all of them."""
    if not exchanges:
        return
    await bulk.insert_rows(OcpiExchange, COLUMNS, [_row(e) for e in exchanges])
    for partner_id, direction in {(e.partner["id"], e.direction) for e in exchanges if _marks_partner(e)}:
        await _mark(partner_id, direction)


async def _mark_pulls(rows: list[tuple[Any, ...]]) -> None:
    partner_ids = {
        row[_PARTNER] for row in rows
        if row[_DIRECTION] == "in" and _succeeded(row[_HTTP_STATUS], row[_OCPI_STATUS])
    }  # fmt: skip
    for partner_id in partner_ids:
        await _mark(partner_id, "in")


# A partner pushing a million tokens sends thousands of requests a second: their exchanges are written in batches
# (the log page of another node shows them up to OCPI_LOG_FLUSH_SECONDS later; the node's own pages flush first).
_incoming: BufferedRows | None = None


def _buffer() -> BufferedRows:
    global _incoming
    if _incoming is None:
        delay = get_settings().ocpi_log_flush_seconds
        _incoming = BufferedRows("OCPI log", OcpiExchange, COLUMNS, delay, BATCH, after=_mark_pulls)
    return _incoming


def record_later(exchange: Exchange) -> None:
    """``record`` off the request path: buffered, written within OCPI_LOG_FLUSH_SECONDS (or by ``flush``, which
    `csms serve` runs at shutdown), the partner's last pull marked then."""
    _buffer().add(_row(exchange))


async def flush() -> None:
    await _buffer().flush()


async def _flush_pending() -> None:
    """Before a read: this node's buffered exchanges are written first, so its pages show them at once."""
    if _buffer().pending:
        await _buffer().flush()


# (partner id, direction) -> when this process last marked it: the conditional UPDATE below would change nothing
# within MARK_EVERY anyway, so this process does not send it.
_marked: dict[tuple[int, str], datetime] = {}


async def _mark(partner_id: int, direction: str) -> None:
    # At most one write per partner and MARK_EVERY: a partner pushing tokens or a run of pushes would otherwise
    # queue every request behind the partner row's lock (the page shows the time to the minute anyway).
    stamp = now()
    last = _marked.get((partner_id, direction))
    if last is not None and stamp - last < MARK_EVERY:
        return
    if len(_marked) > 10_000:
        _marked.clear()
    _marked[(partner_id, direction)] = stamp
    column = Partner.last_pull_at if direction == "in" else Partner.last_push_at
    await Partner.update({column: stamp}).where(
        (Partner.id == partner_id) & (column.is_null() | (column < stamp - MARK_EVERY))
    )


@dataclass(frozen=True)
class ExchangeFilter:
    direction: str = ""  # "in" | "out" | "" both
    module: str = ""
    outcome: str = ""  # "errors" | "" all
    period: str = "24h"

    @classmethod
    def of(cls, direction: str = "", module: str = "", outcome: str = "", period: str = "24h") -> ExchangeFilter:
        """Unknown values fall back to "all": the filter comes from a query string."""
        return cls(
            direction=direction if direction in ("in", "out") else "",
            module=module if module.isidentifier() and len(module) <= 20 else "",
            outcome=outcome if outcome == ERROR_FILTER else "",
            period=period if period in PERIODS or period == "all" else "24h",
        )


def _failed() -> Any:
    return (
        (OcpiExchange.http_status < 200)
        | (OcpiExchange.http_status >= 300)
        | (OcpiExchange.ocpi_status >= 2000)
        | (OcpiExchange.ocpi_status < 1000)
    )


def _where(partner_id: int, flt: ExchangeFilter) -> Any:
    where: Any = OcpiExchange.partner == partner_id
    since = since_of(flt.period)
    if since is not None:
        where &= OcpiExchange.created_at >= since
    if flt.direction:
        where &= OcpiExchange.direction == flt.direction
    if flt.module:
        where &= OcpiExchange.module == flt.module
    if flt.outcome == ERROR_FILTER:
        where &= _failed()
    return where


async def partner_log(
    actor: Actor, partner_id: int, flt: ExchangeFilter, *, before_id: int | None = None,
    after_id: int | None = None, limit: int = LOG_PAGE,
) -> list[dict[str, Any]]:  # fmt: skip
    """The partner's exchanges, newest first; ``after_id``: only newer ones (live updates)."""
    await get_partner(actor, partner_id)
    await _flush_pending()
    where = _where(partner_id, flt)
    if before_id is not None:
        where &= OcpiExchange.id < before_id
    if after_id is not None:
        where &= OcpiExchange.id > after_id
    return await OcpiExchange.select().where(where).order_by(OcpiExchange.id, ascending=False).limit(limit)


async def iter_partner_log(
    actor: Actor, partner_id: int, flt: ExchangeFilter, batch: int = 1000
) -> AsyncIterator[list[dict[str, Any]]]:
    """Every filtered exchange in batches (newest first), for a streamed CSV export."""
    async for rows in db.newest_first_batches(
        lambda before, limit: partner_log(actor, partner_id, flt, before_id=before, limit=limit), batch
    ):
        yield rows


async def recent_errors(actor: Actor, partner_id: int, limit: int = 10) -> list[dict[str, Any]]:
    return await partner_log(actor, partner_id, ExchangeFilter(outcome=ERROR_FILTER, period="all"), limit=limit)


async def modules_logged(actor: Actor, partner_id: int) -> list[str]:
    await get_partner(actor, partner_id)
    await _flush_pending()
    rows = await OcpiExchange.select(OcpiExchange.module).where(OcpiExchange.partner == partner_id).distinct()
    return sorted({row["module"] for row in rows if row["module"]})


async def prune(payload_days: int, at: datetime | None = None) -> int:
    """Empties the payloads older than ``payload_days``; returns how many exchanges it emptied. Several processes
    may run it at once: emptying an empty payload again changes nothing. Batches keep each statement small after a
    long pause."""
    cutoff = (at or now()) - timedelta(days=payload_days)
    old = (OcpiExchange.created_at < cutoff) & ((OcpiExchange.request_body != "") | (OcpiExchange.response_body != ""))
    emptied = 0
    while ids := await OcpiExchange.select(OcpiExchange.id).where(old).limit(PRUNE_BATCH).output(as_list=True):
        await OcpiExchange.update({OcpiExchange.request_body: "", OcpiExchange.response_body: ""}).where(
            OcpiExchange.id.is_in(ids)
        )
        emptied += len(ids)
    return emptied


async def prune_expired() -> int:
    """The periodic pruning: payloads older than OCPI_LOG_PAYLOAD_DAYS."""
    return await prune(get_settings().ocpi_log_payload_days)
