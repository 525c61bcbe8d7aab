"""The charging card list and create form at /cards: permissions, field errors, German labels."""

from __future__ import annotations

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


async def test_viewer_sees_the_list_but_cannot_create(cpo: TenantCtx) -> None:
    viewer = await make_user(cpo.id, permissions=[Permission.INFRASTRUCTURE_VIEW])
    async with app_client() as client:
        await login(client, viewer["email"])
        page = await client.get("/cards")
        assert page.status_code == 200 and 'data-testid="new-card"' not in page.text
        denied = await post_form(client, "/cards", {"uid": "AB", "status": "ACTIVE"})
        assert denied.status_code == 403
