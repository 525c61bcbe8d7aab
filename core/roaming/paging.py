"""Paging of an OCPI sender's lists, the part that touches the database: one window of a module's objects in a
stable order (last_updated, then id) so that a partner crawling while objects change neither skips an object nor
sees one twice within a snapshot; ``date_from`` inclusive, ``date_to`` exclusive (OCPI 2.2.1 transport, pagination).
The HTTP side (query parsing, X-Total-Count, X-Limit, Link) is hub/pagination.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Window:
    offset: int = 0
    limit: int = 50
    date_from: datetime | None = None
    date_to: datetime | None = None


@dataclass(frozen=True)
class Page:
    rows: list[dict[str, Any]]
    total: int  # every object that matches the filters (not the window)


async def fetch_page(table: Any, where: Any, window: Window, updated: Any = None) -> Page:
    """The rows of ``table`` matching ``where`` (None: all) and the window's dates, in (updated, id) order."""
    updated = updated if updated is not None else table.last_updated
    conditions = [c for c in (where,) if c is not None]
    if window.date_from is not None:
        conditions.append(updated >= window.date_from)
    if window.date_to is not None:
        conditions.append(updated < window.date_to)
    select = table.select().order_by(updated).order_by(table.id)
    count = table.count()
    for condition in conditions:
        select = select.where(condition)
        count = count.where(condition)
    rows = await select.offset(window.offset).limit(window.limit)
    return Page(rows=rows, total=await count)
