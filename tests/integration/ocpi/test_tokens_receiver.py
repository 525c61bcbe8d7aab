"""Tokens, receiver interface: a partner pushes its eMSP's tokens (PUT, PATCH) and reads them back (GET); the spec's
validation errors (2001), unknown tokens (2004 with HTTP 404), tokens kept per partner, and a partner speaking only
for its own eMSP parties."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from core.roaming.tables import PartnerToken
from tests.integration.ocpi.conftest import tenant_with_party
from tests.integration.ocpi.test_transport import assert_envelope, b64, registered
from tests.support import TenantCtx

TOKEN = {
    "country_code": "DE", "party_id": "EMQ", "uid": "DE8ACC1234567", "type": "APP_USER",
    "contract_id": "DE-EMQ-C12345678-X", "issuer": "EMQ Mobility", "valid": True, "whitelist": "NEVER",
    "last_updated": "2026-12-01T10:00:00Z",
}  # fmt: skip
PATH = "/ocpi/2.2.1/tokens/DE/EMQ/DE8ACC1234567?type=APP_USER"


async def auth_for(emp: TenantCtx) -> dict[str, str]:
    _, token = await registered(emp)
    return {"Authorization": b64(token)}


async def stored(uid: str, *emps: TenantCtx) -> int:
    """Tokens of ``uid`` held for the partners of ``emps`` (other tests' rows stay in the database)."""
    return await PartnerToken.count().where(
        (PartnerToken.uid_key == uid) & PartnerToken.partner.tenant.is_in([e.tenant["id"] for e in emps])
    )


async def test_put_get_patch_a_token(client: httpx.AsyncClient, emp: TenantCtx) -> None:
    auth = await auth_for(emp)
    pushed = await client.put(PATH, headers=auth, json=TOKEN)
    assert pushed.status_code == 200
    assert_envelope(pushed, 1000)
    # routing headers on the answer: from the hub to the partner's party
    assert (pushed.headers["ocpi-to-country-code"], pushed.headers["ocpi-to-party-id"]) == ("DE", "EMQ")
    got = await client.get(PATH, headers=auth)
    assert_envelope(got, 1000)
    assert got.json()["data"] == TOKEN
    # the uid is a CiString: another spelling names the same token
    assert (await client.get(PATH.replace("DE8ACC", "de8acc"), headers=auth)).json()["data"]["uid"] == TOKEN["uid"]

    blocked = await client.patch(PATH, headers=auth, json={"valid": False, "last_updated": "2026-12-02T08:00:00Z"})
    assert_envelope(blocked, 1000)
    data = (await client.get(PATH, headers=auth)).json()["data"]
    assert data["valid"] is False and data["last_updated"] == "2026-12-02T08:00:00Z"
    assert data["contract_id"] == TOKEN["contract_id"]  # a PATCH changes only what it sends

    contract = {"supplier_name": "Stadtwerke", "contract_id": "SW-1"}
    replaced = await client.put(PATH, headers=auth, json={**TOKEN, "whitelist": "ALWAYS", "visual_number": "C-1",
                                                          "energy_contract": contract})  # fmt: skip
    assert_envelope(replaced, 1000)
    assert await stored("DE8ACC1234567", emp) == 1
    data = (await client.get(PATH, headers=auth)).json()["data"]
    assert (data["whitelist"], data["visual_number"], data["valid"]) == ("ALWAYS", "C-1", True)
    assert data["energy_contract"] == contract


async def test_type_defaults_to_rfid_and_tells_tokens_apart(client: httpx.AsyncClient, emp: TenantCtx) -> None:
    auth = await auth_for(emp)
    rfid = {**TOKEN, "type": "RFID", "uid": "049F4E8A2B6C80"}
    assert_envelope(await client.put("/ocpi/2.2.1/tokens/DE/EMQ/049F4E8A2B6C80", headers=auth, json=rfid), 1000)
    assert (await client.get("/ocpi/2.2.1/tokens/DE/EMQ/049F4E8A2B6C80?type=RFID", headers=auth)).status_code == 200
    other_type = await client.get("/ocpi/2.2.1/tokens/DE/EMQ/049F4E8A2B6C80?type=APP_USER", headers=auth)
    assert other_type.status_code == 404
    assert_envelope(other_type, 2004)


@pytest.mark.parametrize(("method", "path", "body"), [
    ("PUT", PATH, {**TOKEN, "uid": "SOMEONE-ELSE"}),  # the body names another token than the URL
    ("PUT", PATH, {**TOKEN, "whitelist": "SOMETIMES"}),
    ("PUT", PATH, {k: v for k, v in TOKEN.items() if k != "contract_id"}),
    ("PUT", PATH, ["not", "an", "object"]),
    ("PATCH", PATH, {"valid": False}),  # a PATCH without last_updated
    ("PUT", "/ocpi/2.2.1/tokens/DEU/EMQ/1", TOKEN),
    ("PUT", "/ocpi/2.2.1/tokens/DE/EMQ/1?type=CARD", TOKEN),
])  # fmt: skip
async def test_invalid_pushes_get_2001_and_change_nothing(
    client: httpx.AsyncClient, emp: TenantCtx, method: str, path: str, body: Any
) -> None:
    auth = await auth_for(emp)
    assert_envelope(await client.put(PATH, headers=auth, json=TOKEN), 1000)
    refused = await client.request(method, path, headers=auth, json=body)
    assert refused.status_code == 200
    assert_envelope(refused, 2001)
    assert (await client.get(PATH, headers=auth)).json()["data"] == TOKEN  # what was accepted is kept


async def test_unknown_tokens(client: httpx.AsyncClient, emp: TenantCtx) -> None:
    auth = await auth_for(emp)
    for response in (
        await client.get(PATH, headers=auth),
        await client.patch(PATH, headers=auth, json={"valid": False, "last_updated": "2026-12-02T08:00:00Z"}),
    ):
        assert response.status_code == 404
        assert_envelope(response, 2004)


async def test_tokens_are_kept_per_partner_and_only_for_its_own_parties(
    client: httpx.AsyncClient, emp: TenantCtx
) -> None:
    auth = await auth_for(emp)
    other_emp = await tenant_with_party("EMP", "EMO")
    other = await auth_for(other_emp)
    assert_envelope(await client.put(PATH, headers=auth, json=TOKEN), 1000)
    # another EMP may neither read nor push the EMQ party's tokens
    for response in (await client.get(PATH, headers=other), await client.put(PATH, headers=other, json=TOKEN)):
        assert_envelope(response, 2001)
    own = {**TOKEN, "party_id": "EMO"}
    assert_envelope(await client.put(PATH.replace("/EMQ/", "/EMO/"), headers=other, json=own), 1000)
    assert (await client.get(PATH, headers=auth)).json()["data"]["party_id"] == "EMQ"
    assert await stored("DE8ACC1234567", emp, other_emp) == 2
