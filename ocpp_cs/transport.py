"""The websocket endpoint ``/ocpp/{charge_box_id}``: handshake checks, the receive loop, the registry.

It is a raw ASGI app, because the checks must answer the HTTP upgrade request itself (401 / 404 / 400 through
the ASGI "websocket.http.response" extension, which uvicorn supports) and because the per-frame path and the
per-socket memory must stay lean: `csms serve` routes station websockets to it ahead of Litestar
(csms.app.create_asgi); the Litestar mount below serves the rest (a plain HTTP request gets 426). Order of
the checks: charge box id by the OCPP identity rules (400), subprotocol (400), throttle (429), station known
(404), Basic credentials (401) (core.charging.handshake); only then the upgrade is accepted.
"""

from __future__ import annotations

import base64
import binascii
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, cast
from urllib.parse import unquote

from litestar import asgi

from core.charging import connections, handshake
from core.infrastructure.specs import is_charge_box_id
from ocpp_cs import framing, registry
from ocpp_cs.connection import StationConnection
from ocpp_cs.msglog import message_log
from ocpp_cs.v16.handlers import PROTOCOL as OCPP16

log = logging.getLogger("csms.ocpp")

# Plain ASGI types: Litestar's TypedDicts do not know the websocket.http.response extension.
Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

PATH_PREFIX = "/ocpp/"

# Subprotocols in order of preference; OCPP 2.0.1 adds its Protocol here.
PROTOCOLS: dict[str, framing.Protocol] = {OCPP16.subprotocol: OCPP16}

# last_message_at is written at most this often per connection (heartbeats always).
SEEN_EVERY = 10.0


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def basic_credentials(scope: Scope) -> tuple[str | None, str | None]:
    header = _header(scope, b"authorization")
    if not header or header[:6].lower() != "basic ":
        return None, None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None, None
    user, sep, password = decoded.partition(":")
    return (user, password) if sep else (None, None)


def choose_protocol(offered: list[str]) -> framing.Protocol | None:
    for name in offered:
        protocol = PROTOCOLS.get(name)
        if protocol is not None:
            return protocol
    return None


def _remote(scope: Scope) -> str:
    client = scope.get("client")
    return f"{client[0]}" if client else ""


async def _deny(
    scope: Scope, send: Send, status: int, text: str, extra: list[tuple[bytes, bytes]] | None = None
) -> None:
    if "websocket.http.response" in scope.get("extensions", {}):
        body = text.encode()
        headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())]
        await send({"type": "websocket.http.response.start", "status": status, "headers": headers + (extra or [])})
        await send({"type": "websocket.http.response.body", "body": body})
    else:  # servers without the extension answer a close before accept with 403
        await send({"type": "websocket.close", "code": 1008})


def charge_box_id_of(scope: Scope) -> str:
    """The last path segment, percent-decoded (OCPP-J 1.6 section 3.1.1); split before decoding, so that an
    escaped "?" or "/" stays part of the id (and makes it invalid) instead of cutting it short."""
    raw = scope.get("raw_path")
    path = raw.decode("latin-1").split("?", 1)[0] if raw else scope["path"]
    idx = path.find(PATH_PREFIX)
    tail = path[idx + len(PATH_PREFIX) :] if idx >= 0 else path.lstrip("/")
    return unquote(tail.strip("/"), errors="replace") if raw else tail.strip("/")


async def ocpp_endpoint(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] != "websocket":
        await send({"type": "http.response.start", "status": 426, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"OCPP needs a websocket connection"})
        return
    message = await receive()
    if message["type"] != "websocket.connect":
        return
    charge_box_id = charge_box_id_of(scope)
    remote = _remote(scope)
    if not is_charge_box_id(charge_box_id):  # before anything else: no database access, nothing stored
        await _refuse(scope, send, charge_box_id, remote, handshake.Admission(handshake.Outcome.INVALID_ID))
        return
    offered = list(scope.get("subprotocols") or [])
    protocol = choose_protocol(offered)
    if protocol is None:
        log.warning(
            "%s from %s refused: no supported OCPP subprotocol offered (offered %s, supported %s)",
            charge_box_id,
            remote,
            offered or "none",
            ", ".join(PROTOCOLS),
        )
        await _deny(scope, send, 400, "unsupported or missing OCPP subprotocol; use " + ", ".join(PROTOCOLS))
        return
    user, password = basic_credentials(scope)
    admission = await handshake.admit(charge_box_id, user, password, remote)
    station = admission.station
    if station is None:
        await _refuse(scope, send, charge_box_id, remote, admission)
        return

    # The handshake headers (credentials among them) are not read again while the socket lives for days.
    scope["headers"] = []
    await send({"type": "websocket.accept", "subprotocol": protocol.subprotocol})
    await run_connection(receive, send, station, protocol, remote)


