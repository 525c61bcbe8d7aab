"""Self-test of the extrawest-ocpi peer: its control API and its OCPI versions/credentials over real HTTP.

The counterpart is ``FakeCpo`` below: a few OCPI 2.2.1 endpoints on the standard library's HTTP server, just
enough to register in both directions and to serve a paginated list. It is not csms and tests nothing of csms;
it proves that the peer's registration flows, crawl and recording work, so that a failing OCPI test of csms
points at csms.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.ocpi_peer.crawl import authorization, crawl, next_url, request_headers
from tests.ocpi_peer.locations import ocpi_location, ocpi_locations
from tests.ocpi_peer.peer import OcpiPeer


def _token_of(header: str | None) -> str | None:
    if not header or not header.startswith("Token "):
        return None
    try:
        return base64.b64decode(header[6:], validate=True).decode()
    except ValueError:
        return None


class FakeCpo:
    """A CPO platform (NL/FKE): versions, details, credentials (POST, PUT, DELETE) and locations (SENDER)."""

    def __init__(self, locations: int = 5, page_size: int = 2) -> None:
        self.token_a = "fake-token-a"
        self.tokens_c: set[str] = set()
        self.peer: dict[str, Any] = {}  # the credentials the peer gave us (token B, versions URL)
        self.requests: list[dict[str, Any]] = []
        self.callbacks: list[dict[str, Any]] = []  # our requests to the peer while it registers
        self.locations = [ocpi_location(n) for n in range(locations)]
        self.page_size = page_size
        handler = type("Handler", (_Handler,), {"fake": self})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.versions_url = f"{self.base}/ocpi/versions"

    def credentials(self, token: str) -> dict[str, Any]:
        role = {"role": "CPO", "business_details": {"name": "Fake CPO"}, "party_id": "FKE", "country_code": "NL"}
        return {"token": token, "url": self.versions_url, "roles": [role]}

    def fetch_peer_endpoints(self, credentials: dict[str, Any]) -> bool:
        """As a credentials receiver must: the peer's versions and details, with the token B it just gave us."""
        headers = request_headers(credentials["token"])
        with httpx.Client(timeout=10) as client:
            versions = client.get(credentials["url"], headers=headers)
            self.callbacks.append({"url": credentials["url"], "status": versions.status_code, "body": versions.json()})
            details_url = next(v["url"] for v in versions.json()["data"] if v["version"] == "2.2.1")
            details = client.get(details_url, headers=headers)
            self.callbacks.append({"url": details_url, "status": details.status_code, "body": details.json()})
        return bool(details.json().get("status_code") == 1000)

    def answer(self, method: str, path: str, query: dict[str, list[str]], token: str | None,
               body: Any) -> tuple[int, Any, dict[str, str]]:  # fmt: skip
        registered = token in self.tokens_c
        if path == "/ocpi/versions" and (registered or token == self.token_a):
            return 200, [{"version": "2.2.1", "url": f"{self.base}/ocpi/2.2.1"}], {}
        if path == "/ocpi/2.2.1" and (registered or token == self.token_a):
            endpoints = [
                {"identifier": "credentials", "role": "RECEIVER", "url": f"{self.base}/ocpi/2.2.1/credentials"},
                {"identifier": "locations", "role": "SENDER", "url": f"{self.base}/ocpi/cpo/2.2.1/locations"},
            ]
            return 200, {"version": "2.2.1", "endpoints": endpoints}, {}
        if path == "/ocpi/2.2.1/credentials":
            if method == "POST" and token == self.token_a:
                if not self.fetch_peer_endpoints(body):
                    return 200, None, {"status_code": "3001"}
                self.token_a, self.peer = "", body  # token A is used up
                self.tokens_c.add("fake-token-c")
                return 200, self.credentials("fake-token-c"), {}
            if method == "PUT" and registered:
                self.fetch_peer_endpoints(body)
                self.tokens_c, self.peer = {"fake-token-c2"}, body
                return 200, self.credentials("fake-token-c2"), {}
            if method == "DELETE" and registered:
                self.tokens_c, self.peer = set(), {}
                return 200, None, {}
            return (405 if registered else 401), None, {}
        if path == "/ocpi/cpo/2.2.1/locations" and registered:
            offset = int(query.get("offset", ["0"])[0])
            limit = min(int(query.get("limit", [str(self.page_size)])[0]), self.page_size)
            headers = {"X-Total-Count": str(len(self.locations)), "X-Limit": str(self.page_size)}
            if offset + limit < len(self.locations):
                headers["Link"] = f'<{self.base}{path}?offset={offset + limit}&limit={limit}>; rel="next"'
            return 200, self.locations[offset : offset + limit], headers
        return 401, None, {}


