"""Streamed CSV downloads: rows come from core in batches, so large exports never sit in memory.

Every cell passes through ``spreadsheet_safe``: a spreadsheet opening the file must never run a value as a
formula (CSV injection), whoever typed it (a location's city, a card label, a station's OCPP message).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator, Sequence
from decimal import Decimal
from typing import Any

from litestar.response import Stream

# What makes Excel, LibreOffice or Google Sheets read a cell as a formula or DDE call; the full-width forms
# are folded to the ASCII ones by some spreadsheets' input handling.
FORMULA_STARTS = frozenset("=+-@\t\r\n\uff1d\uff0b\uff0d\uff20")
# A signed plain number (amounts, energy: "-1.50", "+3", "-2,5") is data, not a formula: it stays a number.
_PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+(?:[.,][0-9]+)?")


def spreadsheet_safe(value: Any) -> Any:
    """``value`` as a CSV cell no spreadsheet runs: text starting like a formula gets a leading apostrophe
    (the spreadsheets' own mark for "text as typed"); numbers, empty cells and signed plain numbers in text
    form stay as they are."""
    if value is None or isinstance(value, int | float | Decimal):
        return value
    text = value if isinstance(value, str) else str(value)
    if text[:1] in FORMULA_STARTS and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


async def _chunks(
    header: Sequence[str], batches: AsyncIterator[Sequence[Sequence[Any]]], delimiter: str, bom: bool
) -> AsyncIterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow([spreadsheet_safe(name) for name in header])
    yield (("\ufeff" if bom else "") + buffer.getvalue()).encode()
    async for batch in batches:
        buffer.seek(0)
        buffer.truncate()
        writer.writerows([spreadsheet_safe(value) for value in row] for row in batch)
        yield buffer.getvalue().encode()


def csv_download(
    filename: str,
    header: Sequence[str],
    batches: AsyncIterator[Sequence[Sequence[Any]]],
    *,
    delimiter: str = ",",
    bom: bool = False,
) -> Stream:
    """One chunk per batch; ``bom`` and ``;`` suit spreadsheets in the German locale. Every export of stored
    data goes through here, so that each one is spreadsheet-safe (the import template is fixed text)."""
    return Stream(
        _chunks(header, batches, delimiter, bom),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
