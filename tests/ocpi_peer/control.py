"""The peer's control API (/control/...): read what arrived, seed, and drive the peer as an OCPI client.

Runs in the peer's virtualenv. Not OCPI: plain JSON for the test (or benchmark) in the csms process, which uses
tests/ocpi_peer/peer.py rather than these URLs. The client side is ours, not extrawest's: extrawest-ocpi serves
the credentials module but has no code to register with another platform, crawl or send commands. Our requests
follow OCPI 2.2.1 (Base64 credentials token, X-Request-ID, X-Correlation-ID, routing headers on functional
modules), so that a failure they meet is csms's, not the peer's.
"""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import APIRouter, Body, HTTPException

from tests.ocpi_peer.crawl import crawl, request_headers
from tests.ocpi_peer.store import Partner, PeerState, new_token


class Exchange:
    """One conversation with a counterpart: every request and answer is kept as a step for the test to read."""

    def __init__(self) -> None:
        self.steps: list[dict[str, Any]] = []

    async def call(self, method: str, url: str, token: str, body: Any = None,
                   headers: dict[str, str] | None = None) -> Any:  # fmt: skip
        """The answer's ``data`` when HTTP 200 and OCPI 1000; raises ``Failed`` otherwise."""
        sent = request_headers(token, headers)
        step: dict[str, Any] = {"method": method, "url": url, "request_headers": sent, "body": body}
        self.steps.append(step)
        try:
            async with httpx.AsyncClient(timeout=30) as client:
                response = await client.request(method, url, headers=sent, json=body)
        except httpx.HTTPError as exc:
            step["error"] = f"{type(exc).__name__}: {exc}"
            raise Failed(f"{method} {url}: {step['error']}") from exc
        step.update(status=response.status_code, response_headers=dict(response.headers))
        try:
            step["response"] = response.json()
        except ValueError:
            step["response"] = response.text
        answer = step["response"]
        if response.status_code != 200 or not isinstance(answer, dict) or answer.get("status_code") != 1000:
            raise Failed(f"{method} {url}: HTTP {response.status_code}: {str(answer)[:300]}")
        return answer.get("data")

    def result(self, error: str | None = None, **extra: Any) -> dict[str, Any]:
        return {"ok": error is None, "error": error, "steps": self.steps, **extra}


class Failed(Exception):
    pass


async def _endpoints(exchange: Exchange, versions_url: str, token: str) -> tuple[str, list[dict[str, Any]]]:
    versions = await exchange.call("GET", versions_url, token)
    url = next((v["url"] for v in versions or [] if v.get("version") == "2.2.1"), None)
    if url is None:
        raise Failed(f"no version 2.2.1 in {versions}")
    details = await exchange.call("GET", url, token)
    return "2.2.1", list((details or {}).get("endpoints", []))


def _credentials_url(endpoints: list[dict[str, Any]]) -> str:
    url = next((e["url"] for e in endpoints if e.get("identifier") == "credentials"), None)
    if url is None:
        raise Failed("the counterpart lists no credentials endpoint")
    return str(url)


