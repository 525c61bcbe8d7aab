"""Log in, log out, choose the language."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect

from core.tenancy import logins, tenants
from portal import i18n
from portal.auth import requires
from portal.templating import render

Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]


def safe_next(target: str | None) -> str:
    """Only local paths, so the login form cannot be turned into an open redirect."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


class SessionController(Controller):
    @get("/login", name="login")
    async def login_page(self, request: Request[Any, Any, Any], next: str = "/") -> Response[str]:  # noqa: A002
        return render(request, "login.html", {"next": safe_next(next)})

    @post("/login", status_code=200)
    async def login(self, request: Request[Any, Any, Any], data: Form) -> Response[Any]:
        email = data.get("email", "").strip()
        try:
            user = await logins.authenticate(
                email, data.get("password", ""), request.client.host if request.client else ""
            )
        except logins.LoginThrottled:
            error = i18n.gettext("Too many failed attempts. Please wait a few minutes and try again.")
            return render(request, "login.html", {"error": error, "email": email}, status_code=429)
        if user is None:
            error = i18n.gettext("E-mail or password is wrong.")
            return render(
                request, "login.html", {"error": error, "email": email, "next": data.get("next")}, status_code=400
            )
        chosen = request.session.get("lang") if request.session else None
        tenant = await tenants.get_tenant(user["tenant"])
        request.clear_session()
        request.set_session({
            "user_id": user["id"], "stamp": logins.session_stamp(user), "lang": chosen,
            "tenant_lang": tenants.tenant_language(tenant),
        })  # fmt: skip
        return Redirect(safe_next(data.get("next")), status_code=303)

    @post("/logout", status_code=303, guards=[requires()])
    async def logout(self, request: Request[Any, Any, Any]) -> Redirect:
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
