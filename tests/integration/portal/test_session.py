from core.settings import get_settings
from tests.support import TenantCtx, app_client, login, make_user, post_form


async def test_login_shows_dashboard_and_logout_ends_session(cpo: TenantCtx) -> None:
    async with app_client() as client:
        response = await client.get("/", follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login")
        await login(client, cpo.admin["email"])
        page = await client.get("/")
        assert page.status_code == 200
        assert 'data-testid="status-tiles"' in page.text
        assert cpo.admin["email"] in page.text
        await post_form(client, "/logout", {}, follow_redirects=False)
        again = await client.get("/", follow_redirects=False)
        assert again.status_code == 303


async def test_wrong_password_is_refused_with_a_message(cpo: TenantCtx) -> None:
    async with app_client() as client:
        page = await client.get("/login")
        assert page.status_code == 200
        response = await post_form(client, "/login", {"email": cpo.admin["email"], "password": "nope"})
        assert response.status_code == 400
        assert "E-Mail oder Passwort ist falsch." in response.text or "E-mail or password is wrong." in response.text
        assert cpo.admin["email"] in response.text  # what the user typed is kept


async def test_login_is_throttled_after_repeated_failures(cpo: TenantCtx) -> None:
    user = await make_user(cpo.id)
    async with app_client() as client:
        for _ in range(get_settings().login_max_failures):
            response = await post_form(client, "/login", {"email": user["email"], "password": "wrong"})
            assert response.status_code == 400
        # Even the right password is refused during the lock-out.
        response = await post_form(client, "/login", {"email": user["email"], "password": "correct-horse-battery"})
        assert response.status_code == 429


async def test_form_without_csrf_token_is_refused(cpo: TenantCtx) -> None:
    async with app_client() as client:
        await client.get("/login")
        response = await client.post("/login", data={"email": cpo.admin["email"], "password": "correct-horse-battery"})
        assert response.status_code == 403


async def test_language_switch_and_tenant_default(cpo: TenantCtx) -> None:
    async with app_client() as client:
        await login(client, cpo.admin["email"])
        german = await client.get("/")
        assert 'lang="de"' in german.text  # tenant in DE: German by default
        await post_form(client, "/lang", {"language": "en", "next": "/"}, follow_redirects=False)
        english = await client.get("/")
        assert 'lang="en"' in english.text
        assert "Log out" in english.text


async def test_open_redirect_after_login_is_prevented(cpo: TenantCtx) -> None:
    async with app_client() as client:
        page = await client.get("/login")
        assert page.status_code == 200
        response = await post_form(
            client,
            "/login",
            {"email": cpo.admin["email"], "password": "correct-horse-battery", "next": "//evil.example/"},
            follow_redirects=False,
        )
        assert response.headers["location"] == "/"
