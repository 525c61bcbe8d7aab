"""Portal sessions live on the server (core.tenancy.staff_sessions): a copied session cookie stops working at once,
on every node, after logout, a password change, a deactivation; a permission taken away is gone with the next
request. The other node is a second `csms serve` process sharing the database."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from litestar.middleware.session.client_side import ClientSideSessionBackend, CookieBackendConfig

from core.settings import get_settings
from core.tenancy.passwords import sha256_hex
from core.tenancy.tables import StaffSession, StaffUser, UserGroup, UserGroupMember
from tests.support import PASSWORD, TenantCtx, app_client, csms_serve, csrf_of, login, make_user, post_form

NEW_PASSWORD = "a-brand-new-password-2026"


@pytest.fixture(scope="module")
def other_node() -> Iterator[str]:
    with csms_serve({**os.environ, "PYTHONUNBUFFERED": "1"}) as base:
        yield base


@pytest.fixture
async def thief(other_node: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=other_node) as client:
        yield client


def stolen(victim: httpx.AsyncClient) -> dict[str, str]:
    """What an attacker copied from the victim's browser: the session cookie and the CSRF token, as headers."""
    cookies = {c.name: c.value for c in victim.cookies.jar if c.name.startswith(("csms_session", "csms_csrf"))}
    return {"cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()), "x-csrftoken": csrf_of(victim)}


async def assert_works(thief: httpx.AsyncClient, headers: dict[str, str], path: str = "/profile") -> None:
    response = await thief.get(path, headers=headers)
    assert response.status_code == 200, response.text[:300]


async def assert_logged_out(thief: httpx.AsyncClient, headers: dict[str, str], path: str = "/profile") -> None:
    response = await thief.get(path, headers=headers)
    assert response.status_code == 303 and response.headers["location"].startswith("/login"), response.status_code


@contextlib.asynccontextmanager
async def copied_login(
    thief: httpx.AsyncClient, email: str, path: str = "/profile"
) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, str]]]:
    """The user logged in on this node; the thief's copy of the cookies works on the other node (on ``path``)."""
    async with app_client() as victim:
        await login(victim, email)
        copy = stolen(victim)
        await assert_works(thief, copy, path)
        yield victim, copy


async def _name_of(user_id: int) -> str:
    row = await StaffUser.select(StaffUser.name).where(StaffUser.id == user_id).first()
    assert row is not None
    return str(row["name"])


async def test_logout_ends_a_copied_cookie_on_another_node(cpo: TenantCtx, thief: httpx.AsyncClient) -> None:
    user = await make_user(cpo.id)
    async with copied_login(thief, user["email"]) as (victim, copy):
        # The copy reads and writes on the other node as long as the session lives.
        written = await thief.post("/profile", data={"name": "Written by the thief"}, headers=copy)
        assert written.status_code == 303 and await _name_of(user["id"]) == "Written by the thief"

        await post_form(victim, "/logout", {})
        await assert_logged_out(thief, copy)
        refused = await thief.post("/profile", data={"name": "After logout"}, headers=copy)
        assert refused.status_code == 303 and refused.headers["location"].startswith("/login")
        assert await _name_of(user["id"]) == "Written by the thief"
        assert await StaffSession.count().where(StaffSession.user == user["id"]) == 0


async def test_own_password_change_ends_the_other_sessions_on_another_node(
    cpo: TenantCtx, thief: httpx.AsyncClient
) -> None:
    user = await make_user(cpo.id)
    async with app_client() as elsewhere, app_client() as here:
        await login(elsewhere, user["email"])
        copy = stolen(elsewhere)
        await login(here, user["email"])
        await assert_works(thief, copy)
        form = {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "repeat_password": NEW_PASSWORD}
        assert (await post_form(here, "/profile/password", form)).status_code == 303
        await assert_logged_out(thief, copy)
        assert (await here.get("/profile")).status_code == 200  # the session that changed it carries on


async def test_a_password_reset_by_a_user_manager_ends_every_session(
    cpo: TenantCtx, admin_client: httpx.AsyncClient, thief: httpx.AsyncClient
) -> None:
    user = await make_user(cpo.id)
    async with copied_login(thief, user["email"]) as (victim, copy):
        reset = await post_form(admin_client, f"/users/{user['id']}/password", {"password": NEW_PASSWORD})
        assert reset.status_code == 303
        await assert_logged_out(thief, copy)
        assert (await victim.get("/profile")).status_code == 303
        assert (await admin_client.get("/profile")).status_code == 200  # the manager's own session is untouched


