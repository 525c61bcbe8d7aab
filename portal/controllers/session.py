"""Log in, log out, choose the language."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect

from core.errors import Message, Throttled
from core.settings import get_settings
from core.tenancy import logins, staff_sessions, tenants
from portal import i18n
from portal.auth import SESSION_KEY, client_address, requires, session_token
from portal.templating import render

Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
# Proof that this browser logged in before (core.tenancy.logins.device_token), sent only to the login.
DEVICE_COOKIE = "csms_device"
DEVICE_COOKIE_MAX_AGE = 365 * 24 * 3600


def safe_next(target: str | None) -> str:
    """Only local paths, so the login form cannot be turned into an open redirect."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _wait_message(seconds: int) -> str:
    if seconds < 90:
        text = Message("Too many failed attempts. Please wait %(seconds)s seconds and try again.", {"seconds": seconds})
    else:
        text = Message("Too many failed attempts. Please wait %(minutes)s minutes and try again.",
                       {"minutes": (seconds + 59) // 60})  # fmt: skip
    return text.render(i18n.gettext)


class SessionController(Controller):
    @get("/login", name="login")
    async def login_page(self, request: Request[Any, Any, Any], next: str = "/") -> Response[str]:  # noqa: A002
        return render(request, "login.html", {"next": safe_next(next)})

    @post("/login", status_code=200)
    async def login(self, request: Request[Any, Any, Any], data: Form) -> Response[Any]:
        email = data.get("email", "").strip()
        device = request.cookies.get(DEVICE_COOKIE, "")
        address = client_address(request)
        try:
            user = await logins.authenticate(email, data.get("password", ""), address, device)
        except Throttled as exc:
            context = {"error": _wait_message(exc.retry_after), "email": email, "next": data.get("next")}
            headers = {"Retry-After": str(exc.retry_after)}
            return render(request, "login.html", context, status_code=429, headers=headers)
        if user is None:
            error = i18n.gettext("E-mail or password is wrong.")
            return render(
                request, "login.html", {"error": error, "email": email, "next": data.get("next")}, status_code=400
            )
        chosen = request.session.get("lang") if request.session else None
        tenant = await tenants.get_tenant(user["tenant"])
        token = await staff_sessions.start(user["id"], address, request.headers.get("user-agent", ""))
        # A new session (id and CSRF token) at every login, so that nothing planted before it carries over.
        request.clear_session()
        request.set_session({SESSION_KEY: token, "lang": chosen, "tenant_lang": tenants.tenant_language(tenant)})
        response = Redirect(safe_next(data.get("next")), status_code=303)
        if not logins.trusted_device(device, user["id"]):
            response.set_cookie(
                DEVICE_COOKIE, logins.device_token(user["id"]), max_age=DEVICE_COOKIE_MAX_AGE, path="/login",
                httponly=True, secure=get_settings().cookie_secure, samesite="lax",
            )  # fmt: skip
        return response

    @post("/logout", status_code=303, guards=[requires()])
    async def logout(self, request: Request[Any, Any, Any]) -> Redirect:
        await staff_sessions.end(session_token(request))
        request.clear_session()
        return Redirect("/login", status_code=303)

    @post("/lang", status_code=303)
    async def set_language(self, request: Request[Any, Any, Any], data: Form) -> Redirect:
        return self._switch(request, data.get("language", ""), data.get("next"))

    @get("/lang/{language:str}")
    async def set_language_link(self, request: Request[Any, Any, Any], language: str, next: str = "/") -> Redirect:  # noqa: A002
        return self._switch(request, language, next)

    @staticmethod
    def _switch(request: Request[Any, Any, Any], language: str, target: str | None) -> Redirect:
        if language in i18n.LANGUAGES:
            session = dict(request.session) if request.session else {}
            session["lang"] = language
            request.set_session(session)
        return Redirect(safe_next(target), status_code=303)
