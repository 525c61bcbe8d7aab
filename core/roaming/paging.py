"""Paging of an OCPI sender's lists, the part that touches the database: one window of a module's objects in a
stable order (last_updated, then id) so that a partner crawling while objects change neither skips an object nor
sees one twice within a snapshot; ``date_from`` inclusive, ``date_to`` exclusive (OCPI 2.2.1 transport, pagination).
The HTTP side (query parsing, X-Total-Count, X-Limit, Link) is hub/pagination.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Window:
    offset: int = 0
    limit: int = 50
    date_from: datetime | None = None
    date_to: datetime | None = None
    # Keyset cursor of the Link (last_updated, id of the previous page's last object): the next page starts after
    # it, so an object that changes during a crawl (and moves to the end of the order) shifts nothing behind it.
    after: tuple[datetime, str] | None = None


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


def sort_key(last_updated: datetime, ident: str) -> tuple[datetime, int, str]:
    """The stable order of a sender's objects: last_updated, then id (numeric ids in number order)."""
    return (last_updated, len(ident), ident)


@dataclass(frozen=True)
class MemoryPage:
    items: list[Any]
    total: int
    last: tuple[datetime, str] | None  # the cursor of the page's last object
    more: bool  # objects follow after this page


def page_in_memory(objects: list[tuple[datetime, str, T]], window: Window) -> MemoryPage:
    """One window of objects assembled in Python ((last_updated, id, object)): the same order, date filters and
    cursor as ``fetch_page``. ``total`` counts every object matching the dates (X-Total-Count of the crawl)."""
    matching = sorted(
        (o for o in objects if (window.date_from is None or o[0] >= window.date_from)
         and (window.date_to is None or o[0] < window.date_to)),
        key=lambda o: sort_key(o[0], o[1]),
    )  # fmt: skip
    if window.after is not None:
        cursor = sort_key(*window.after)
        rest = [o for o in matching if sort_key(o[0], o[1]) > cursor]
    else:
        rest = matching[window.offset :]
    chosen = rest[: window.limit]
    last = (chosen[-1][0], chosen[-1][1]) if chosen else None
    return MemoryPage(items=[o[2] for o in chosen], total=len(matching), last=last, more=len(rest) > len(chosen))