def control_router(state: PeerState) -> APIRouter:
    router = APIRouter(prefix="/control", include_in_schema=False)

    def partner_for(our_token: str | None) -> Partner:
        if our_token:
            if our_token not in state.partners:
                raise HTTPException(404, f"no partner with token {our_token}")
            return state.partners[our_token]
        registered = [p for p in state.partners.values() if p.their_token]
        if not registered:
            raise HTTPException(409, "the peer has no registered partner")
        return registered[-1]

    def routing(partner: Partner) -> dict[str, str]:
        # The counterpart's party in the role we talk to (an eMSP talks to a CPO and the other way round).
        other = partner.party("CPO" if state.identity.role == "EMSP" else "EMSP") or {}
        return {"OCPI-from-country-code": state.identity.country_code, "OCPI-from-party-id": state.identity.party_id,
                "OCPI-to-country-code": str(other.get("country_code", "")),
                "OCPI-to-party-id": str(other.get("party_id", ""))}  # fmt: skip

    @router.get("/health")
    async def health() -> dict[str, Any]:
        identity = state.identity
        return {"role": identity.role, "country_code": identity.country_code, "party_id": identity.party_id,
                "versions_url": state.versions_url}  # fmt: skip

    @router.post("/reset")
    async def reset() -> dict[str, Any]:
        state.reset()
        return {"ok": True}

    @router.post("/token-a")
    async def token_a(body: dict = Body(default={})) -> dict[str, Any]:  # noqa: B006
        token = body.get("token") or new_token()
        state.tokens_a.add(token)
        return {"token": token, "versions_url": state.versions_url}

    @router.get("/partners")
    async def partners() -> list[dict[str, Any]]:
        return [p.as_dict() for p in state.partners.values()]

    @router.post("/register")
    async def register(body: dict = Body(...)) -> dict[str, Any]:
        """The peer as the credentials Sender: versions and details with token A, then POST its token B."""
        exchange = Exchange()
        partner = Partner(our_token=new_token(), versions_url=body["versions_url"], registered_by="peer")
        # The counterpart fetches our versions with token B before it answers the POST.
        state.partners[partner.our_token] = partner
        try:
            partner.version, partner.endpoints = await _endpoints(exchange, body["versions_url"], body["token"])
            answer = await exchange.call("POST", _credentials_url(partner.endpoints), body["token"],
                                         state.credentials(partner.our_token))  # fmt: skip
            partner.their_token, partner.roles = answer["token"], list(answer.get("roles", []))
        except (Failed, KeyError, TypeError) as exc:
            state.partners.pop(partner.our_token, None)
            return exchange.result(f"{type(exc).__name__}: {exc}")
        return exchange.result(partner=partner.as_dict())

    @router.post("/update-credentials")
    async def update_credentials(body: dict = Body(default={})) -> dict[str, Any]:  # noqa: B006
        """PUT new credentials (a new token B) to the counterpart; it answers with a new token C."""
        partner = partner_for(body.get("partner"))
        exchange = Exchange()
        fresh = Partner(**{**partner.as_dict(), "our_token": new_token()})
        state.partners[fresh.our_token] = fresh
        try:
            their_token = str(partner.their_token)
            fresh.version, fresh.endpoints = await _endpoints(exchange, str(partner.versions_url), their_token)
            answer = await exchange.call("PUT", _credentials_url(fresh.endpoints), their_token,
                                         state.credentials(fresh.our_token))  # fmt: skip
            fresh.their_token, fresh.roles = answer["token"], list(answer.get("roles", []))
        except (Failed, KeyError, TypeError) as exc:
            state.partners.pop(fresh.our_token, None)
            return exchange.result(f"{type(exc).__name__}: {exc}")
        state.partners.pop(partner.our_token, None)
        return exchange.result(partner=fresh.as_dict())

    @router.post("/unregister")
    async def unregister(body: dict = Body(default={})) -> dict[str, Any]:  # noqa: B006
        partner = partner_for(body.get("partner"))
        exchange = Exchange()
        try:
            await exchange.call("DELETE", _credentials_url(partner.endpoints), str(partner.their_token))
        except Failed as exc:
            return exchange.result(str(exc))
        state.partners.pop(partner.our_token, None)
        return exchange.result()

    @router.post("/tokens")
    async def seed_tokens(tokens: list = Body(...)) -> dict[str, Any]:  # noqa: B006
        """The peer's own Tokens (as eMSP), served by extrawest's GET /tokens and POST /tokens/{uid}/authorize."""
        for token in tokens:
            state.put("tokens", (token["country_code"], token["party_id"], token["uid"]), token)
        return {"count": len(state.objects.get("tokens", {}))}

    @router.get("/objects/{module}")
    async def objects(module: str) -> list[Any]:
        return list(state.objects.get(module, {}).values())

    @router.get("/received")
    async def received(module: str | None = None, method: str | None = None) -> list[dict[str, Any]]:
        return [r for r in state.received if (module is None or r["module"] == module)
                and (method is None or r["method"] == method.upper())]  # fmt: skip

    @router.post("/crawl")
    async def crawl_list(body: dict = Body(default={})) -> dict[str, Any]:  # noqa: B006
        """GET a partner's list (default: its locations SENDER endpoint) page by page, following its Link."""
        partner = partner_for(body.get("partner"))
        url = body.get("url") or partner.endpoint(body.get("module", "locations"), "SENDER")
        if not url:
            raise HTTPException(409, f"the partner lists no {body.get('module', 'locations')} SENDER endpoint")
        headers = {**(routing(partner) if body.get("routing", True) else {}), **body.get("headers", {})}
        result = await crawl(url, str(partner.their_token), limit=body.get("limit"), params=body.get("params"),
                             headers=headers, keep_items=body.get("keep_items", True))  # fmt: skip
        return result.as_dict()

    @router.post("/send")
    async def send(body: dict = Body(...)) -> dict[str, Any]:
        """One request to a partner's module endpoint: {"module", "role"?, "method", "path"?, "json"?, "headers"?}."""
        partner = partner_for(body.get("partner"))
        base = partner.endpoint(body["module"], body.get("role"))
        if not base:
            raise HTTPException(409, f"the partner lists no {body['module']} endpoint")
        url = base.rstrip("/") + ("/" + body["path"].lstrip("/") if body.get("path") else "")
        extra = {**(routing(partner) if body.get("routing", True) else {}), **body.get("headers", {})}
        headers = request_headers(str(partner.their_token), extra)
        async with httpx.AsyncClient(timeout=30) as client:
            response = await client.request(body.get("method", "GET"), url, headers=headers, json=body.get("json"))
        try:
            answer: Any = response.json()
        except ValueError:
            answer = response.text
        return {"url": url, "status": response.status_code, "headers": dict(response.headers), "body": answer,
                "request_headers": headers}  # fmt: skip

    return router
