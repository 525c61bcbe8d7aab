"""The CSRF token is bound to the session (portal/csrf.py): a token that is valid anywhere else is refused."""

from __future__ import annotations

from litestar.middleware.csrf import generate_csrf_token

from core.settings import get_settings
from core.tenancy.tables import StaffUser
from tests.support import TenantCtx, app_client, csrf_of, login, make_user


async def _name_of(user_id: int) -> str:
    row = await StaffUser.select(StaffUser.name).where(StaffUser.id == user_id).first()
    assert row is not None
    return str(row["name"])


async def test_a_planted_csrf_cookie_with_a_matching_field_is_refused(cpo: TenantCtx) -> None:
    """A neighbouring site can set cookies for this host: a well-formed token in cookie and field proves nothing."""
    user = await make_user(cpo.id)
    async with app_client() as victim:
        await login(victim, user["email"])
        planted = generate_csrf_token(get_settings().secret_key)  # signed exactly as the cookie token used to be
        victim.cookies.set("csms_csrf", planted, domain="testserver.local")
        as_field = await victim.post("/profile", data={"name": "forged", "_csrf_token": planted})
        as_header = await victim.post("/profile", data={"name": "forged"}, headers={"x-csrftoken": planted})
        assert (as_field.status_code, as_header.status_code) == (403, 403)
        assert await _name_of(user["id"]) == "Test User"


async def test_the_token_of_another_session_is_refused(cpo: TenantCtx) -> None:
    """The attacker's own, valid token (from their own visit) does not fit the victim's session."""
    user = await make_user(cpo.id)
    async with app_client() as victim, app_client() as attacker:
        await login(victim, user["email"])
        await attacker.get("/login")
        own_token = csrf_of(attacker)
        assert own_token and own_token != csrf_of(victim)
        victim.cookies.set("csms_csrf", own_token, domain="testserver.local")
        refused = await victim.post("/profile", data={"name": "forged", "_csrf_token": own_token})
        assert refused.status_code == 403
        assert await _name_of(user["id"]) == "Test User"


async def test_the_session_token_is_accepted_and_a_login_brings_a_new_one(cpo: TenantCtx) -> None:
    user = await make_user(cpo.id)
    async with app_client() as client:
        await client.get("/login")
        before_login = csrf_of(client)
        await login(client, user["email"])
        after_login = csrf_of(client)
        assert after_login and after_login != before_login
        stale = await client.post("/profile", data={"name": "stale"}, headers={"x-csrftoken": before_login})
        assert stale.status_code == 403
        page = (await client.get("/profile")).text
        assert f'value="{after_login}"' in page and f'"x-csrftoken": "{after_login}"' in page
        accepted = await client.post("/profile", data={"name": "Changed", "_csrf_token": after_login})
        assert accepted.status_code == 303 and await _name_of(user["id"]) == "Changed"


async def test_a_login_post_without_a_session_is_refused(cpo: TenantCtx) -> None:
    """Login CSRF: a login form posted from another site, with a planted cookie, has no session to match."""
    async with app_client() as fresh:
        token = generate_csrf_token(get_settings().secret_key)
        response = await fresh.post(
            "/login", data={"email": cpo.admin["email"], "password": cpo.password, "_csrf_token": token},
            headers={"cookie": f"csms_csrf={token}"},
        )  # fmt: skip
        assert response.status_code == 403