async def test_deactivation_ends_the_sessions_and_reactivation_revives_none(
    cpo: TenantCtx, admin_client: httpx.AsyncClient, thief: httpx.AsyncClient
) -> None:
    user = await make_user(cpo.id)
    async with copied_login(thief, user["email"]) as (victim, copy):
        form = {"email": user["email"], "name": "Test User", "active": "off", "language": ""}
        assert (await post_form(admin_client, f"/users/{user['id']}", form)).status_code == 303
        await assert_logged_out(thief, copy)
        form["active"] = "on"
        assert (await post_form(admin_client, f"/users/{user['id']}", form)).status_code == 303
        await assert_logged_out(thief, copy)  # the old cookie stays dead; a new login is needed
        assert (await victim.get("/profile")).status_code == 303
        await login(victim, user["email"])
        assert (await victim.get("/profile")).status_code == 200


async def test_a_removed_permission_is_gone_with_the_next_request_on_another_node(
    cpo: TenantCtx, admin_client: httpx.AsyncClient, thief: httpx.AsyncClient
) -> None:
    """No session ends: the actor is built from the database on every request (docs/security.md, Sessions)."""
    user = await make_user(cpo.id, permissions=["infrastructure.view"])
    membership = await UserGroupMember.select().where(UserGroupMember.user == user["id"]).first()
    assert membership is not None
    group_id = membership["group"]
    async with copied_login(thief, user["email"], "/infrastructure/locations") as (_, copy):
        # The group loses the switch.
        toggle = {"permission": "infrastructure.view", "enabled": "off"}
        assert (await post_form(admin_client, f"/groups/{group_id}/permission", toggle)).status_code == 200
        assert (await thief.get("/infrastructure/locations", headers=copy)).status_code == 403
        # The switch comes back, then the user leaves the group.
        await UserGroup.update({UserGroup.permissions: ["infrastructure.view"]}).where(UserGroup.id == group_id)
        await assert_works(thief, copy, "/infrastructure/locations")
        form = {"email": user["email"], "name": "Test User", "active": "on", "language": ""}  # no group ticked
        assert (await post_form(admin_client, f"/users/{user['id']}", form)).status_code == 303
        assert (await thief.get("/infrastructure/locations", headers=copy)).status_code == 403
        await assert_works(thief, copy)  # still logged in, just without the permission


async def test_losing_administrator_rights_is_gone_with_the_next_request(
    cpo: TenantCtx, admin_client: httpx.AsyncClient, thief: httpx.AsyncClient
) -> None:
    second_admin = await make_user(cpo.id, is_admin=True)
    async with copied_login(thief, second_admin["email"], "/users") as (_, copy):
        form = {"email": second_admin["email"], "name": "Test User", "active": "on", "is_admin": "off", "language": ""}
        assert (await post_form(admin_client, f"/users/{second_admin['id']}", form)).status_code == 303
        assert (await thief.get("/users", headers=copy)).status_code == 403


def _session_id_in(client: httpx.AsyncClient) -> str:
    """The session id inside the encrypted cookie, read the way the server reads it."""
    from csms.app import _session_secret

    backend = ClientSideSessionBackend(CookieBackendConfig(secret=_session_secret(get_settings()), key="csms_session"))
    cookie = client.cookies.get("csms_session")
    assert cookie is not None
    return str(backend.load_data([cookie.encode()])["sid"])


async def test_only_a_hash_of_the_session_id_is_stored(cpo: TenantCtx) -> None:
    user = await make_user(cpo.id)
    async with app_client() as client:
        await login(client, user["email"])
        sid = _session_id_in(client)
        rows = await StaffSession.select().where(StaffSession.user == user["id"])
        assert [row["token_hash"] for row in rows] == [sha256_hex(sid)]
        assert sid not in str(rows)


