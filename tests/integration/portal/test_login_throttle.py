"""Login throttling (core.tenancy.logins): per source address and per account, and the real user still gets in:
from a browser that logged in before (device cookie), after the growing delay, or after a password reset."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import httpx

from core.settings import get_settings
from core.tenancy.tables import LoginAttempt
from tests.support import PASSWORD, TenantCtx, app_client, client_address, make_user, post_form

SETTINGS = get_settings()


async def try_login(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    page = await client.get("/login")
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    data = {"email": email, "password": password, "_csrf_token": token.group(1)}
    return await client.post("/login", data=data)


async def fail_from_new_addresses(email: str, times: int) -> None:
    """An attacker who changes address for every guess (while the account is not slowed down)."""
    for _ in range(times):
        async with app_client() as attacker:
            assert (await try_login(attacker, email, "wrong-guess")).status_code == 400


async def age_failures(email: str, seconds: int) -> None:
    """Time passes for the account's failures (the throttle reads only these rows)."""
    rows = await LoginAttempt.select(LoginAttempt.id, LoginAttempt.created_at).where(LoginAttempt.email == email)
    for row in rows:
        older = row["created_at"] - timedelta(seconds=seconds)
        await LoginAttempt.update({LoginAttempt.created_at: older}).where(LoginAttempt.id == row["id"])


async def test_one_address_cannot_try_many_accounts(cpo: TenantCtx) -> None:
    user = await make_user(cpo.id)
    address = client_address()
    async with app_client(address) as attacker:
        for _ in range(SETTINGS.login_max_failures_per_address):
            email = f"guess-{uuid.uuid4().hex[:8]}@example.test"  # a new account each time: no account limit holds
            assert (await try_login(attacker, email, "wrong-guess")).status_code == 400
        throttled = await try_login(attacker, user["email"], PASSWORD)
        assert throttled.status_code == 429
        assert 0 < int(throttled.headers["retry-after"]) <= SETTINGS.login_lockout_seconds
        assert "Too many failed attempts" in throttled.text or "Zu viele Fehlversuche" in throttled.text
    async with app_client() as elsewhere:
        assert (await try_login(elsewhere, user["email"], PASSWORD)).status_code == 303


async def test_an_account_slows_down_with_a_growing_delay_and_the_user_gets_in_after_it(cpo: TenantCtx) -> None:
    user = await make_user(cpo.id)
    await fail_from_new_addresses(user["email"], SETTINGS.login_max_failures)
    async with app_client() as real_user:  # a browser that never logged in before: no device cookie
        first = await try_login(real_user, user["email"], PASSWORD)
        assert first.status_code == 429 and 0 < int(first.headers["retry-after"]) <= 30
        await age_failures(user["email"], 31)
        assert (await try_login(real_user, user["email"], PASSWORD)).status_code == 303

    other = await make_user(cpo.id)  # one failure more, after the first delay: the delay doubles
    await fail_from_new_addresses(other["email"], SETTINGS.login_max_failures)
    await age_failures(other["email"], 31)
    await fail_from_new_addresses(other["email"], 1)
    async with app_client() as real_user:
        await age_failures(other["email"], 31)
        assert (await try_login(real_user, other["email"], PASSWORD)).status_code == 429
        await age_failures(other["email"], 30)
        assert (await try_login(real_user, other["email"], PASSWORD)).status_code == 303


async def test_the_real_users_browser_gets_in_while_strangers_are_slowed_down(cpo: TenantCtx) -> None:
    user = await make_user(cpo.id)
    async with app_client() as real_user:
        assert (await try_login(real_user, user["email"], PASSWORD)).status_code == 303
        assert real_user.cookies.get("csms_device")  # the proof of this login, kept for the next one
        await post_form(real_user, "/logout", {})

        await fail_from_new_addresses(user["email"], SETTINGS.login_max_failures)
        async with app_client() as stranger:
            assert (await try_login(stranger, user["email"], PASSWORD)).status_code == 429
        assert (await try_login(real_user, user["email"], PASSWORD)).status_code == 303
        await post_form(real_user, "/logout", {})

        # The browser's own failures slow down the browser, as anybody's.
        for _ in range(SETTINGS.login_max_failures):
            assert (await try_login(real_user, user["email"], "typo")).status_code == 400
        assert (await try_login(real_user, user["email"], PASSWORD)).status_code == 429


async def test_a_forged_device_cookie_is_no_way_around_the_throttle(cpo: TenantCtx) -> None:
    user = await make_user(cpo.id)
    await fail_from_new_addresses(user["email"], SETTINGS.login_max_failures)
    async with app_client() as attacker:
        attacker.cookies.set("csms_device", f"{user['id']}.nonce.{'0' * 32}", domain="testserver.local", path="/login")
        assert (await try_login(attacker, user["email"], PASSWORD)).status_code == 429


async def test_a_password_reset_lifts_the_delay(cpo: TenantCtx, admin_client: httpx.AsyncClient) -> None:
    user = await make_user(cpo.id)
    await fail_from_new_addresses(user["email"], SETTINGS.login_max_failures)
    async with app_client() as real_user:
        assert (await try_login(real_user, user["email"], PASSWORD)).status_code == 429
        reset = await post_form(admin_client, f"/users/{user['id']}/password", {"password": "reset-by-admin-2026"})
        assert reset.status_code == 303
        assert (await try_login(real_user, user["email"], "reset-by-admin-2026")).status_code == 303