async def _refuse(scope: Scope, send: Send, charge_box_id: str, remote: str, admission: handshake.Admission) -> None:
    outcome = admission.outcome
    if outcome is handshake.Outcome.INVALID_ID:  # repr: the id may hold line breaks meant to forge log lines
        log.warning("%r from %s refused: not a charge box id by the OCPP identity rules", charge_box_id, remote)
        await _deny(scope, send, 400, "invalid charge box id: use letters, digits and . _ : + - (at most 48)")
    elif outcome is handshake.Outcome.THROTTLED:
        wait = str(admission.retry_after)
        log.info("%s from %s refused: too many wrong passwords, retry in %s s", charge_box_id, remote, wait)
        await _deny(scope, send, 429, "too many failed logins", [(b"retry-after", wait.encode())])
    elif outcome is handshake.Outcome.UNKNOWN:
        log.warning("%s from %s refused: unknown charge box id (%s)", charge_box_id, remote, admission.unknown)
        await _deny(scope, send, 404, "unknown charge box id")
    else:
        log.warning("%s from %s refused: wrong or missing credentials", charge_box_id, remote)
        await _deny(scope, send, 401, "unauthorized", [(b"www-authenticate", b'Basic realm="OCPP"')])


async def run_connection(
    receive: Receive, send: Send, station: dict[str, Any], protocol: framing.Protocol, remote: str
) -> None:
    charge_box_id = station["charge_box_id"]
    conn = StationConnection(
        charge_box_id=charge_box_id,
        station_id=station["id"],
        tenant_id=station["tenant"],
        ocpp_version=protocol.subprotocol.removeprefix("ocpp"),
        send=send,
        remote_addr=remote,
    )
    # Registered before the first await: commands reach the station as soon as its handshake is answered,
    # even while its connected flag waits for a group commit during a connect storm.
    previous = registry.local.get(charge_box_id)
    registry.local[charge_box_id] = conn
    try:
        if previous is not None:
            log.info("%s reconnected from %s: closing the previous connection", charge_box_id, remote)
            await _close_replaced(previous)
        await connections.station_connected(conn.station_id)
        for hook in registry.on_connect:
            await _run_hook(hook, conn)
        log.info("%s connected from %s (%s)", charge_box_id, remote, protocol.subprotocol)
        await _receive_loop(conn, protocol, receive)
    finally:
        conn.mark_closed()
        if registry.local.get(charge_box_id) is conn:
            del registry.local[charge_box_id]
            await connections.station_disconnected(conn.station_id)
            for hook in registry.on_disconnect:
                await _run_hook(hook, conn)
        log.info("%s disconnected", charge_box_id)


async def _run_hook(hook: Any, conn: StationConnection) -> None:
    try:
        await hook(conn)
    except Exception:
        log.exception("%s: connection hook %r failed", conn.charge_box_id, hook)


async def _close_replaced(previous: StationConnection) -> None:
    previous.mark_closed()
    try:
        await previous.close(1000, "replaced by a new connection")
    except Exception:  # already gone
        log.debug("%s: previous socket already closed", previous.charge_box_id)


async def _receive_loop(conn: StationConnection, protocol: framing.Protocol, receive: Receive) -> None:
    last_seen = time.monotonic()
    station_id, charge_box_id = conn.station_id, conn.charge_box_id
    while True:
        message = await receive()
        kind = message["type"]
        if kind == "websocket.disconnect":
            return
        if kind != "websocket.receive":
            continue
        if conn.closed:  # replaced: drop whatever still arrives on the old socket
            return
        data: str | bytes = message.get("text") or message.get("bytes") or ""
        text = data if isinstance(data, str) else data.decode("utf-8", errors="replace")  # for the log
        try:
            frame = framing.parse(data, protocol)
        except framing.FrameError as exc:
            message_log.add(station_id, charge_box_id, "in", 0, exc.unique_id, "", text)
            reply = framing.call_error(exc.unique_id, exc.code, exc.description)
            await conn.send_frame(reply, framing.CALLERROR, exc.unique_id)
            continue
        message_type, unique_id = frame[0], frame[1]
        if message_type == framing.CALL:
            action = frame[2]
            message_log.add(station_id, charge_box_id, "in", message_type, unique_id, action, text)
            now = time.monotonic()
            if action != "Heartbeat" and now - last_seen >= SEEN_EVERY:
                last_seen = now
                await connections.station_seen(station_id)
            reply = await framing.handle_call(conn, protocol, unique_id, action, frame[3], text)
            await conn.send_frame(
                reply, framing.CALLRESULT if reply[1] == "3" else framing.CALLERROR, unique_id, action
            )
        else:
            message_log.add(station_id, charge_box_id, "in", message_type, unique_id, "", text)
            if not conn.resolve(message_type, unique_id, frame):
                log.info("%s: reply %s matches no pending call", charge_box_id, unique_id)


# Mounted at /ocpp: Litestar hands every /ocpp/... request (http and websocket) to ocpp_endpoint.
ocpp_mount = asgi("/ocpp", is_mount=True, copy_scope=True)(cast(Any, ocpp_endpoint))


async def shutdown_connections() -> None:
    """Server stop: close every station socket (1012 service restart) so stations reconnect to another node."""
    for conn in list(registry.local.values()):
        conn.mark_closed()
        try:
            await conn.close(1012, "service restart")
        except Exception:  # already gone
            log.debug("%s: socket already closed at shutdown", conn.charge_box_id)


class _DeniedHandshakeFilter(logging.Filter):
    """uvicorn's websockets-sansio protocol logs this error after a correct "websocket.http.response" denial
    (401/404/400 reach the station as intended); only the OCPP endpoint uses websockets, so drop the noise."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != "ASGI callable returned without completing handshake."


logging.getLogger("uvicorn.error").addFilter(_DeniedHandshakeFilter())
