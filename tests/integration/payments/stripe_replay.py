"""A local stand-in for api.stripe.com that replays recorded exchanges (tests/fixtures/stripe/*.json).

Each fixture holds a request (method, path, the form fields that identify it) and Stripe's response (status,
headers, body). The server, in its own thread, answers a request with the first loaded fixture that matches, and
behaves as Stripe does with idempotency keys: a repeated Idempotency-Key with the same form gets the first response
again with ``Idempotent-Replayed: true``; with a different form, HTTP 400 idempotency_error. It records every
request it got, for the tests to check what the provider sent.

With ``hosted_page`` it also stands in for Stripe Checkout's page (checkout.stripe.com): the addresses of that host
in its answers name the replay server instead, which serves a tiny page at ``/checkout/c/pay/{session}`` whose
"Pay" and "Back" links go to the success_url and cancel_url csms sent when it created the session. A browser thus
leaves csms for "Stripe" and comes back as a driver does.
"""

from __future__ import annotations

import html
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
CHECKOUT_HOST = "https://checkout.stripe.com"
HOSTED_PATH = "/checkout/c/pay/"


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text())


@dataclass
class Replay:
    fixtures: list[dict[str, Any]]
    requests: list[dict[str, Any]] = field(default_factory=list)
    by_key: dict[str, tuple[list[tuple[str, str]], dict[str, Any]]] = field(default_factory=dict)
    base_url: str = ""
    hosted_page: bool = False

    def answer(
        self, method: str, target: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        status, out_headers, payload = self._answer(method, target, headers, body)
        if self.hosted_page and out_headers.get("Content-Type") == "application/json":
            payload = payload.replace(CHECKOUT_HOST.encode(), f"{self.base_url}/checkout".encode())
        return status, out_headers, payload

    def _answer(
        self, method: str, target: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        url = urlsplit(target)
        if self.hosted_page and method == "GET" and url.path.startswith(HOSTED_PATH):
            return self.checkout_page(url.path.removeprefix(HOSTED_PATH))
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

    def sent(self, path: str) -> list[dict[str, Any]]:
        """The requests csms sent to ``path``."""
        return [r for r in self.requests if r["path"] == path]

    def checkout_page(self, session_id: str) -> tuple[int, dict[str, str], bytes]:
        """The stand-in for Stripe's hosted page of the session csms created last (what it sent, shown back)."""
        created = self.sent("/v1/checkout/sessions")
        if not created:
            return 404, {"Content-Type": "text/plain"}, b"no checkout session"
        form = dict(created[-1]["form"])
        item = html.escape(form.get("line_items[0][price_data][product_data][name]", ""))
        amount = int(form.get("line_items[0][price_data][unit_amount]", "0")) / 100
        currency = html.escape(form.get("line_items[0][price_data][currency]", "").upper())
        page = f"""<!doctype html><html lang="{html.escape(form.get("locale", "en"))}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width"><title>Stripe Checkout (test stand-in)</title>
<style>body{{font-family:sans-serif;margin:2rem;background:#f6f9fc}}main{{background:#fff;padding:1.5rem;
border-radius:8px}}a{{display:inline-block;margin:.5rem 0;padding:.6rem 1rem}}#pay{{background:#635bff;color:#fff;
text-decoration:none;border-radius:6px}}</style></head><body><main data-session="{html.escape(session_id)}">
<p>Stripe Checkout (a stand-in of the tests)</p><h1 id="item">{item}</h1><p id="amount">{amount:.2f} {currency}</p>
<p id="email">{html.escape(form.get("customer_email", ""))}</p>
<p><a id="pay" href="{html.escape(form.get("success_url", ""))}">Pay</a></p>
<p><a id="back" href="{html.escape(form.get("cancel_url", ""))}">Back</a></p></main></body></html>"""
        return 200, {"Content-Type": "text/html; charset=utf-8"}, page.encode()


def _json(status: int, headers: dict[str, str], body: Any) -> tuple[int, dict[str, str], bytes]:
    return status, {**headers, "Content-Type": "application/json"}, json.dumps(body).encode()


@contextmanager
def stripe_replay(*names: str, hosted_page: bool = False) -> Iterator[Replay]:
    replay = Replay([fixture(name) for name in names], hosted_page=hosted_page)

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
