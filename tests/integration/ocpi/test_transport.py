"""The node's transport on the app (ASGI): envelope on every answer, 401 for unknown tokens and token A outside
versions/credentials, the token-encoding switch, request ids, routing headers on functional modules (errors too),
the throttle, hubclientinfo and may_push_to, and the exchange log."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import httpx

from core.roaming import partners
from core.roaming.paging import Window, fetch_page
from core.roaming.partners import Connection, PartnerState
from core.roaming.tables import OcpiExchange, PartnerClientInfo
from tests.integration.ocpi.conftest import tenant_with_party
from tests.support import TenantCtx, app_client


def b64(token: str) -> str:
    return "Token " + base64.b64encode(token.encode()).decode()


async def registered(emp: TenantCtx, *, unencoded: bool = False) -> tuple[dict, str]:
    """A partner of ``emp`` registered out of band; returns it and the token it sends csms."""
    created = await partners.create_partner(emp.actor, {"name": "peer", "tokens_unencoded": unencoded})
    token = partners.new_token()
    roles = [{"role": "EMSP", "country_code": emp.tenant["country_code"], "party_id": emp.tenant["party_id"],
              "name": "peer"}]  # fmt: skip
    connection = Connection("theirs", "http://peer.invalid/versions", "2.2.1", [], roles)
    await partners.complete_registration(created.partner["id"], connection, token)
    return await partners.partner_by_id(created.partner["id"]), token


def assert_envelope(response: httpx.Response, status_code: int) -> None:
    body = response.json()
    assert body["status_code"] == status_code, body
    assert {"data", "status_code", "timestamp"} <= set(body)
    assert response.headers["x-request-id"] and response.headers["x-correlation-id"]


async def test_unknown_and_missing_tokens_get_401_in_the_envelope(client: httpx.AsyncClient) -> None:
    for headers in ({}, {"Authorization": b64("nobody")}, {"Authorization": "Bearer x"}):
        response = await client.get("/ocpi/versions", headers={**headers, "X-Request-ID": "r-1"})
        assert response.status_code == 401
        assert_envelope(response, 2000)
        assert response.headers["x-request-id"] == "r-1"


async def test_token_a_opens_only_versions_and_credentials(client: httpx.AsyncClient, emp: TenantCtx) -> None:
    created = await partners.create_partner(emp.actor, {"name": "new"})
    auth = {"Authorization": b64(created.token_a)}
    assert (await client.get("/ocpi/versions", headers=auth)).status_code == 200
    details = await client.get("/ocpi/2.2.1", headers=auth)
    assert_envelope(details, 1000)
    listed = {(e["identifier"], e["role"]) for e in details.json()["data"]["endpoints"]}
    assert listed == {("credentials", "SENDER"), ("credentials", "RECEIVER"), ("hubclientinfo", "RECEIVER"),
                      ("locations", "SENDER"), ("tariffs", "SENDER"), ("tokens", "RECEIVER"),
                      ("cdrs", "SENDER"), ("sessions", "SENDER"), ("commands", "RECEIVER")}  # fmt: skip
    # GET credentials answers csms's credentials with the token the caller used; PUT before registering: 405.
    assert (await client.get("/ocpi/2.2.1/credentials", headers=auth)).json()["data"]["token"] == created.token_a
    assert (await client.put("/ocpi/2.2.1/credentials", headers=auth, json={})).status_code == 405
    assert (await client.delete("/ocpi/2.2.1/credentials", headers=auth)).status_code == 405
    info = await client.get("/ocpi/2.2.1/hubclientinfo/DE/ABC", headers=auth)
    assert info.status_code == 401
    assert_envelope(info, 2000)


async def test_tokens_are_base64_unless_the_partner_is_switched_to_unencoded(
    client: httpx.AsyncClient, emp: TenantCtx, hub_operator: TenantCtx
) -> None:
    _, token = await registered(emp)
    path = "/ocpi/2.2.1/hubclientinfo/DE/EMQ"
    assert (await client.get(path, headers={"Authorization": b64(token)})).status_code == 404  # known, no object
    assert (await client.get(path, headers={"Authorization": f"Token {token}"})).status_code == 401
    assert (await client.get("/ocpi/versions", headers={"Authorization": f"Token {token}"})).status_code == 200

    old_emp = await tenant_with_party("EMP", "OLD")
    _, raw = await registered(old_emp, unencoded=True)
    assert (await client.get(path, headers={"Authorization": f"Token {raw}"})).status_code == 404
    assert (await client.get(path, headers={"Authorization": b64(raw)})).status_code == 401


async def test_errors_of_functional_modules_carry_envelope_and_routing_headers(
    client: httpx.AsyncClient, emp: TenantCtx
) -> None:
    _, token = await registered(emp)
    hub = await partners.hub_operator()
    # A module csms does not serve (cdrs, sessions ... are served now).
    unserved = "/ocpi/2.2.1/chargingprofiles"
    response = await client.get(unserved, headers={"Authorization": b64(token), "X-Correlation-ID": "c-9"})
    assert response.status_code == 404
    assert_envelope(response, 2000)
    assert response.headers["x-correlation-id"] == "c-9"
    assert response.headers["ocpi-from-country-code"] == hub["country_code"]
    assert response.headers["ocpi-from-party-id"] == hub["party_id"]
    assert (response.headers["ocpi-to-country-code"], response.headers["ocpi-to-party-id"]) == ("DE", "EMQ")
    addressed = await client.get(
        unserved,
        headers={"Authorization": b64(token), "OCPI-to-country-code": "NL", "OCPI-to-party-id": "ABC",
                 "OCPI-from-country-code": "DE", "OCPI-from-party-id": "EMQ"},
    )  # fmt: skip
    assert (addressed.headers["ocpi-from-country-code"], addressed.headers["ocpi-from-party-id"]) == ("NL", "ABC")
    # Configuration modules are not routed.
    versions = await client.get("/ocpi/versions", headers={"Authorization": b64(token)})
    assert "ocpi-from-party-id" not in versions.headers
    wrong_method = await client.patch("/ocpi/versions", headers={"Authorization": b64(token)})
    assert wrong_method.status_code == 405
    assert_envelope(wrong_method, 2000)


async def test_hubclientinfo_is_stored_and_decides_may_push_to(client: httpx.AsyncClient, emp: TenantCtx) -> None:
    partner, token = await registered(emp)
    auth = {"Authorization": b64(token)}
    assert await partners.may_push_to(partner)
    path = "/ocpi/2.2.1/hubclientinfo/DE/EMQ"
    body = {
        "party_id": "EMQ",
        "country_code": "DE",
        "role": "EMSP",
        "status": "OFFLINE",
        "last_updated": "2026-01-01T00:00:00Z",
    }
    created = await client.put(path, headers=auth, json=body)
    assert created.status_code == 201
    assert_envelope(created, 1000)
    assert not await partners.may_push_to(await partners.partner_by_id(partner["id"]))
    updated = await client.put(path, headers=auth, json={**body, "status": "CONNECTED"})
    assert updated.status_code == 200
    assert await partners.may_push_to(await partners.partner_by_id(partner["id"]))
    assert (await client.get(path, headers=auth)).json()["data"]["status"] == "CONNECTED"
    # A party behind the partner that is not connected: nothing is pushed to it.
    other = "/ocpi/2.2.1/hubclientinfo/NL/XYZ"
    await client.put(other, headers=auth, json={**body, "party_id": "XYZ", "country_code": "NL", "status": "SUSPENDED"})
    assert not await partners.may_push_to(partner, "NL", "XYZ")
    assert await partners.may_push_to(partner, "DE", "EMQ")

    invalid = await client.put(path, headers=auth, json={**body, "status": "SLEEPING"})
    assert invalid.status_code == 200
    assert_envelope(invalid, 2001)
    broken = await client.put(path, headers={**auth, "Content-Type": "application/json"}, content=b"{not json")
    assert broken.status_code == 400
    assert_envelope(broken, 2001)

    logged = await OcpiExchange.select().where(OcpiExchange.partner == partner["id"]).order_by(OcpiExchange.id)
    assert [(r["method"], r["http_status"], r["ocpi_status"]) for r in logged][:2] == [
        ("PUT", 201, 1000),
        ("PUT", 200, 1000),
    ]
    assert logged[0]["direction"] == "in" and '"OFFLINE"' in logged[0]["request_body"]


async def test_a_new_or_ended_partner_is_never_pushed_to(emp: TenantCtx) -> None:
    created = await partners.create_partner(emp.actor, {"name": "new"})
    assert created.partner["state"] == PartnerState.NEW
    assert not await partners.may_push_to(created.partner)
    await partners.end_connection(created.partner["id"])
    assert not await partners.may_push_to(await partners.partner_by_id(created.partner["id"]))


async def test_failed_token_checks_are_throttled_per_address(emp: TenantCtx) -> None:
    _, token = await registered(emp)
    async with app_client() as attacker:
        for _ in range(20):
            assert (await attacker.get("/ocpi/versions", headers={"Authorization": b64("guess")})).status_code == 401
        refused = await attacker.get("/ocpi/versions", headers={"Authorization": b64(token)})
        assert refused.status_code == 429
        assert_envelope(refused, 2000)
    async with app_client() as other:
        assert (await other.get("/ocpi/versions", headers={"Authorization": b64(token)})).status_code == 200


async def test_a_page_is_a_stable_window_with_from_inclusive_and_to_exclusive(emp: TenantCtx) -> None:
    partner, _ = await registered(emp)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for i in range(6):  # two objects per timestamp: the id decides their order
        await PartnerClientInfo(partner=partner["id"], country_code="DE", party_id=f"P{i}", role="CPO",
                                status="CONNECTED", last_updated=start + timedelta(minutes=i // 2)).save()  # fmt: skip
    where = PartnerClientInfo.partner == partner["id"]
    everything = await fetch_page(PartnerClientInfo, where, Window(0, 100))
    assert [r["party_id"] for r in everything.rows] == ["P0", "P1", "P2", "P3", "P4", "P5"]
    window = Window(1, 2, date_from=start + timedelta(minutes=1), date_to=start + timedelta(minutes=2))
    page = await fetch_page(PartnerClientInfo, where, window)
    assert page.total == 2 and [r["party_id"] for r in page.rows] == ["P3"]


async def test_bodies_are_read_only_after_the_token_check_and_bounded(
    client: httpx.AsyncClient, emp: TenantCtx
) -> None:
    _, token = await registered(emp)
    huge = b"x" * 4_100_000
    anonymous = await client.put("/ocpi/2.2.1/hubclientinfo/DE/EMQ", content=huge)
    assert anonymous.status_code == 401
    refused = await client.put("/ocpi/2.2.1/hubclientinfo/DE/EMQ", headers={"Authorization": b64(token)}, content=huge)
    assert refused.status_code == 413
    assert_envelope(refused, 2001)
