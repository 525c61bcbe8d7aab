"""The charging card list and create form at /cards: permissions, field errors, German labels."""

from __future__ import annotations

from core.access import cards
from core.access.tables import ChargingCard
from core.tenancy import api_keys
from core.tenancy.permissions import Permission
from tests.support import TenantCtx, app_client, login, make_user, post_form


async def test_admin_creates_a_card_and_sees_it(cpo: TenantCtx, unique: str) -> None:
    async with app_client() as client:
        await login(client, cpo.admin["email"])
        await post_form(client, "/lang", {"language": "en", "next": "/"})
        page = await client.get("/cards")
        assert page.status_code == 200 and "New charging card" in page.text and 'href="/cards"' in page.text
        bad = await post_form(client, "/cards", {"uid": "zz!", "valid_until": "tomorrow", "status": "ACTIVE"})
        assert bad.status_code == 400
        assert "Enter the card uid as hexadecimal digits" in bad.text and 'value="zz!"' in bad.text
        ok = await post_form(client, "/cards", {"uid": f"de:ad:{unique[:4]}", "label": "Pool car", "status": "ACTIVE"},
                             follow_redirects=False)  # fmt: skip
        assert ok.status_code == 303
        listed = await client.get("/cards")
        assert f"DEAD{unique[:4]}".upper() in listed.text and "Pool car" in listed.text
        await post_form(client, "/lang", {"language": "de", "next": "/"})
        german = await client.get("/cards")
        assert "Ladekarten" in german.text and "Neue Ladekarte" in german.text


async def test_cards_need_a_card_permission_not_an_infrastructure_one(cpo: TenantCtx, unique: str) -> None:
    """Owner notes are personal data: a read-only infrastructure user neither sees nor reaches the cards."""
    note = f"Herr Muster, Tel. 0170 {unique}"
    await cards.create_card(cpo.actor, {"uid": "C0FFEE", "label": "Pool car", "owner_note": note})
    reader = await make_user(cpo.id, permissions=[Permission.INFRASTRUCTURE_VIEW, Permission.INFRASTRUCTURE_MANAGE])
    key, _ = await api_keys.create_api_key(cpo.id, "infrastructure", [Permission.INFRASTRUCTURE_VIEW.value])
    async with app_client() as client:
        await login(client, reader["email"])
        start = await client.get("/")
        assert start.status_code == 200 and 'href="/cards"' not in start.text
        refused = await client.get("/cards")
        assert refused.status_code == 403 and note not in refused.text
        assert (await post_form(client, "/cards", {"uid": "AB01", "status": "ACTIVE"})).status_code == 403
        api = await client.get("/api/v1/cards", headers={"Authorization": f"Bearer {key}"})
        assert api.status_code == 403 and note not in api.text
    assert await ChargingCard.count().where(ChargingCard.tenant == cpo.id) == 1


async def test_card_viewer_sees_the_notes_but_cannot_create(cpo: TenantCtx, unique: str) -> None:
    note = f"Frau Beispiel {unique}"
    await cards.create_card(cpo.actor, {"uid": "C0FFEE", "owner_note": note})
    viewer = await make_user(cpo.id, permissions=[Permission.CARDS_VIEW])
    async with app_client() as client:
        await login(client, viewer["email"])
        page = await client.get("/cards")
        assert page.status_code == 200 and note in page.text and 'href="/cards"' in page.text
        assert 'data-testid="new-card"' not in page.text
        denied = await post_form(client, "/cards", {"uid": "AB01", "status": "ACTIVE"})
        assert denied.status_code == 403
    assert [c["uid"] for c in await ChargingCard.select().where(ChargingCard.tenant == cpo.id)] == ["C0FFEE"]
    manager = await make_user(cpo.id, permissions=[Permission.CARDS_VIEW, Permission.CARDS_MANAGE])
    async with app_client() as client:
        await login(client, manager["email"])
        assert 'data-testid="new-card"' in (await client.get("/cards")).text
        created = await post_form(client, "/cards", {"uid": "AB01", "status": "ACTIVE"}, follow_redirects=False)
        assert created.status_code == 303
    assert await ChargingCard.exists().where((ChargingCard.tenant == cpo.id) & (ChargingCard.uid == "AB01"))
