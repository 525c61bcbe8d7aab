"""The extrawest-ocpi peer process: extrawest's OCPI 2.2.1 endpoints over an in-memory store, plus a control API.

Runs in the peer's virtualenv (tests/ocpi_peer/venv.py), started by tests/ocpi_peer/peer.py:

    .venv-ocpi-peer/bin/python -m tests.ocpi_peer.server --port P [--role EMSP|CPO] [--country DE --party EXW]
        [--token T ...] [--locations N] [--no-record] [--log-level info]

``/ocpi/...`` is extrawest-ocpi's own code (versions, details, credentials, the module endpoints of the role);
``/control/...`` is ours: what arrived, what the peer holds, and the peer as an OCPI client (registering with a
counterpart, crawling a list by Link, sending one request). README.md lists the control API and extrawest's
deviations from OCPI 2.2.1.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit

if TYPE_CHECKING:  # imported for real only after main() has set extrawest's settings
    from tests.ocpi_peer.store import PeerState

ASGIApp = Callable[..., Awaitable[None]]


class Recorder:
    """Keeps every request to /ocpi/ with its JSON body and the answer, as the peer received and gave them."""

    def __init__(self, app: ASGIApp, received: Callable[[], list[dict[str, Any]]]) -> None:
        self.app, self.received = app, received

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/ocpi/"):
            return await self.app(scope, receive, send)
        body, answer, status = bytearray(), bytearray(), [0]

        async def receive_body() -> Any:
            message = await receive()
            body.extend(message.get("body", b""))
            return message

        async def send_answer(message: Any) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            elif message["type"] == "http.response.body":
                answer.extend(message.get("body", b""))
            await send(message)

        await self.app(scope, receive_body, send_answer)
        parts = scope["path"].strip("/").split("/")  # ocpi/{emsp|cpo}/2.2.1/{module}/... or ocpi/versions
        module = parts[3] if len(parts) > 3 and parts[1] in ("emsp", "cpo") else parts[-1]
        self.received().append({
            "at": time.time(), "method": scope["method"], "path": scope["path"],
            "query": scope["query_string"].decode(), "module": module,
            "headers": {k.decode().lower(): v.decode() for k, v in scope["headers"]},
            "body": _json(bytes(body)), "status": status[0], "response": _json(bytes(answer)),
        })  # fmt: skip


def _json(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode(errors="replace")


class LinkRepair:
    """Makes extrawest's pagination Link followable; the page contents and X-Total-Count/X-Limit stay its own.

    extrawest builds the next-page URL as ``https://{host}/ocpi/cpo/{version}/{module}/?{filters}``: always
    https, always the cpo path (also for the eMSP's tokens), on Python >= 3.11 with the enums' names
    ("VersionNumber.v_2_2_1/ModuleID.locations"), and with ``date_from=None&date_to=None`` that its own
    endpoint rejects (422). This keeps its query minus the ``None`` values, on the requested path of the
    peer's own base URL. README.md, "Pagination".
    """

    def __init__(self, app: ASGIApp, base_url: str) -> None:
        self.app, self.base_url = app, base_url

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_repaired(message: Any) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [(k, self._repair(scope["path"], v) if k.lower() == b"link" else v)
                                      for k, v in message["headers"]]  # fmt: skip
            await send(message)

        await self.app(scope, receive, send_repaired)

    def _repair(self, path: str, value: bytes) -> bytes:
        link = value.decode()
        if "<" not in link:
            return value
        target = urlsplit(link[link.index("<") + 1 : link.index(">")])
        query = [(k, v) for k, v in parse_qsl(target.query) if v != "None"]
        return f'<{self.base_url}{path}?{urlencode(query)}>; rel="next"'.encode()


def build_app(state: PeerState, role: str) -> Any:
    from py_ocpi import get_application
    from py_ocpi.core.adapter import BaseAdapter
    from py_ocpi.core.enums import ModuleID, RoleEnum
    from py_ocpi.modules.versions.enums import VersionNumber

    from tests.ocpi_peer.control import control_router
    from tests.ocpi_peer.store import PeerCrud, authenticator_for

    modules = [ModuleID.credentials_and_registration, ModuleID.locations, ModuleID.tariffs, ModuleID.sessions,
               ModuleID.cdrs]  # fmt: skip
    if role == "EMSP":
        modules += [ModuleID.commands, ModuleID.tokens]
    app = get_application(version_numbers=[VersionNumber.v_2_2_1], roles=[RoleEnum(role)], crud=PeerCrud(state),
                          modules=modules, authenticator=authenticator_for(state), adapter=BaseAdapter)  # fmt: skip
    app.include_router(control_router(state))
    if state.record:
        app.add_middleware(Recorder, received=lambda: state.received)
    base_url = state.versions_url.split("/ocpi/")[0]
    app.add_middleware(LinkRepair, base_url=base_url)
    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--role", choices=["EMSP", "CPO"], default="EMSP")
    parser.add_argument("--country", default="DE")
    parser.add_argument("--party", default="EXW")
    parser.add_argument("--name", default="extrawest-ocpi peer")
    parser.add_argument("--token", action="append", default=[],
                        help="a credentials token accepted on every module, as if registered out of band")
    parser.add_argument("--locations", type=int, default=0,
                        help="hold this many generated locations (tests/ocpi_peer/locations.py) as our own")
    parser.add_argument("--no-record", action="store_true", help="do not keep the requests received (benchmark)")
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args(argv)

    # extrawest reads its settings from the environment once, when py_ocpi is first imported.
    os.environ.update(OCPI_HOST=f"{args.host}:{args.port}", PROTOCOL="http", COUNTRY_CODE=args.country,
                      PARTY_ID=args.party, ENVIRONMENT="production")  # fmt: skip
    import logging

    import uvicorn

    from tests.ocpi_peer.locations import ocpi_locations
    from tests.ocpi_peer.store import Identity, Partner, PeerState

    logging.getLogger("OCPI-Logger").setLevel(args.log_level.upper())
    identity = Identity(role=args.role, country_code=args.country, party_id=args.party, name=args.name)
    state = PeerState(identity, f"http://{args.host}:{args.port}/ocpi/versions", record=not args.no_record)
    for token in args.token:
        state.partners[token] = Partner(our_token=token, registered_by="preshared")
    for location in ocpi_locations(args.locations):
        state.put("locations", (location["country_code"], location["party_id"], location["id"]), location)
    app = build_app(state, args.role)
    print(f"OCPI peer ({args.role}) on http://{args.host}:{args.port}/ocpi/versions", file=sys.stderr, flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level, access_log=False)


if __name__ == "__main__":
    main()