class _Handler(BaseHTTPRequestHandler):
    fake: FakeCpo

    def _handle(self) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        self.fake.requests.append({"method": self.command, "path": url.path, "query": url.query, "body": body,
                                   "headers": {k.lower(): v for k, v in self.headers.items()}})  # fmt: skip
        token = _token_of(self.headers.get("Authorization"))
        status, data, extra = self.fake.answer(self.command, url.path, parse_qs(url.query), token, body)
        ocpi_status = int(extra.pop("status_code", 1000 if status == 200 else 2000))
        raw = json.dumps({"data": data, "status_code": ocpi_status, "timestamp": "2026-01-01T00:00:00Z"}).encode()
        self.send_response(status)
        for name, value in {"Content-Type": "application/json", "Content-Length": str(len(raw)), **extra}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(raw)

    do_GET = do_POST = do_PUT = do_DELETE = _handle

    def log_message(self, format: str, *args: Any) -> None:  # the test reads ``requests`` instead
        pass


@pytest.fixture
def fake_cpo() -> Iterator[FakeCpo]:
    fake = FakeCpo()
    thread = threading.Thread(target=fake.server.serve_forever, daemon=True)
    thread.start()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


async def test_the_peer_registers_with_a_counterpart_crawls_it_and_renews_its_credentials(
    ocpi_emsp: OcpiPeer, fake_cpo: FakeCpo
) -> None:
    result = await ocpi_emsp.register(fake_cpo.versions_url, fake_cpo.token_a)

    assert result["ok"], result
    assert [(s["method"], s["url"]) for s in result["steps"]] == [
        ("GET", fake_cpo.versions_url), ("GET", f"{fake_cpo.base}/ocpi/2.2.1"),
        ("POST", f"{fake_cpo.base}/ocpi/2.2.1/credentials")]  # fmt: skip
    post = fake_cpo.requests[2]
    assert post["headers"]["authorization"] == authorization("fake-token-a")
    assert post["headers"]["x-request-id"] and post["headers"]["x-correlation-id"]
    assert post["body"]["url"] == ocpi_emsp.versions_url
    assert post["body"]["roles"] == [{"role": "EMSP", "business_details": {"name": "extrawest-ocpi peer"},
                                      "party_id": "EXW", "country_code": "DE"}]  # fmt: skip
    # The counterpart reached the peer's versions and details with the token B of the POST before answering.
    assert [(c["status"], c["body"]["status_code"]) for c in fake_cpo.callbacks] == [(200, 1000), (200, 1000)]
    partner = result["partner"]
    assert partner["their_token"] == "fake-token-c" and partner["our_token"] == fake_cpo.peer["token"]
    assert partner["roles"][0]["party_id"] == "FKE"
    assert await ocpi_emsp.partners() == [partner]

    crawled = await ocpi_emsp.crawl()
    assert crawled["error"] is None, crawled
    assert [p["count"] for p in crawled["pages"]] == [2, 2, 1]
    assert [item["id"] for item in crawled["items"]] == [f"LOC{n:07d}" for n in range(5)]
    assert [(p["total"], p["limit"]) for p in crawled["pages"]] == [(5, 2)] * 3
    gets = [r for r in fake_cpo.requests if r["path"].endswith("/locations")]
    assert [r["query"] for r in gets] == ["", "offset=2&limit=2", "offset=4&limit=2"]
    assert gets[0]["headers"]["authorization"] == authorization("fake-token-c")
    assert {k: gets[0]["headers"][k] for k in ("ocpi-from-country-code", "ocpi-from-party-id",
                                               "ocpi-to-country-code", "ocpi-to-party-id")} == {
        "ocpi-from-country-code": "DE", "ocpi-from-party-id": "EXW",
        "ocpi-to-country-code": "NL", "ocpi-to-party-id": "FKE"}  # fmt: skip
    assert len({r["headers"]["x-request-id"] for r in gets}) == 3

    renewed = await ocpi_emsp.update_credentials()
    assert renewed["ok"], renewed
    assert renewed["partner"]["their_token"] == "fake-token-c2"
    assert renewed["partner"]["our_token"] == fake_cpo.peer["token"] != partner["our_token"]
    assert [p["our_token"] for p in await ocpi_emsp.partners()] == [renewed["partner"]["our_token"]]

    gone = await ocpi_emsp.unregister()
    assert gone["ok"], gone
    assert fake_cpo.requests[-1]["method"] == "DELETE" and await ocpi_emsp.partners() == []


