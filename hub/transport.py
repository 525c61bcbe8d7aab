"""The node's transport, around every request to /ocpi: the request ids, the token check (HTTP 401 with the
envelope, throttled per address), the routing headers on every answer of a functional module (errors too), and the
exchange log. Handlers find the calling partner in ``scope["state"]["ocpi_caller"]``."""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any

import msgspec

from core import attempts
from core.errors import Conflict
from core.roaming import exchange_log, partners
from core.settings import get_settings
from hub.auth import caller_of, forget_callers
from hub.envelope import Status, encode, envelope
from hub.modules import CONFIGURATION, TOKEN_A_MODULES, module_of

log = logging.getLogger("csms.hub")

MAX_BODY = 4_000_000  # bytes: a partner's largest push (a location with many EVSEs) fits many times over
FAILURE_WINDOW = 300  # seconds in which failed token checks from one address are counted
ROUTING = ("ocpi-from-country-code", "ocpi-from-party-id", "ocpi-to-country-code", "ocpi-to-party-id")


def _headers(scope: dict[str, Any]) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}


def _address(scope: dict[str, Any]) -> str:
    client = scope.get("client")
    return str(client[0]) if client else ""


HUB_PARTY_SECONDS = 5.0  # the hub operator's party changes once in an installation's life: not read per request
_hub_party: tuple[float, tuple[str, str]] = (0.0, ("", ""))


async def _hub_country_party() -> tuple[str, str]:
    global _hub_party
    if _hub_party[0] > time.monotonic():
        return _hub_party[1]
    try:
        hub = await partners.hub_operator()
    except Conflict:
        return "", ""
    _hub_party = (time.monotonic() + HUB_PARTY_SECONDS, (hub["country_code"], hub["party_id"]))
    return _hub_party[1]


async def _routing_answer(request: dict[str, str], caller: partners.Caller | None) -> list[tuple[str, str]]:
    """An answer is from the party the request was to, to the party it came from; where the request left them
    out: from the hub, to the partner's first role."""
    to_country, to_party = request.get("ocpi-to-country-code", ""), request.get("ocpi-to-party-id", "")
    if not (to_country and to_party):
        to_country, to_party = await _hub_country_party()
    from_country, from_party = request.get("ocpi-from-country-code", ""), request.get("ocpi-from-party-id", "")
    roles = caller.partner.get("roles") if caller else None
    if not (from_country and from_party) and roles:
        from_country, from_party = roles[0]["country_code"], roles[0]["party_id"]
    pairs = [("OCPI-from-country-code", to_country), ("OCPI-from-party-id", to_party),
             ("OCPI-to-country-code", from_country), ("OCPI-to-party-id", from_party)]  # fmt: skip
    return [(name, value) for name, value in pairs if value]


class OcpiTransport:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request = _headers(scope)
        request_id = request.get("x-request-id") or str(uuid.uuid4())
        correlation_id = request.get("x-correlation-id") or str(uuid.uuid4())
        module = module_of(scope["path"])
        caller, refusal = await self._authenticate(scope, request, module)
        body = b""
        if refusal is None:
            body = await _read_body(receive)
            if len(body) > MAX_BODY:
                refusal = (413, envelope(None, Status.INVALID_PARAMETERS, "The body is too large"))
        extra = [("X-Request-ID", request_id), ("X-Correlation-ID", correlation_id)]
        if module not in CONFIGURATION:
            extra += await _routing_answer(request, caller)
        captured = {"status": 0, "body": bytearray()}

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                captured["status"] = message["status"]
                message = {**message, "headers": [*message.get("headers", []),
                                                  *((k.encode(), v.encode()) for k, v in extra)]}  # fmt: skip
            elif message["type"] == "http.response.body" and caller is not None:
                captured["body"] += message.get("body", b"")  # type: ignore[operator]
            await send(message)

        if refusal is not None:
            await _send_json(send_with_headers, *refusal)
        else:
            scope.setdefault("state", {})["ocpi_caller"] = caller
            await self.app(scope, _replay(body), send_with_headers)
        if caller is not None:
            _record(scope, caller, module, request_id, correlation_id, body, captured, started)
            if module in TOKEN_A_MODULES and scope["method"] != "GET":
                forget_callers()  # a registration, a new token or its end: in force on this node at once

    async def _authenticate(
        self, scope: dict[str, Any], request: dict[str, str], module: str
    ) -> tuple[partners.Caller | None, tuple[int, dict[str, Any]] | None]:
        key = f"ocpi-token:{_address(scope)}"
        limit = get_settings().api_key_max_failures
        (count,) = await attempts.store().counts([key])
        if count.count >= limit:
            return None, (429, envelope(None, Status.CLIENT_ERROR, "Too many unknown tokens from your address"))
        caller = await caller_of(request.get("authorization", ""), module)
        if caller is None:
            await attempts.store().add([key], FAILURE_WINDOW)
            return None, (401, envelope(None, Status.CLIENT_ERROR, "Unknown or missing credentials token"))
        return caller, None


async def _read_body(receive: Any) -> bytes:
    """The request body, read only after the token check; reading stops after MAX_BODY (the caller refuses it)."""
    chunks: list[bytes] = []
    size = 0
    while size <= MAX_BODY:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        size += len(chunks[-1])
        if not message.get("more_body"):
            break
    return b"".join(chunks)


def _replay(body: bytes) -> Any:
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    return receive


async def _send_json(send: Any, status: int, body: dict[str, Any]) -> None:
    payload = encode(body)
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


class _Envelope(msgspec.Struct):
    status_code: Any = None


# Only the status code: the decoder skips over ``data`` (a page of locations is a megabyte) without building it.
_ENVELOPE = msgspec.json.Decoder(_Envelope)


def ocpi_status_of(body: bytes) -> int | None:
    try:
        status = _ENVELOPE.decode(body).status_code
    except Exception:
        return None
    return status if isinstance(status, int) and not isinstance(status, bool) else None


def _record(
    scope: dict[str, Any], caller: partners.Caller, module: str, request_id: str, correlation_id: str,
    body: bytes, captured: dict[str, Any], started: float,
) -> None:  # fmt: skip
    query = scope.get("query_string", b"").decode("latin-1")
    url = scope.get("root_path", "") + scope["path"] + (f"?{query}" if query else "")
    response = bytes(captured["body"])
    try:
        exchange_log.record_later(exchange_log.Exchange(
            partner=caller.partner, direction="in", method=scope["method"], url=url, module=module,
            http_status=captured["status"], ocpi_status=ocpi_status_of(response),
            duration_ms=int((time.perf_counter() - started) * 1000), request_id=request_id,
            correlation_id=correlation_id, request_body=body.decode("utf-8", "replace"),
            response_body=response.decode("utf-8", "replace"),
        ))  # fmt: skip
    except Exception:  # the log must never turn an answered request into a failure
        log.exception("could not log an OCPI exchange of partner %s", caller.partner["id"])
