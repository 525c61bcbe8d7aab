"""Streamed CSV downloads: rows come from core in batches, so large exports never sit in memory."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Sequence
from typing import Any

from litestar.response import Stream


async def _chunks(
    header: Sequence[str], batches: AsyncIterator[Sequence[Sequence[Any]]], delimiter: str, bom: bool
) -> AsyncIterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    yield (("\ufeff" if bom else "") + buffer.getvalue()).encode()
    async for batch in batches:
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(batch)
        yield buffer.getvalue().encode()


def csv_download(
    filename: str,
    header: Sequence[str],
    batches: AsyncIterator[Sequence[Sequence[Any]]],
    *,
    delimiter: str = ",",
    bom: bool = False,
) -> Stream:
    """One chunk per batch; ``bom`` and ``;`` suit spreadsheets in the German locale."""
    return Stream(
        _chunks(header, batches, delimiter, bom),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
