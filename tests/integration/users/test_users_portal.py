"""User management pages: users, groups with their switches, the own profile, and the rules that keep a tenant
administrable (no self-lockout, never without an administrator, no escalation by user managers)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest

from core.errors import PermissionDenied, ValidationError
from core.tenancy import logins, users
from core.tenancy.permissions import Permission
from core.tenancy.tables import AuditEntry, StaffUser
from tests.support import (
    PASSWORD,
    TenantCtx,
    app_client,
    csrf_of,
    login,
    make_tenant,
    make_user,
    post_form,
    stored_rows,
)


async def _user_by_email(email: str) -> dict:
    row = await StaffUser.select().where(StaffUser.email == email).first()
    assert row is not None
    return row


async def test_list_create_and_edit_a_user(admin_client: httpx.AsyncClient, cpo: TenantCtx, unique: str) -> None:
    group = await users.create_group(cpo.actor, {"name": f"Technik {unique}", "permissions": ["infrastructure.view"]})
    email = f"neu-{unique}@example.test"
    created = await post_form(
        admin_client, "/users",
        {"email": email, "name": "Neu", "language": "de", "groups": str(group["id"]), "active": "on", "password": ""},
        follow_redirects=True,
    )  # fmt: skip
    assert created.status_code == 200
    shown = re.search(r'data-testid="generated-password">([^<]+)<', created.text)
    assert shown is not None, "a generated password is shown once"
    user = await _user_by_email(email)
    assert user["password_hash"].startswith("$argon2")
    assert user["language"] == "de" and not user["is_admin"]
    again = await admin_client.get(f"/users/{user['id']}")
    assert "generated-password" not in again.text  # only once
    listing = await admin_client.get("/users")
    row = next(r for r in listing.text.split('data-testid="user-row"') if email in r)
    assert f"Technik {unique}" in row and "Active" in row and "Never" in row
    # The new user logs in with the generated password.
    async with app_client() as client:
        await login(client, email, shown.group(1))
    listing = await admin_client.get("/users")
    row = next(r for r in listing.text.split('data-testid="user-row"') if email in r)
    assert "Never" not in row
    # Edit: name, language, groups removed, deactivated.
    saved = await post_form(
        admin_client, f"/users/{user['id']}", {"name": "Neuer Name", "language": "en"}, follow_redirects=False
    )
    assert saved.status_code == 303
    after = await users.get_scoped_user(cpo.actor, user["id"])
    assert after["name"] == "Neuer Name" and after["language"] == "en" and after["groups"] == []
    assert after["active"] is False  # an unticked box is an explicit "off"
    actions = await AuditEntry.select(AuditEntry.action).where(
        (AuditEntry.entity_type == "user") & (AuditEntry.entity_id == user["id"])
    )
    assert {a["action"] for a in actions} >= {"create", "update"}


async def test_create_with_an_initial_password_and_field_errors(
    admin_client: httpx.AsyncClient, cpo: TenantCtx, unique: str
) -> None:
    email = f"init-{unique}@example.test"
    short = await post_form(admin_client, "/users", {"email": email, "password": "kurz", "active": "on"})
    assert short.status_code == 400 and "At least 10 characters." in short.text
    assert email in short.text and 'value="kurz"' not in short.text  # what was typed is kept, not the password
    bad = await post_form(admin_client, "/users", {"email": "not-an-address", "password": PASSWORD})
    assert bad.status_code == 400 and "Enter a valid e-mail address." in bad.text
    ok = await post_form(admin_client, "/users", {"email": email, "password": "ein-langes-passwort", "active": "on"})
    assert ok.status_code == 303
    page = await admin_client.get(ok.headers["location"])
    assert "generated-password" not in page.text
    async with app_client() as client:
        await login(client, email, "ein-langes-passwort")
    dup = await post_form(admin_client, "/users", {"email": email.upper(), "password": PASSWORD})
    assert dup.status_code == 400 and "A user with this e-mail address exists." in dup.text


async def test_reset_password_generated_and_given(admin_client: httpx.AsyncClient, cpo: TenantCtx) -> None:
    user = await make_user(cpo.id)
    reset = await post_form(admin_client, f"/users/{user['id']}/password", {"password": ""}, follow_redirects=True)
    generated = re.search(r'data-testid="generated-password">([^<]+)<', reset.text)
    assert generated is not None
    assert await logins.authenticate(user["email"], PASSWORD) is None
    assert await logins.authenticate(user["email"], generated.group(1)) is not None
    given = await post_form(admin_client, f"/users/{user['id']}/password", {"password": "gesetztes-passwort"})
    assert given.status_code == 303
    assert await logins.authenticate(user["email"], "gesetztes-passwort") is not None
    short = await post_form(admin_client, f"/users/{user['id']}/password", {"password": "x"})
    assert short.status_code == 400 and "At least 10 characters." in short.text


async def test_deactivated_user_is_logged_out_and_cannot_log_in(
    admin_client: httpx.AsyncClient, cpo: TenantCtx
) -> None:
    user = await make_user(cpo.id, permissions=[Permission.INFRASTRUCTURE_VIEW.value])
    async with app_client() as client:
        await login(client, user["email"])
        assert (await client.get("/infrastructure/locations")).status_code == 200
        off = await post_form(admin_client, f"/users/{user['id']}", {"name": "x", "active": "off"})
        assert off.status_code == 303
        out = await client.get("/infrastructure/locations", follow_redirects=False)
        assert out.status_code == 303 and out.headers["location"].startswith("/login")
        refused = await post_form(client, "/login", {"email": user["email"], "password": PASSWORD})
        assert refused.status_code == 400
        await post_form(admin_client, f"/users/{user['id']}", {"name": "x", "active": "on"})
        await login(client, user["email"])


async def test_group_switches_take_effect_on_the_next_request(
    admin_client: httpx.AsyncClient, cpo: TenantCtx, unique: str
) -> None:
    created = await post_form(admin_client, "/groups", {"name": f"Leser {unique}", "description": "nur lesen"})
    assert created.status_code == 303
    group_url = created.headers["location"]
    group_id = int(group_url.rsplit("/", 1)[1])
    member = await make_user(cpo.id)
    await users.update_user(cpo.actor, member["id"], {"groups": [str(group_id)]})
    async with app_client() as client:
        await login(client, member["email"])
        assert (await client.get("/infrastructure/locations")).status_code == 403
        home = await client.get("/")
        assert 'href="/infrastructure/overview"' not in home.text
        # The switch flipped with HTMX: saved at once, answered with the switch as stored.
        on = await admin_client.post(
            f"/groups/{group_id}/permission", data={"permission": "infrastructure.view", "enabled": "on"},
            headers={"hx-request": "true", "x-csrftoken": csrf_of(admin_client)},
        )  # fmt: skip
        assert (
            on.status_code == 200
            and 'data-testid="state" data-state="on"' in on.text
            and 'data-testid="switch-infrastructure.view"' in on.text
        )
        assert (await client.get("/infrastructure/locations")).status_code == 200
        assert 'href="/infrastructure/overview"' in (await client.get("/")).text
        off = await post_form(admin_client, f"/groups/{group_id}/permission", {"permission": "infrastructure.view"})
        assert off.status_code == 200 and 'data-testid="state" data-state="off"' in off.text
        assert (await client.get("/infrastructure/locations")).status_code == 403
        # The whole form saves the switches too.
        saved = await post_form(
            admin_client, group_url, {"name": f"Leser {unique}", "permissions": ["infrastructure.view", "users.manage"]}
        )
        assert saved.status_code == 303
        assert (await client.get("/users")).status_code == 200
    group = await users.get_group(cpo.actor, group_id)
    assert sorted(group["permissions"]) == ["infrastructure.view", "users.manage"]


async def test_group_pages_list_toggles_by_area_translated(
    admin_client: httpx.AsyncClient, cpo: TenantCtx, unique: str
) -> None:
    group = await users.create_group(cpo.actor, {"name": f"Betrieb {unique}", "permissions": ["users.cost_approval"]})
    listing = await admin_client.get("/groups")
    assert f"Betrieb {unique}" in listing.text and "Enable cost approval" in listing.text
    await post_form(admin_client, "/lang", {"language": "de", "next": "/"})
    page = await admin_client.get(f"/groups/{group['id']}")
    assert page.status_code == 200
    text = page.text
    assert "Infrastruktur-Verwaltung" in text and "Benutzerverwaltung" in text
    assert "Aktiviert den Tab" in text and "Betriebsführung" in text
    assert "Kostenfreigabe aktivieren" in text
    switch = text.split('data-testid="switch-users.cost_approval"')[1].split("</label>")[0]
    assert 'data-testid="state" data-state="on"' in switch
    assert re.search(r'value="users.cost_approval" checked\s+hx-post="/groups/\d+/permission"', switch)
    assert text.count('role="switch"') == len(Permission)


async def test_delete_group_removes_its_permissions(admin_client: httpx.AsyncClient, cpo: TenantCtx) -> None:
    member = await make_user(cpo.id, permissions=["infrastructure.view"])
    user = await users.get_scoped_user(cpo.actor, member["id"])
    deleted = await post_form(admin_client, f"/groups/{user['groups'][0]}/delete", {})
    assert deleted.status_code == 303
    actor = await logins.actor_for_user(member)
    assert not actor.can(Permission.INFRASTRUCTURE_VIEW)
    assert (await admin_client.get(f"/groups/{user['groups'][0]}")).status_code == 404


async def test_self_lockout_and_last_admin(admin_client: httpx.AsyncClient, cpo: TenantCtx) -> None:
    me = cpo.admin["id"]
    not_admin = await post_form(admin_client, f"/users/{me}", {"name": "Ich", "active": "on", "is_admin": "off"})
    assert not_admin.status_code == 400 and "You cannot remove your own administrator rights." in not_admin.text
    inactive = await post_form(admin_client, f"/users/{me}", {"name": "Ich", "active": "off", "is_admin": "on"})
    assert inactive.status_code == 400 and "You cannot deactivate yourself." in inactive.text
    row = await _user_by_email(cpo.admin["email"])
    assert row["is_admin"] and row["active"]
    # A second admin may not remove the last other admin either once the first is gone.
    second = await make_user(cpo.id, is_admin=True)
    second_actor = await logins.actor_for_user(second)
    await users.update_user(second_actor, me, {"is_admin": False})  # two admins: allowed
    with pytest.raises(PermissionDenied):
        await users.update_user(
            await logins.actor_for_user(await _user_by_email(cpo.admin["email"])), second["id"], {"active": False}
        )
    # (no longer an admin: cannot touch an admin)
    other_admin = await make_user(cpo.id, is_admin=True)
    await users.update_user(second_actor, other_admin["id"], {"active": False})
    with pytest.raises(ValidationError) as last:
        await users.update_user(await logins.actor_for_user(other_admin), second["id"], {"is_admin": False})
    assert "The last administrator of a tenant cannot be removed." in str(last.value)


async def test_user_manager_without_admin_rights_cannot_escalate(cpo: TenantCtx, unique: str) -> None:
    manager = await make_user(cpo.id, permissions=[Permission.USERS_MANAGE.value])
    strong = await users.create_group(cpo.actor, {"name": f"Stark {unique}", "permissions": ["ocpp.commands"]})
    async with app_client() as client:
        await login(client, manager["email"])
        page = await client.get(f"/users/{manager['id']}")
        assert page.status_code == 200 and 'name="is_admin" value="on"' not in page.text
        before = await stored_rows(cpo.id)
        grant = await post_form(client, "/groups", {"name": f"X {unique}", "permissions": ["ocpp.commands"]})
        assert grant.status_code == 400 and "nur Rechte vergeben, die Sie selbst haben" in grant.text
        join = await post_form(
            client, f"/users/{manager['id']}", {"name": "m", "active": "on", "groups": str(strong["id"])}
        )
        assert join.status_code == 400
        admin_edit = await post_form(client, f"/users/{cpo.admin['id']}", {"name": "gekapert", "active": "on"})
        assert admin_edit.status_code == 403
        admin_reset = await post_form(client, f"/users/{cpo.admin['id']}/password", {"password": "gekapert-123456"})
        assert admin_reset.status_code == 403
        make_admin = await post_form(
            client, "/users", {"email": f"a-{unique}@example.test", "password": PASSWORD, "is_admin": "on"}
        )
        assert make_admin.status_code == 400
    assert await stored_rows(cpo.id) == before  # no group, membership, user, name or password was written
    assert await logins.authenticate(cpo.admin["email"], PASSWORD) is not None


async def test_another_tenants_users_and_groups_are_not_found(
    admin_client: httpx.AsyncClient, other_cpo: TenantCtx, unique: str
) -> None:
    foreign_user = await make_user(other_cpo.id)
    foreign_group = await users.create_group(other_cpo.actor, {"name": f"Fremd {unique}"})
    for url in (f"/users/{foreign_user['id']}", f"/groups/{foreign_group['id']}"):
        assert (await admin_client.get(url)).status_code == 404
    for url, data in (
        (f"/users/{foreign_user['id']}", {"name": "x", "active": "off"}),
        (f"/users/{foreign_user['id']}/password", {"password": "fremdes-passwort"}),
        (f"/groups/{foreign_group['id']}", {"name": "x"}),
        (f"/groups/{foreign_group['id']}/permission", {"permission": "users.manage", "enabled": "on"}),
        (f"/groups/{foreign_group['id']}/delete", {}),
    ):
        assert (await post_form(admin_client, url, data)).status_code == 404, url
    # Another tenant's group cannot be assigned either.
    mine = await post_form(
        admin_client,
        "/users",
        {"email": f"g-{unique}@example.test", "password": PASSWORD, "groups": str(foreign_group["id"])},
    )
    assert mine.status_code == 400
    listing = (await admin_client.get("/users")).text + (await admin_client.get("/groups")).text
    assert foreign_user["email"] not in listing and f"Fremd {unique}" not in listing
    still = await users.get_group(other_cpo.actor, foreign_group["id"])
    assert still["name"] == f"Fremd {unique}" and still["permissions"] == []
    assert (await users.get_scoped_user(other_cpo.actor, foreign_user["id"]))["active"] is True


async def test_reseller_manages_its_sub_cpos_users(unique: str) -> None:
    reseller = await make_tenant(kind="RESELLER")
    sub = await make_tenant(parent_id=reseller.id)
    stranger = await make_tenant()
    sub_group = await users.create_group(sub.actor, {"name": f"Sub {unique}"})
    async with app_client() as client:
        await login(client, reseller.admin["email"])
        listing = await client.get("/users")
        assert sub.admin["email"] in listing.text and stranger.admin["email"] not in listing.text
        form = await client.get("/users/new")
        assert f'value="{sub.id}"' in form.text
        created = await post_form(
            client, "/users",
            {"email": f"sub-{unique}@example.test", "password": PASSWORD, "tenant": str(sub.id),
             "groups": str(sub_group["id"]), "active": "on"},
        )  # fmt: skip
        assert created.status_code == 303, created.text
        user = await _user_by_email(f"sub-{unique}@example.test")
        assert user["tenant"] == sub.id
        page = await client.get(f"/users/{user['id']}")
        assert 'data-testid="user-tenant"' in page.text and sub.tenant["name"] in page.text
        assert f"Sub {unique}" in page.text  # the sub-CPO's groups are offered for its user
        foreign = await post_form(
            client, "/users", {"email": f"x-{unique}@example.test", "password": PASSWORD, "tenant": str(stranger.id)}
        )
        assert foreign.status_code == 404
    async with app_client() as client:
        await login(client, sub.admin["email"])
        assert (await client.get(f"/users/{reseller.admin['id']}")).status_code == 404
        assert reseller.admin["email"] not in (await client.get("/users")).text


@pytest.fixture
async def member_client(cpo: TenantCtx) -> AsyncIterator[tuple[httpx.AsyncClient, dict]]:
    member = await make_user(cpo.id, permissions=[])
    async with app_client() as client:
        await login(client, member["email"])
        yield client, member


async def test_profile_name_language_and_password(member_client: tuple[httpx.AsyncClient, dict]) -> None:
    client, member = member_client
    page = await client.get("/profile")
    assert page.status_code == 200 and member["email"] in page.text and 'data-testid="profile-link"' in page.text
    assert "Standard des Mandanten" in page.text and "Noch keine." in page.text  # no permissions yet
    assert (await client.get("/users")).status_code == 403
    saved = await post_form(client, "/profile", {"name": "Erika Muster", "language": "en"})
    assert saved.status_code == 303
    english = await client.get("/profile")
    assert 'lang="en"' in english.text and "Erika Muster" in english.text and "Change password" in english.text
    await post_form(client, "/profile", {"name": "Erika Muster", "language": "de"})
    german = await client.get("/profile")
    assert 'lang="de"' in german.text and "Passwort ändern" in german.text
    wrong = await post_form(
        client, "/profile/password",
        {"current_password": "falsch-falsch", "new_password": "neues-pw-123", "repeat_password": "neues-pw-123"},
    )  # fmt: skip
    assert wrong.status_code == 400 and "Das aktuelle Passwort ist falsch." in wrong.text
    mismatch = await post_form(
        client, "/profile/password",
        {"current_password": PASSWORD, "new_password": "neues-passwort-1", "repeat_password": "anderes-passwort"},
    )  # fmt: skip
    assert mismatch.status_code == 400
    changed = await post_form(
        client, "/profile/password",
        {"current_password": PASSWORD, "new_password": "neues-passwort-1", "repeat_password": "neues-passwort-1"},
    )  # fmt: skip
    assert changed.status_code == 303
    assert await logins.authenticate(member["email"], "neues-passwort-1") is not None
    row = await _user_by_email(member["email"])
    assert row["name"] == "Erika Muster" and row["language"] == "de" and not row["is_admin"]
