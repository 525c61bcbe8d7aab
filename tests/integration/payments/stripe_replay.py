"""A local stand-in for api.stripe.com that replays recorded exchanges (tests/fixtures/stripe/*.json).

Each fixture holds a request (method, path, the form fields that identify it) and Stripe's response (status,
headers, body). The server, in its own thread, answers a request with the first loaded fixture that matches, and
behaves as Stripe does with idempotency keys: a repeated Idempotency-Key with the same form gets the first response
again with ``Idempotent-Replayed: true``; with a different form, HTTP 400 idempotency_error. It records every
request it got, for the tests to check what the provider sent.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "stripe"


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text())


@dataclass
class Replay:
    fixtures: list[dict[str, Any]]
    requests: list[dict[str, Any]] = field(default_factory=list)
    by_key: dict[str, tuple[list[tuple[str, str]], dict[str, Any]]] = field(default_factory=dict)
    base_url: str = ""

    def answer(
        self, method: str, target: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        url = urlsplit(target)
        form = parse_qsl(body.decode(), keep_blank_values=True)
        self.requests.append({"method": method, "path": url.path, "query": parse_qsl(url.query), "headers": headers,
                              "form": form})  # fmt: skip
        key = headers.get("idempotency-key", "")
        if key and key in self.by_key:
            first_form, response = self.by_key[key]
            if first_form != form:
                return _json(400, {}, {"error": {"type": "idempotency_error", "message": (
                    "Keys for idempotent requests can only be used with the same parameters they were first used with."
                )}})  # fmt: skip
            return _json(response["status"], {**response["headers"], "Idempotent-Replayed": "true"}, response["body"])
        fields = dict(form)
        for recorded in self.fixtures:
            request = recorded["request"]
            if (
                request["method"] == method
                and request["path"] == url.path
                and all(fields.get(name) == value for name, value in request["form"].items())
            ):
                response = recorded["response"]
                if key:
                    self.by_key[key] = (form, response)
                return _json(response["status"], response["headers"], response["body"])
        return _json(404, {}, {"error": {"type": "invalid_request_error", "message": f"no fixture for {target}"}})


def _json(status: int, headers: dict[str, str], body: Any) -> tuple[int, dict[str, str], bytes]:
    return status, {**headers, "Content-Type": "application/json"}, json.dumps(body).encode()


@contextmanager
def stripe_replay(*names: str) -> Iterator[Replay]:
    replay = Replay([fixture(name) for name in names])

    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {name.lower(): value for name, value in self.headers.items()}
            status, out_headers, payload = replay.answer(self.command, self.path, headers, body)
            self.send_response(status)
            for name, value in out_headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = _serve

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's signature
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    replay.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield replay
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
