"""The OCPI exchange log: every request and response between csms and a partner, both directions.

The hub node records each exchange here (hub/transport.py for requests partners send csms, hub/client.py for csms's
own requests); the portal shows them per partner with filters and a CSV export. Payloads are kept for
``payload_days`` (setting OCPI_LOG_PAYLOAD_DAYS) and then emptied by ``prune`` (hourly by ``prune_expired``, which
the periodic work runs, or `csms roaming prune`); method, URL, status and timing stay as long as the partner.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from core import db
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
        return 200 <= self.http_status < 300 and (self.ocpi_status is None or 1000 <= self.ocpi_status < 2000)


def _cut(text: str) -> str:
    return text if len(text) <= MAX_BODY else text[:MAX_BODY] + "\n[…]"


MARK_EVERY = timedelta(seconds=10)


async def record(exchange: Exchange) -> None:
    """One exchange; a successful one also marks the partner's last successful pull (they asked csms) or push
    (csms sent them something other than a GET)."""
    partner = exchange.partner
    await OcpiExchange(
        tenant=partner["tenant"], partner=partner["id"], direction=exchange.direction, method=exchange.method,
        url=exchange.url[:1000], module=exchange.module[:20], http_status=exchange.http_status,
        ocpi_status=exchange.ocpi_status, duration_ms=exchange.duration_ms, request_id=exchange.request_id[:64],
        correlation_id=exchange.correlation_id[:64], request_body=_cut(exchange.request_body),
        response_body=_cut(exchange.response_body), error=exchange.error[:300],
    ).save()  # fmt: skip
    if not exchange.succeeded:
        return
    column = Partner.last_pull_at if exchange.direction == "in" else Partner.last_push_at
    if exchange.direction == "out" and exchange.method == "GET":
        return
    # At most one write per partner and MARK_EVERY: a partner pushing tokens or a run of pushes would otherwise
    # queue every request behind the partner row's lock (the page shows the time to the minute anyway).
    stamp = now()
    await Partner.update({column: stamp}).where(
        (Partner.id == partner["id"]) & (column.is_null() | (column < stamp - MARK_EVERY))
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
