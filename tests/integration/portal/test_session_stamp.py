"""A new password ends the user's other portal sessions; the session that changed it carries on."""

from __future__ import annotations

from tests.support import TenantCtx, app_client, login, make_user, post_form

NEW_PASSWORD = "a-brand-new-password-2026"


async def test_own_password_change_ends_other_sessions(cpo: TenantCtx) -> None:
    email = cpo.admin["email"]
    async with app_client() as here, app_client() as elsewhere:
        await login(here, email)
        await login(elsewhere, email)
        assert (await elsewhere.get("/", follow_redirects=False)).status_code == 200
        changed = await post_form(
            here, "/profile/password",
            {"current_password": cpo.password, "new_password": NEW_PASSWORD, "repeat_password": NEW_PASSWORD},
            follow_redirects=False,
        )  # fmt: skip
        assert changed.status_code in (200, 303), changed.text
        assert (await here.get("/", follow_redirects=False)).status_code == 200
        gone = await elsewhere.get("/", follow_redirects=False)
        assert gone.status_code in (302, 303) and gone.headers["location"].startswith("/login")
        await login(elsewhere, email, NEW_PASSWORD)
        assert (await elsewhere.get("/", follow_redirects=False)).status_code == 200


async def test_password_reset_by_an_admin_ends_the_users_sessions(cpo: TenantCtx) -> None:
    staff = await make_user(cpo.id)
    async with app_client() as admin, app_client() as user:
        await login(admin, cpo.admin["email"])
        await login(user, staff["email"])
        assert (await user.get("/profile", follow_redirects=False)).status_code == 200
        reset = await post_form(
            admin, f"/users/{staff['id']}/password", {"password": NEW_PASSWORD}, follow_redirects=False
        )
        assert reset.status_code in (200, 303), reset.text
        gone = await user.get("/profile", follow_redirects=False)
        assert gone.status_code in (302, 303) and gone.headers["location"].startswith("/login")
