"""csms as an OCPI client: requests to a partner with the token encoding it expects, fresh request ids, routing
headers on functional modules and timeouts, each logged; and the credentials handshake in both roles
(csms registering with a partner, and csms fetching the endpoints of a partner that registers with csms)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import http.cookiejar
import ssl
import time
import uuid
import weakref
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from core import safejson
from core.roaming import exchange_log, partners
from core.roaming.connections import LinkFailed
from core.roaming.partners import Connection
from core.roaming.token_auth import LocationRefs, RealtimeAnswer, cdr_token
from hub.auth import encode_token
from hub.envelope import OcpiError, Status, encode
from hub.modules import CONFIGURATION, VERSION

TIMEOUT = httpx.Timeout(20.0, connect=5.0)


@dataclass(frozen=True)
class Answer:
    http_status: int
    body: Any  # the decoded JSON, None when the answer was none or no JSON
    headers: httpx.Headers

    @property
    def ocpi_status(self) -> int | None:
        status = self.body.get("status_code") if isinstance(self.body, dict) else None
        return status if isinstance(status, int) else None

    @property
    def ok(self) -> bool:
        return 200 <= self.http_status < 300 and self.ocpi_status is not None and 1000 <= self.ocpi_status < 2000

    @property
    def data(self) -> Any:
        return self.body.get("data") if isinstance(self.body, dict) else None

    def failure(self) -> str:
        message = self.body.get("status_message") if isinstance(self.body, dict) else None
        return f"HTTP {self.http_status}, OCPI {self.ocpi_status}" + (f": {message}" if message else "")


@functools.cache
def _tls() -> ssl.SSLContext:
    """The TLS settings of every client (httpx's defaults). httpx would build them for each client it makes, loading
    every CA certificate again: about 30 ms of CPU, more than a whole run of pushes costs otherwise."""
    return httpx.create_ssl_context()


def client(transport: Any = None, timeout: httpx.Timeout | None = None) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        timeout=timeout or TIMEOUT, follow_redirects=True, max_redirects=3, transport=transport, verify=_tls()
    )


class _NoCookies(http.cookiejar.DefaultCookiePolicy):
    def set_ok(self, cookie: http.cookiejar.Cookie, request: Any) -> bool:
        return False


_kept: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[int, httpx.AsyncClient]] = weakref.WeakKeyDictionary()
# A run sends at most hub.pushes.CONCURRENCY requests at once. Few connections per client also keep httpcore's pool
# cheap: it checks every connection of its pool for expiry on each request.
# Idle connections are let go after 4 s, before servers close theirs (uvicorn after 5 s): a request sent on a
# connection the server is closing at that moment fails.
KEPT_LIMITS = httpx.Limits(max_connections=16, max_keepalive_connections=16, keepalive_expiry=4)


@contextlib.asynccontextmanager
async def kept_client(partner_id: int, transport: Any = None) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the partner whose connections outlive the block (one per partner and event loop), so that a run
    of pushes reuses the connections of the run before: opening them anew cost more CPU than the requests. It keeps
    no cookies. A block that ends in an exception (or cancelled) ends the client, and so should a caller whose
    requests failed on the way (``retire``): the next run starts with fresh connections. A ``transport`` (tests)
    gets a client of its own for the block, as ``client`` does."""
    if transport is not None:
        async with client(transport) as own:
            yield own
        return
    clients = _kept.setdefault(asyncio.get_running_loop(), {})
    kept = clients.get(partner_id)
    if kept is None or kept.is_closed:
        kept = clients[partner_id] = httpx.AsyncClient(
            timeout=TIMEOUT, follow_redirects=True, max_redirects=3, verify=_tls(), limits=KEPT_LIMITS,
            cookies=http.cookiejar.CookieJar(_NoCookies()),
        )  # fmt: skip
    try:
        yield kept
    except BaseException:
        await retire(partner_id, kept)
        raise


async def retire(partner_id: int, kept: httpx.AsyncClient) -> None:
    """End a kept client (its connections closed); the partner's next block gets a new one."""
    clients = _kept.get(asyncio.get_running_loop(), {})
    if clients.get(partner_id) is kept:
        del clients[partner_id]
    with contextlib.suppress(Exception):
        await kept.aclose()


class OcpiClient:
    """Requests to one partner with ``token`` (default: csms's token for it)."""

    def __init__(
        self, partner: dict[str, Any], token: str | None = None, *, transport: Any = None,
        http: httpx.AsyncClient | None = None, journal: list[exchange_log.Exchange] | None = None,
    ) -> None:  # fmt: skip
        """``http``: a client to reuse (its connections kept alive across requests, e.g. a run of pushes).
        ``journal``: the exchanges are collected there for the caller to log at once (``exchange_log.record_all``)
        instead of one statement per request."""
        self.partner = partner
        self.token = token if token is not None else str(partner["outgoing_token"])
        self.transport = transport
        self.http = http
        self.journal = journal
        self.transport_errors = 0  # requests that got no HTTP answer (connection, timeout, protocol)

    async def request(
        self, method: str, url: str, module: str, json: Any = None, routing: dict[str, str] | None = None,
        timeout: httpx.Timeout | None = None,
    ) -> Answer:  # fmt: skip
        headers = {
            "Authorization": encode_token(self.token, bool(self.partner["tokens_unencoded"])),
            "X-Request-ID": str(uuid.uuid4()),
            "X-Correlation-ID": str(uuid.uuid4()),
        }
        if module not in CONFIGURATION and routing:
            headers.update(routing)
        content = encode(json) if json is not None else None  # prices as JSON numbers, as csms answers them
        if content is not None:
            headers["Content-Type"] = "application/json"
        started = time.perf_counter()
        status, text, error, answer_headers = 0, "", "", httpx.Headers()
        try:
            if self.http is not None:
                response = await self.http.request(method, url, content=content, headers=headers,
                                                   timeout=timeout or httpx.USE_CLIENT_DEFAULT)  # fmt: skip
            else:
                async with client(self.transport, timeout) as http:
                    response = await http.request(method, url, content=content, headers=headers)
            status, text, answer_headers = response.status_code, response.text, response.headers
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"[:300]
            self.transport_errors += 1
        try:
            body = safejson.loads(text) if text else None
        except ValueError:
            body = None
        answer = Answer(status, body, answer_headers)
        exchange = exchange_log.Exchange(
            partner=self.partner, direction="out", method=method, url=url, module=module, http_status=status,
            ocpi_status=answer.ocpi_status, duration_ms=int((time.perf_counter() - started) * 1000),
            request_id=headers["X-Request-ID"], correlation_id=headers["X-Correlation-ID"],
            request_body=content.decode() if content else "", response_body=text, error=error,
        )  # fmt: skip
        if self.journal is not None:
            self.journal.append(exchange)
        else:
            await exchange_log.record(exchange)
        if error:
            raise LinkFailed(f"{method} {url}: {error}")
        return answer


async def fetch_version(client: OcpiClient, url: str) -> tuple[str, list[dict[str, str]]]:
    """The partner's 2.2.1 details: (version details URL, endpoints). OcpiError 3001 when its API cannot be used,
    3002 when it offers no 2.2.1."""
    try:
        versions = await client.request("GET", url, "versions")
    except LinkFailed as exc:
        raise OcpiError(Status.CLIENT_API_UNUSABLE, f"versions: {exc}") from None
    if not versions.ok or not isinstance(versions.data, list):
        raise OcpiError(Status.CLIENT_API_UNUSABLE, f"GET {url}: {versions.failure()}")
    chosen = next((v for v in versions.data if isinstance(v, dict) and v.get("version") == VERSION), None)
    if chosen is None or not isinstance(chosen.get("url"), str):
        raise OcpiError(Status.UNSUPPORTED_VERSION, f"the partner offers no OCPI {VERSION}")
    try:
        details = await client.request("GET", chosen["url"], "versions")
    except LinkFailed as exc:
        raise OcpiError(Status.CLIENT_API_UNUSABLE, f"version details: {exc}") from None
    raw = details.data.get("endpoints") if details.ok and isinstance(details.data, dict) else None
    if not isinstance(raw, list):
        raise OcpiError(Status.CLIENT_API_UNUSABLE, f"GET {chosen['url']}: {details.failure()}")
    endpoints = [
        {"identifier": str(e["identifier"]), "role": str(e.get("role", "")), "url": str(e["url"])}
        for e in raw
        if isinstance(e, dict) and isinstance(e.get("identifier"), str) and isinstance(e.get("url"), str)
    ]
    return chosen["url"], endpoints


async def own_credentials(partner: dict[str, Any], token: str) -> dict[str, Any]:
    roles = await partners.own_roles(partner)
    return {
        "token": token,
        "url": partners.versions_url(),
        "roles": [
            {
                "role": r["role"],
                "party_id": r["party_id"],
                "country_code": r["country_code"],
                "business_details": {"name": r["name"]},
            }
            for r in roles
        ],  # fmt: skip
    }


def _credentials_url(partner: dict[str, Any]) -> str:
    url = partners.endpoint_url(partner, "credentials", "RECEIVER") or partners.endpoint_url(
        partner, "credentials", "SENDER"
    )
    if url is None:
        raise LinkFailed("The partner lists no credentials endpoint.")
    return url


def realtime_answer(answer: Answer) -> RealtimeAnswer | None:
    """An AuthorizationInfo answer: RealtimeAnswer(None) when the eMSP does not know the token (HTTP 404 or 2004),
    None when the answer is no usable answer (csms then decides as without one)."""
    if answer.http_status == 404 or answer.ocpi_status == Status.UNKNOWN_TOKEN:
        return RealtimeAnswer(None)
    data = answer.data
    if isinstance(data, list) and len(data) == 1:  # extrawest-ocpi wraps the one AuthorizationInfo in a list
        data = data[0]
    if not answer.ok or not isinstance(data, dict) or not isinstance(data.get("allowed"), str):
        return None
    place = data.get("location")
    evses = None
    if isinstance(place, dict) and isinstance(place.get("evse_uids"), list) and place["evse_uids"]:
        evses = tuple(str(uid) for uid in place["evse_uids"])
    reference = data.get("authorization_reference")
    token = data.get("token")
    return RealtimeAnswer(data["allowed"], str(reference)[:36] if isinstance(reference, str) else "", evses,
                          cdr_token(token) if isinstance(token, dict) else None)  # fmt: skip


class HubLink:
    """core.roaming.connections.PartnerLink over HTTP."""

    def __init__(self, transport: Any = None) -> None:
        self.transport = transport

    async def register(self, partner: dict[str, Any], versions_url: str, token_a: str) -> None:
        client = OcpiClient(partner, token_a, transport=self.transport)
        try:
            _, endpoints = await fetch_version(client, versions_url)
        except OcpiError as exc:
            raise LinkFailed(exc.message) from None
        partner = {**partner, "endpoints": endpoints}
        token = partners.new_token()  # the partner's token for csms (OCPI: token B)
        await partners.offer_token(partner["id"], token)
        answer = await client.request(
            "POST", _credentials_url(partner), "credentials", json=await own_credentials(partner, token)
        )
        await self._store(partner, answer, token, versions_url, endpoints)

    async def rotate(self, partner: dict[str, Any]) -> None:
        client = OcpiClient(partner, transport=self.transport)
        token = partners.new_token()
        await partners.offer_token(partner["id"], token)
        answer = await client.request(
            "PUT", _credentials_url(partner), "credentials", json=await own_credentials(partner, token)
        )
        await self._store(partner, answer, token, partner["versions_url"], partner["endpoints"])

    async def unregister(self, partner: dict[str, Any]) -> None:
        answer = await OcpiClient(partner, transport=self.transport).request(
            "DELETE", _credentials_url(partner), "credentials"
        )
        if not answer.ok:
            raise LinkFailed(f"DELETE credentials: {answer.failure()}")

    async def check(self, partner: dict[str, Any]) -> None:
        answer = await OcpiClient(partner, transport=self.transport).request("GET", partner["versions_url"], "versions")
        if not answer.ok or not isinstance(answer.data, list):
            raise LinkFailed(f"GET versions: {answer.failure()}")

    async def authorize_token(
        self, partner: dict[str, Any], uid: str, token_type: str, location: LocationRefs, routing: dict[str, str],
        timeout: float,
    ) -> RealtimeAnswer | None:  # fmt: skip
        """Real-time authorization at the partner's tokens sender (core.roaming.token_auth.RealtimeLink)."""
        base = partners.endpoint_url(partner, "tokens", "SENDER")
        if base is None:
            return None
        url = f"{base.rstrip('/')}/{quote(uid, safe='')}/authorize?type={quote(token_type, safe='')}"
        try:
            answer = await OcpiClient(partner, transport=self.transport).request(
                "POST", url, "tokens", json=location.as_ocpi(), routing=routing,
                timeout=httpx.Timeout(timeout, connect=min(timeout, 2.0)),
            )  # fmt: skip
        except LinkFailed:
            return None  # not reachable, or not in time: the whitelist rule decides without an answer
        return realtime_answer(answer)

    async def post_command_result(
        self, partner: dict[str, Any], url: str, result: dict[str, Any], routing: dict[str, str]
    ) -> bool:
        """The CommandResult to the partner's response_url (core.roaming.commands.ResultLink)."""
        try:
            answer = await OcpiClient(partner, transport=self.transport).request(
                "POST", url, "commands", json=result, routing=routing
            )
        except LinkFailed:
            return False
        return answer.ok

    async def _store(
        self, partner: dict[str, Any], answer: Answer, token: str, versions_url: str, endpoints: list[dict[str, str]]
    ) -> None:
        data = answer.data
        if not answer.ok or not isinstance(data, dict) or not isinstance(data.get("token"), str):
            raise LinkFailed(f"credentials: {answer.failure()}")
        roles = await partners.check_roles(partner, data.get("roles"))
        connection = Connection(
            outgoing_token=data["token"][:64], versions_url=str(data.get("url") or versions_url), version=VERSION,
            endpoints=endpoints, roles=roles,
        )  # fmt: skip
        await partners.complete_registration(partner["id"], connection, token)