async def test_a_failed_registration_reports_the_step_and_leaves_no_partner(
    ocpi_emsp: OcpiPeer, fake_cpo: FakeCpo
) -> None:
    result = await ocpi_emsp.register(fake_cpo.versions_url, "not-token-a")

    assert not result["ok"]
    assert "HTTP 401" in result["error"] and len(result["steps"]) == 1
    assert await ocpi_emsp.partners() == []


async def _register_with_peer(
    client: httpx.AsyncClient, peer: OcpiPeer, fake: FakeCpo
) -> tuple[str, dict[tuple[str, str], str], httpx.Response]:
    """``fake`` registers with the peer (extrawest-ocpi's own credentials server): token A, its endpoints, answer."""
    token_a = await peer.token_a()
    versions = (await client.get(peer.versions_url, headers=request_headers(token_a))).json()
    details = (await client.get(versions["data"][0]["url"], headers=request_headers(token_a))).json()
    endpoints = {(e["identifier"], e["role"]): e["url"] for e in details["data"]["endpoints"]}
    fake.tokens_c.add("fake-token-b")  # the token B we give the peer, to call us with
    answer = await client.post(endpoints[("credentials", "RECEIVER")], headers=request_headers(token_a),
                               json=fake.credentials("fake-token-b"))  # fmt: skip
    return token_a, endpoints, answer


