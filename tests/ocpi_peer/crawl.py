"""An OCPI 2.2.1 client crawling a paginated list (locations, tariffs, tokens ...) by its ``Link`` headers.

Shared by the peer (its control API's "crawl", in the peer's virtualenv with httpx 0.24) and by the benchmark
(bench/ocpi_locations.py, in csms's virtualenv): only the standard library and the part of httpx both versions
have. The crawl follows nothing but the server's ``Link: <...>; rel="next"``, the way a strict eMSP does, and
times every page from the request to the last byte of its body (JSON parsing is not part of a page's time).
"""

from __future__ import annotations

import base64
import json
import re
import time
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

import httpx

_NEXT = re.compile(r'<([^>]*)>\s*;[^,]*rel="?next"?', re.IGNORECASE)


def authorization(token: str) -> str:
    """OCPI 2.2.1 sends the credentials token Base64-encoded (transport_and_format, Authorization header)."""
    return "Token " + base64.b64encode(token.encode()).decode()


def request_headers(token: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    """Authorization plus the unique ids every OCPI 2.2.1 request carries, then ``extra`` (routing headers ...)."""
    headers = {"Authorization": authorization(token), "X-Request-ID": str(uuid.uuid4()),
               "X-Correlation-ID": str(uuid.uuid4())}  # fmt: skip
    headers.update(extra or {})
    return headers


def next_url(link: str | None) -> str | None:
    """The URL of the ``rel="next"`` entry of a Link header, or None on the last page."""
    match = _NEXT.search(link or "")
    return match.group(1).strip() if match else None


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


@dataclass
class Page:
    url: str
    http_status: int
    seconds: float
    ocpi_status: int | None = None
    count: int = 0
    total: int | None = None  # X-Total-Count
    limit: int | None = None  # X-Limit
    link: str | None = None  # the raw Link header


@dataclass
class Crawl:
    pages: list[Page] = field(default_factory=list)
    items: list[Any] = field(default_factory=list)
    count: int = 0
    seconds: float = 0.0
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


async def crawl(
    url: str,
    token: str,
    *,
    limit: int | None = None,
    params: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    keep_items: bool = True,
    max_pages: int = 100_000,
    timeout: float = 120.0,
) -> Crawl:
    """GET ``url`` (with ``limit`` and ``params`` on the first request only) and every next page by Link.

    Stops at the first page without a next Link, at an HTTP or OCPI error (``error`` says which page and why),
    at a Link pointing to a page already fetched, or after ``max_pages``.
    """
    query = dict(params or {})
    if limit is not None:
        query["limit"] = str(limit)
    result = Crawl()
    seen: set[str] = set()
    started = time.perf_counter()
    async with httpx.AsyncClient(timeout=timeout) as client:
        target: str | None = url
        while target is not None:
            # Only the first request carries the caller's query: after it the server's Link says everything.
            first = not result.pages
            request = client.build_request("GET", target, params=(query or None) if first else None,
                                           headers=request_headers(token, headers))  # fmt: skip
            page_url = str(request.url)
            if page_url in seen:
                result.error = f"the Link of page {len(result.pages)} points back to {page_url}"
                break
            if len(result.pages) >= max_pages:
                result.error = f"stopped after {max_pages} pages"
                break
            seen.add(page_url)
            t0 = time.perf_counter()
            try:
                response = await client.send(request)
            except httpx.HTTPError as exc:
                result.error = f"page {len(result.pages) + 1} ({page_url}): {type(exc).__name__}: {exc}"
                break
            page = Page(url=page_url, http_status=response.status_code, seconds=time.perf_counter() - t0,
                        total=_int(response.headers.get("X-Total-Count")),
                        limit=_int(response.headers.get("X-Limit")), link=response.headers.get("Link"))  # fmt: skip
            result.pages.append(page)
            try:
                body = json.loads(response.content)
            except ValueError:
                body = None
            if isinstance(body, dict):
                page.ocpi_status = _int(str(body.get("status_code")))
            if response.status_code != 200 or page.ocpi_status != 1000 or not isinstance(body, dict):
                answer = response.text[:500]
                result.error = f"page {len(result.pages)} ({page_url}): HTTP {response.status_code}: {answer}"
                break
            data = body.get("data") or []
            page.count = len(data)
            result.count += page.count
            if keep_items:
                result.items.extend(data)
            target = next_url(page.link)
    result.seconds = time.perf_counter() - started
    return result