async def test_an_idle_session_ends_and_last_seen_is_written_at_most_once_a_minute(cpo: TenantCtx) -> None:
    user = await make_user(cpo.id)
    async with app_client() as client:
        await login(client, user["email"])
        row = await StaffSession.select().where(StaffSession.user == user["id"]).first()
        assert row is not None
        await client.get("/profile")
        after = await StaffSession.select(StaffSession.last_seen_at).where(StaffSession.id == row["id"]).first()
        assert after is not None and after["last_seen_at"] == row["last_seen_at"]  # no write for every request

        two_minutes_ago = datetime.now(UTC) - timedelta(minutes=2)
        await StaffSession.update({StaffSession.last_seen_at: two_minutes_ago}).where(StaffSession.id == row["id"])
        await client.get("/profile")
        touched = await StaffSession.select(StaffSession.last_seen_at).where(StaffSession.id == row["id"]).first()
        assert touched is not None and touched["last_seen_at"] > two_minutes_ago + timedelta(minutes=1)

        idle = datetime.now(UTC) - timedelta(seconds=get_settings().session_max_age + 60)
        await StaffSession.update({StaffSession.last_seen_at: idle}).where(StaffSession.id == row["id"])
        gone = await client.get("/profile")
        assert gone.status_code == 303 and gone.headers["location"].startswith("/login")
        assert not await StaffSession.exists().where(StaffSession.id == row["id"])


# --- the profile's list of sessions --------------------------------------------------------------------------

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36"
)


async def _logged_in(email: str, user_agent: str) -> httpx.AsyncClient:
    client = app_client()
    client.headers["user-agent"] = user_agent
    await login(client, email)
    await post_form(client, "/lang", {"language": "en", "next": "/"})
    return client


async def _session_ids(user_id: int) -> list[int]:
    return [r["id"] for r in await StaffSession.select(StaffSession.id).where(StaffSession.user == user_id)]


async def test_the_profile_lists_the_sessions_and_ends_one(cpo: TenantCtx) -> None:
    user = await make_user(cpo.id)
    desk, phone = await _logged_in(user["email"], FIREFOX), await _logged_in(user["email"], ANDROID)
    try:
        page = (await desk.get("/profile")).text
        assert 'data-testid="my-sessions"' in page and page.count('data-testid="session-row"') == 2
        assert "Firefox on Windows" in page and "Chrome on Android" in page
        assert page.count('data-testid="current-session"') == 1
        assert page.count('data-testid="end-session"') == 1  # not for the current session
        phone_session = max(await _session_ids(user["id"]))
        ended = await post_form(desk, f"/profile/sessions/{phone_session}/end", {})
        assert ended.status_code == 303
        assert "The session was ended." in (await desk.get("/profile")).text
        assert (await phone.get("/profile")).status_code == 303
        assert (await desk.get("/profile")).status_code == 200
    finally:
        await desk.aclose()
        await phone.aclose()


async def test_end_all_other_sessions(cpo: TenantCtx) -> None:
    user = await make_user(cpo.id)
    clients = [await _logged_in(user["email"], agent) for agent in (FIREFOX, ANDROID, FIREFOX)]
    try:
        assert (await post_form(clients[0], "/profile/sessions/end-others", {})).status_code == 303
        assert [(await c.get("/profile")).status_code for c in clients] == [200, 303, 303]
        assert len(await _session_ids(user["id"])) == 1
    finally:
        for client in clients:
            await client.aclose()


async def test_nobody_ends_another_users_session(cpo: TenantCtx, admin_client: httpx.AsyncClient) -> None:
    user = await make_user(cpo.id)
    async with app_client() as victim:
        await login(victim, user["email"])
        (session_id,) = await _session_ids(user["id"])
        response = await post_form(admin_client, f"/profile/sessions/{session_id}/end", {})
        assert response.status_code == 404
        without_token = await admin_client.post(f"/profile/sessions/{session_id}/end", data={})
        assert without_token.status_code == 403
        assert (await victim.get("/profile")).status_code == 200


async def test_the_list_in_german(cpo: TenantCtx) -> None:
    user = await make_user(cpo.id, language="de")
    async with app_client() as client:
        client.headers["user-agent"] = FIREFOX
        await login(client, user["email"])
        page = (await client.get("/profile")).text
        assert "Aktive Sitzungen" in page and "Firefox unter Windows" in page and "Diese Sitzung" in page
