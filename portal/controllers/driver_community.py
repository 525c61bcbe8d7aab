"""Community charging's driver page (issue 15): ``/driver`` for invited drivers, without a password.

- ``GET /driver/link/{token}`` shows what the link does and a button; only the button's POST uses the link (a mail
  scanner that fetches the address does not use it up). Used, expired or unknown links get their own page.
- The POST starts a driver session: a random token in the cookie ``csms_driver`` (HttpOnly, SameSite=Lax, only
  below /driver), hashed and revocable on the server, separate from staff sessions.
- ``/driver`` shows the member's sessions, cards and statements, or the form "request a link by e-mail", which
  answers the same whether or not the address is a member; requests and failed link openings are throttled.
Rules in core.community.links and core.community.statements.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect

from core.community import communities, links, statements
from core.community.links import LinkOutcome
from core.errors import NotFound, Throttled
from portal.auth import client_address
from portal.templating import render

AnyRequest = Request[Any, Any, Any]
OUTCOME_STATUS = {LinkOutcome.USED: 410, LinkOutcome.EXPIRED: 410, LinkOutcome.INVALID: 404}


async def _member(request: AnyRequest) -> dict[str, Any] | None:
    return await links.member_of_session(request.cookies.get(links.COOKIE, ""))


def _too_many(request: AnyRequest, exc: Throttled) -> Response[str]:
    return render(request, "driver/too_many.html", {"next": "/driver"}, status_code=429,
                  headers={"Retry-After": str(exc.retry_after)})  # fmt: skip


def _outcome_page(request: AnyRequest, outcome: LinkOutcome) -> Response[str]:
    context = {"next": "/driver", "outcome": outcome.value}
    return render(request, "driver/link_outcome.html", context, status_code=OUTCOME_STATUS[outcome])


class DriverCommunityController(Controller):
    path = "/driver"
    include_in_schema = False

    @get("/")
    async def home(self, request: AnyRequest) -> Response[str]:
        member = await _member(request)
        if member is None:
            return render(request, "driver/login.html", {"next": "/driver", "sent": False})
        cards = (await communities.cards_of_members([member["id"]])).get(member["id"], [])
        context = {
            "next": "/driver", "member": member, "cards": cards,
            "sessions": await statements.member_sessions(member["id"]),
            "statements": await statements.member_statements(member["id"]),
            "community": await statements.community_name(member["community"]),
        }  # fmt: skip
        return render(request, "driver/home.html", context)

    @post("/login")
    async def request_link(self, request: AnyRequest) -> Response[str]:
        email = str((await request.form()).get("email", ""))[:254]
        try:
            await links.request_login_links(email, client_address(request))
        except Throttled as exc:
            return _too_many(request, exc)
        return render(request, "driver/login.html", {"next": "/driver", "sent": True})

    @get("/link/{link_token:str}")
    async def show_link(self, request: AnyRequest, link_token: str) -> Response[str]:
        try:
            outcome = await links.peek_link(link_token[:100], client_address(request))
        except Throttled as exc:
            return _too_many(request, exc)
        if outcome is not LinkOutcome.OK:
            return _outcome_page(request, outcome)
        return render(request, "driver/link.html", {"next": "/driver", "token": link_token})

    @post("/link/{link_token:str}")
    async def use_link(self, request: AnyRequest, link_token: str) -> Response[Any]:
        try:
            opened = await links.use_link(link_token[:100], client_address(request))
        except Throttled as exc:
            return _too_many(request, exc)
        if opened.outcome is not LinkOutcome.OK:
            return _outcome_page(request, opened.outcome)
        member = await links.member_of_session(opened.session_token)
        session = dict(request.session or {})
        if member is not None and not session.get("lang"):
            session["lang"] = member["language"]  # the driver's language until it switches
            request.set_session(session)
        response: Response[Any] = Redirect("/driver", status_code=303)
        response.set_cookie(links.COOKIE, opened.session_token, path="/driver", httponly=True, samesite="lax",
                            secure=request.url.scheme == "https", max_age=links.SESSION_DAYS * 86400)  # fmt: skip
        return response

    @post("/logout")
    async def logout(self, request: AnyRequest) -> Response[Any]:
        await links.end_session(request.cookies.get(links.COOKIE, ""))
        response: Response[Any] = Redirect("/driver", status_code=303)
        response.delete_cookie(links.COOKIE, path="/driver")
        return response

    @get("/statements/{statement_id:int}")
    async def statement(self, request: AnyRequest, statement_id: int) -> Response[Any]:
        member = await _member(request)
        if member is None:
            return Redirect("/driver", status_code=303)
        try:
            found = await statements.member_statement(member["id"], statement_id)
        except NotFound:
            return render(request, "driver/not_found.html", {"next": "/driver"}, status_code=404)
        return render(request, "driver/statement.html", {"next": request.url.path, "statement": found})