async def test_a_counterpart_registers_with_the_peer_and_pushes_a_location(
    ocpi_emsp: OcpiPeer, fake_cpo: FakeCpo
) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        token_a, endpoints, answer = await _register_with_peer(client, ocpi_emsp, fake_cpo)
        assert endpoints[("locations", "RECEIVER")] == f"{ocpi_emsp.base_url}/ocpi/emsp/2.2.1/locations/"
        assert endpoints[("tokens", "SENDER")] == f"{ocpi_emsp.base_url}/ocpi/emsp/2.2.1/tokens/"
        assert answer.status_code == 200 and answer.json()["status_code"] == 1000, answer.text
        token_c = answer.json()["data"]["token"]
        assert answer.json()["data"]["url"] == ocpi_emsp.versions_url
        # extrawest fetched our versions and details with token B before answering.
        assert [r["headers"]["authorization"] for r in fake_cpo.requests] == [authorization("fake-token-b")] * 2
        (partner,) = await ocpi_emsp.partners()
        assert partner["our_token"] == token_c and partner["their_token"] == "fake-token-b"
        assert partner["registered_by"] == "partner"
        assert partner["roles"][0]["party_id"] == "fke"  # extrawest parsed the roles: CiStrings lower-cased

        # Token A is used up; token C registers no second time (405).
        credentials_url = endpoints[("credentials", "RECEIVER")]
        again = await client.post(credentials_url, headers=request_headers(token_a), json=fake_cpo.credentials("x"))
        assert again.status_code == 401
        twice = await client.post(credentials_url, headers=request_headers(token_c), json=fake_cpo.credentials("x"))
        assert twice.status_code == 405

        location = ocpi_location(7, parties=(("NL", "FKE", "Fake CPO"),))
        url = f"{endpoints[('locations', 'RECEIVER')]}NL/FKE/{location['id']}"
        pushed = await client.put(url, headers=request_headers(token_c), json=location)
        assert pushed.status_code == 200 and pushed.json()["status_code"] == 1000, pushed.text
        # Token A opens no functional module; extrawest answers 403 where OCPI says 401 (README.md).
        refused = await client.put(url, headers=request_headers(token_a), json=location)
        assert refused.status_code == 403

    (held,) = await ocpi_emsp.objects("locations")
    assert held["id"] == "loc0000007" and held["country_code"] == "nl"  # CiStrings lower-cased (README.md)
    assert [e["evse_id"] for e in held["evses"]] == ["nl*fke*e0000007*1", "nl*fke*e0000007*2"]
    put, refused_put = await ocpi_emsp.received(module="locations", method="PUT")
    assert put["body"] == location and put["status"] == 200 and put["response"]["status_code"] == 1000
    assert put["headers"]["authorization"] == authorization(token_c)
    assert refused_put["status"] == 403 and refused_put["headers"]["authorization"] == authorization(token_a)


async def test_the_peers_own_tokens_page_by_a_followable_link_and_authorize(
    ocpi_emsp: OcpiPeer, fake_cpo: FakeCpo
) -> None:
    tokens = [{"country_code": "DE", "party_id": "EXW", "uid": f"0102030{n}", "type": "RFID",
               "contract_id": f"DE-EXW-C0000{n}", "issuer": "extrawest", "valid": n != 2, "whitelist": "ALLOWED",
               "last_updated": f"2026-01-0{n}T00:00:00Z"} for n in (1, 2, 3)]  # fmt: skip
    assert await ocpi_emsp.seed_tokens(tokens) == 3
    async with httpx.AsyncClient(timeout=30) as client:
        _, endpoints, answer = await _register_with_peer(client, ocpi_emsp, fake_cpo)
        token_c = answer.json()["data"]["token"]
        tokens_url = endpoints[("tokens", "SENDER")]
        first = await client.get(tokens_url, params={"limit": 2}, headers=request_headers(token_c))
        # extrawest's own Link: https://.../ocpi/cpo/VersionNumber.v_2_2_1/ModuleID.tokens/?date_from=None&...
        assert next_url(first.headers["link"]) == f"{tokens_url}?offset=2&limit=2"
        assert (first.headers["x-total-count"], first.headers["x-limit"]) == ("3", "2")

        allowed = await client.post(f"{tokens_url}01020301/authorize", headers=request_headers(token_c))
        blocked = await client.post(f"{tokens_url}01020302/authorize", headers=request_headers(token_c))
        assert allowed.json()["data"][0]["allowed"] == "ALLOWED" and blocked.json()["data"][0]["allowed"] == "BLOCKED"

    crawled = await crawl(tokens_url, token_c, limit=2)
    assert crawled.error is None and [p.count for p in crawled.pages] == [2, 1]
    assert [t["uid"] for t in crawled.items] == ["01020301", "01020302", "01020303"]
    dated = await crawl(tokens_url, token_c, params={"date_from": "2026-01-02T00:00:00Z",
                                                     "date_to": "2026-01-03T00:00:00Z"})  # fmt: skip
    assert [t["uid"] for t in dated.items] == ["01020302"]


