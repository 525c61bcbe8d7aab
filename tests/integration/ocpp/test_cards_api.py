"""POST/GET /api/v1/cards: the card FormSpec over JSON, tenant isolation, and the card deciding Authorize."""

from __future__ import annotations

from core.charging.authorization import authorize
from core.tenancy import api_keys
from tests.support import TenantCtx, app_client


async def test_create_and_list_cards(cpo: TenantCtx, other_cpo: TenantCtx, unique: str) -> None:
    key, _ = await api_keys.create_api_key(cpo.id, "cards")
    other_key, _ = await api_keys.create_api_key(other_cpo.id, "cards")
    uid = f"04:a1:{unique[:4]}"
    async with app_client() as client:
        auth = {"Authorization": f"Bearer {key}"}
        created = await client.post(
            "/api/v1/cards", json={"uid": uid, "label": "Fleet 1", "valid_until": "2099-12-31"}, headers=auth
        )
        assert created.status_code == 201, created.text
        body = created.json()
        assert body["uid"] == f"04A1{unique[:4]}".upper() and body["status"] == "ACTIVE"
        duplicate = await client.post("/api/v1/cards", json={"uid": uid}, headers=auth)
        assert duplicate.status_code in (400, 422) and "uid" in duplicate.text
        bad = await client.post("/api/v1/cards", json={"uid": "not hex!", "valid_until": "soon"}, headers=auth)
        assert bad.status_code in (400, 422) and "valid_until" in bad.text
        listed = await client.get("/api/v1/cards", headers=auth)
        assert [c["uid"] for c in listed.json()] == [body["uid"]]
        foreign = await client.get("/api/v1/cards", headers={"Authorization": f"Bearer {other_key}"})
        assert foreign.json() == []
    assert (await authorize(cpo.id, None, uid)).accepted
    assert not (await authorize(other_cpo.id, None, uid)).accepted
