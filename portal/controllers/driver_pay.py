"""The driver's pages (issue 15): ``/pay/{evse_id}`` opened by a charge point's QR code, without a login.

Server-rendered with their own small base template (portal/templates/pay/), HTMX only for the live status and the
progress. Forms carry the session's CSRF token (portal.csrf works for an anonymous cookie session too); paying is
throttled per address. Rules in core.payments.driver; this controller only maps its answers to pages.

Every GET only reads (a prefetcher, a link scanner or a reload must not start a charge): the provider's return URL
shows a page that continues by POST, and the pages show time-based outcomes that recovery writes later.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect

from core import attempts
from core.payments import driver, sandbox, service
from core.payments.provider import (
    CANCELLED_QUERY,
    CardEntry,
    ProviderError,
    WebhookRejected,
    card_entry_of,
    webhook_handler,
)
from core.payments.states import PaymentState
from core.settings import get_settings
from portal import i18n
from portal.auth import client_address
from portal.templating import render

AnyRequest = Request[Any, Any, Any]
S = PaymentState
PAY_ATTEMPTS = 10  # payments one address may start ...
PAY_WINDOW = 600.0  # ... within this many seconds
RUNNING = (S.SESSION_STARTING, S.CHARGING)
FORWARD = "forward"  # /pay/p/{uid}?forward=1: the payment's page sends the browser on to the provider's page at once
WAITING_FOR_PROVIDER = (S.CREATED, S.AUTHORISING, S.CHALLENGE, S.AUTHORISED)  # the return page goes on from these
# what each payment state (and failure) shows; the templates are in portal/templates/pay/
FAILURE_PAGES = {
    "offline": "pay/failure_offline.html",
    "occupied": "pay/failure_occupied.html",
    "faulted": "pay/failure_occupied.html",
    "no_price": "pay/offer.html",
    "declined": "pay/failure_declined.html",
    "start_failed": "pay/failure_not_started.html",
}


def _page(request: AnyRequest, template: str, context: dict[str, Any], status_code: int = 200) -> Response[str]:
    return render(request, template, {"next": request.url.path, **context}, status_code=status_code)


def not_found(request: AnyRequest) -> Response[str]:
    return _page(request, "pay/not_found.html", {}, status_code=404)


def _payment_url(payment: dict[str, Any]) -> str:
    return f"/pay/p/{payment['uid']}"


def _return_url() -> str:
    return f"{get_settings().public_url}/pay/p/{{uid}}/return"


async def _start_if_authorised(payment: dict[str, Any]) -> dict[str, Any]:
    if payment["state"] != S.AUTHORISED:
        return payment
    try:
        return await driver.start(payment["uid"])
    except service.StateConflict:  # a second tab or request started it
        return await service.get_payment_by_uid(payment["uid"]) or payment


class DriverPayController(Controller):
    path = "/pay"
    include_in_schema = False

    @get("/{evse_id:str}")
    async def offer(self, request: AnyRequest, evse_id: str) -> Response[str]:
        offer = await driver.offer(evse_id)
        if offer is None:
            return not_found(request)
        return _page(request, "pay/offer.html", {**offer, "values": {}, "errors": {}, "evse_id": evse_id})

    @get("/{evse_id:str}/status")
    async def status(self, request: AnyRequest, evse_id: str) -> Response[str]:
        """The live status (polled by the offer page)."""
        offer = await driver.offer(evse_id)
        if offer is None:
            return not_found(request)
        return _page(request, "pay/_status.html", {**offer, "evse_id": evse_id})

    @post("/{evse_id:str}")
    async def pay(self, request: AnyRequest, evse_id: str) -> Response[Any]:
        if await driver.charge_point_by_evse(evse_id) is None:  # the offer is read only for a page to show
            return not_found(request)
        form = dict(await request.form())
        (count,) = await attempts.store().add([f"pay:{client_address(request)}"], PAY_WINDOW)
        if count.count > PAY_ATTEMPTS:
            return _page(request, "pay/too_many.html", {"evse_id": evse_id}, status_code=429)
        card = None
        if driver.card_entry() is CardEntry.INLINE:  # the sandbox's own form; a provider's page takes a real card
            card = driver.CardForm(str(form.get("card_number", "")), str(form.get("card_expiry", "")),
                                   str(form.get("card_cvc", "")))  # fmt: skip
        try:
            payment = await driver.pay(
                evse_id, email=str(form.get("email", "")), language=i18n.current_language.get(),
                payment_method=card.number.replace(" ", "") if card else "", return_url=_return_url(),
                accepted_terms=form.get("terms") == "on", card=card,
            )  # fmt: skip
        except driver.DriverError as exc:
            offer = await driver.offer(evse_id)
            if offer is None:
                return not_found(request)
            if exc.code == "form":
                values = {k: v for k, v in form.items() if k in ("email", "terms")}
                context = {**offer, "values": values, "errors": exc.errors, "evse_id": evse_id}
                return _page(request, "pay/offer.html", context, status_code=400)
            context = {**offer, "availability": exc.code, "values": {}, "errors": {}, "evse_id": evse_id}
            return _page(request, FAILURE_PAGES.get(exc.code, "pay/failure_offline.html"), context, status_code=409)
        if payment["state"] == S.CHALLENGE and payment["challenge_url"]:
            own = _local(payment["challenge_url"])
            if own is not None:  # the sandbox's challenge page
                return Redirect(own, status_code=303)
            # the bank's or provider's page on another host: a form may only lead to csms itself (CSP form-action
            # 'self', which browsers apply to the redirects after a form too), so csms's own page forwards there
            return Redirect(f"{_payment_url(payment)}?{FORWARD}=1", status_code=303)
        await _start_if_authorised(payment)
        return Redirect(_payment_url(payment), status_code=303)

    @get("/sandbox/challenge/{reference:str}")
    async def challenge(self, request: AnyRequest, reference: str) -> Response[str]:
        """The sandbox's 3-D Secure page: the driver confirms or refuses (a real issuer's page does this)."""
        payment = await service.payment_by_reference("sandbox", reference)
        if payment is None or payment["state"] != S.CHALLENGE:
            return not_found(request)
        return _page(request, "pay/challenge.html", {"payment": payment, "reference": reference})

    @post("/sandbox/challenge/{reference:str}")
    async def answer_challenge(self, request: AnyRequest, reference: str) -> Response[Any]:
        payment = await service.payment_by_reference("sandbox", reference)
        if payment is None:
            return not_found(request)
        form = await request.form()
        try:
            await sandbox.complete_challenge(reference, approve=form.get("answer") == "approve")
        except ProviderError:  # answered already (a second tab): the payment shows what happened
            return Redirect(_payment_url(payment), status_code=303)
        payment = await driver.after_challenge(payment["uid"])
        await _start_if_authorised(payment)
        return Redirect(_payment_url(payment), status_code=303)

    @get("/p/{uid:str}/return")
    async def back_from_provider(self, request: AnyRequest, uid: str) -> Response[Any]:
        """Where a provider's page (3-D Secure) sends the driver back to: reads only, and shows a form that goes on
        by POST at once (a small script submits it; without script the driver presses the button)."""
        payment = await service.get_payment_by_uid(uid)
        if payment is None:
            return not_found(request)
        if payment["state"] not in WAITING_FOR_PROVIDER:
            return Redirect(_payment_url(payment), status_code=303)  # nothing to go on with: the page shows it
        query = request.url.query  # what the provider added (its reference) goes on with the POST
        action = f"/pay/p/{payment['uid']}/return" + (f"?{query}" if query else "")
        return _page(request, "pay/returning.html", {"payment": payment, "action": action})

    @post("/p/{uid:str}/return")
    async def continue_from_provider(self, request: AnyRequest, uid: str) -> Response[Any]:
        return await continue_after_provider(request, uid)

    @get("/p/{uid:str}")
    async def payment(self, request: AnyRequest, uid: str) -> Response[str]:
        try:
            state = await driver.progress(uid)
        except driver.DriverError:
            return not_found(request)
        forward = request.query_params.get(FORWARD) == "1" and state["payment"]["state"] == S.CHALLENGE
        return _page(request, _template_of(state), {**_context(state), "forward": forward})

    @get("/p/{uid:str}/progress")
    async def progress(self, request: AnyRequest, uid: str) -> Response[str]:
        """The progress fragment the charging page polls; once the session is over, the page is loaded anew."""
        try:
            state = await driver.progress(uid)
        except driver.DriverError:
            return not_found(request)
        if state["payment"]["state"] not in RUNNING:
            return Response("", headers={"HX-Redirect": _payment_url(state["payment"])})
        return _page(request, "pay/_progress.html", _context(state))

    @post("/p/{uid:str}/stop")
    async def stop(self, request: AnyRequest, uid: str) -> Response[Any]:
        try:
            payment = await driver.stop(uid)
        except driver.DriverError as exc:
            if exc.code == "unknown":
                return not_found(request)
            state = await driver.progress(uid)
            return _page(request, "pay/charging.html", {**_context(state), "stop_refused": True}, status_code=409)
        return Redirect(_payment_url(payment), status_code=303)

    @post("/webhooks/{provider:str}")
    async def webhook(self, request: AnyRequest, provider: str) -> Response[Any]:
        """A payment provider's webhook (no CSRF: the provider signs it; portal.csrf leaves /pay/webhooks/ alone)."""
        handler = webhook_handler(provider)
        if handler is None:
            return Response({"error": "unknown provider"}, status_code=404)
        try:
            await handler(await request.body(), request.headers.get("stripe-signature", ""))
        except WebhookRejected as exc:
            return Response({"error": str(exc)}, status_code=400)
        return Response({"received": True}, status_code=200)