async def test_extrawest_deviates_from_ocpi_as_the_readme_says(ocpi_emsp: OcpiPeer, fake_cpo: FakeCpo) -> None:
    """Pins the deviations README.md marks with a check, so that a new extrawest version shows what changed."""
    async with httpx.AsyncClient(timeout=30) as client:
        _, endpoints, answer = await _register_with_peer(client, ocpi_emsp, fake_cpo)
        token_c = answer.json()["data"]["token"]
        ok = request_headers(token_c)
        locations = endpoints[("locations", "RECEIVER")]
        location = ocpi_location(1)
        url = f"{locations}DE/BNW/{location['id']}"

        plain = await client.put(url, headers={"Authorization": f"Token {token_c}"}, json=location)
        assert (plain.status_code, plain.json()) == (403, {"detail": "Your authorization token is invalid."})
        assert (await client.put(url, json=location)).json() == {"detail": "Not authenticated"}
        not_base64 = await client.put(url, headers={"Authorization": "Token abc"}, json=location)
        assert (not_base64.status_code, not_base64.json()["status_code"]) == (200, 3000)
        schedule = {**location, "evses": [{**location["evses"][0], "status_schedule": []}]}
        invalid = await client.put(url, headers=ok, json=schedule)
        assert invalid.status_code == 422 and "status_code" not in invalid.json()

        stamped = {**location, "last_updated": "2026-01-01T00:00:00.123Z"}
        assert (await client.put(url, headers=ok, json=stamped)).json()["status_code"] == 1000
        single = (await client.get(url, headers=ok)).json()["data"]
        assert isinstance(single, list) and single[0]["last_updated"] == "2026-01-01T00:00:00Z"
        assert single[0]["state"] is None and single[0]["directions"] == []

        unknown = await client.put(f"{locations}DE/BNW/NOWHERE/EVSE1", headers=ok, json=location["evses"][0])
        assert (unknown.status_code, unknown.json()) == (404, {"detail": "Object not found."})
        patched = await client.patch(f"{url}/{location['evses'][0]['uid']}", headers=ok,
                                     json={"status": "CHARGING", "last_updated": "2026-02-01T00:00:00Z"})  # fmt: skip
        assert patched.json()["status_code"] == 1000
        nameless = await client.patch(url, headers=ok, json={"name": "no last_updated"})
        assert nameless.json()["status_code"] == 1000
        evses = (await client.get(url, headers=ok)).json()["data"][0]["evses"]
        assert [e["uid"] for e in evses] == ["loc0000001-2", "loc0000001-1"]

        await ocpi_emsp.seed_tokens([{"country_code": "DE", "party_id": "EXW", "uid": "AB01", "type": "APP_USER",
                                      "contract_id": "C1", "issuer": "x", "valid": True, "whitelist": "ALLOWED",
                                      "last_updated": "2026-01-01T00:00:00Z"}])  # fmt: skip
        tokens = endpoints[("tokens", "SENDER")]
        by_type = await client.post(f"{tokens}AB01/authorize?type=APP_USER", headers=ok)
        by_token_type = await client.post(f"{tokens}AB01/authorize?token_type=APP_USER", headers=ok)
        assert by_type.status_code == 404 and by_token_type.json()["data"][0]["allowed"] == "ALLOWED"
        huge = await client.get(tokens, params={"limit": 1_000_000}, headers=ok)
        assert huge.headers["x-limit"] == "1000000" and huge.headers["link"] == ""


def test_generated_locations_are_deterministic_and_spread_over_parties() -> None:
    first, again = list(ocpi_locations(10)), list(ocpi_locations(10))
    assert first == again and len({(loc["country_code"], loc["party_id"]) for loc in first}) == 5
    assert all(len(loc["evses"]) == 2 for loc in first)
    assert [loc["last_updated"] for loc in first] == sorted(loc["last_updated"] for loc in first)