async def continue_after_provider(request: AnyRequest, uid: str) -> Response[Any]:
    """The driver is back from the provider's page and goes on (POST): ask the provider what it decided and, when
    the money is held, start the charge point (``?cancelled=1``: the driver gave up there). The one place a
    provider's return is handled."""
    name, _, value = CANCELLED_QUERY.partition("=")
    try:
        payment = await driver.after_challenge(uid, cancelled=request.query_params.get(name) == value)
    except driver.DriverError:
        return not_found(request)
    await _start_if_authorised(payment)
    return Redirect(_payment_url(payment), status_code=303)


def _local(url: str) -> str | None:
    """A challenge URL of our own sandbox as a path (the driver stays on this host); None for another host's."""
    if not url.startswith(get_settings().public_url + "/"):
        return None
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _template_of(state: dict[str, Any]) -> str:
    payment = state["payment"]
    current = payment["state"]
    if current in RUNNING:
        return "pay/charging.html"
    if current == S.CHALLENGE:
        return "pay/challenge_pending.html"
    if current == S.DECLINED:
        return FAILURE_PAGES["declined"]
    if current == S.RELEASED and state["session"] is None:
        if payment["failure"] in service.ABANDONED:
            return "pay/cancelled.html"
        return FAILURE_PAGES["start_failed"] if payment["failure"] else "pay/released.html"
    if current in (S.AUTHORISING, S.AUTHORISED, S.CREATED):
        return "pay/waiting.html"
    return "pay/ended_by_car.html" if driver.ended_by_car(state["session"]) else "pay/done.html"


def _context(state: dict[str, Any]) -> dict[str, Any]:
    return {**state, "uid": state["payment"]["uid"], "hosted": _hosted(state["payment"]["provider"])}


def _hosted(provider: str) -> bool:
    """Whether the payment's provider has its own payment page (a provider no longer configured: no)."""
    try:
        return card_entry_of(provider) is CardEntry.HOSTED
    except ProviderError:
        return False
