"""Roaming: OCPI partners (list, add either way, the partner page with its connection, rotate and end) and each
partner's OCPI log (filters, live, CSV). Contract groups and the roaming settings join this area later.

Permissions: roaming.view to read (list, partner page, log), roaming.manage too for every change; a partner
belongs to the tenant that manages it (an EMP tenant, or the hub operator for external platforms), and core filters
by the actor's tenants.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Controller, Response, get, post
from litestar.params import Parameter
from litestar.response import Stream

from core.charging.monitoring import PERIODS, pretty_payload
from core.errors import Conflict, DomainError, Message, NotFound, PermissionDenied, ValidationError
from core.roaming import charged, connections, exchange_log, partner_activity, partners, pushes, session_push
from core.roaming.exchange_log import ExchangeFilter
from core.settings import get_settings
from core.tenancy.actor import Actor
from core.tenancy.permissions import Permission
from core.validation import FormSpec
from portal.auth import actor_of, requires
from portal.controllers.infra_common import (
    AnyRequest,
    done,
    field_errors,
    flash,
    form_error_status,
    form_of,
    page,
    raw_from_form,
)
from portal.csv_export import csv_download
from portal.templating import render

PAGE = "/roaming/partners"
MANAGE = [requires(Permission.ROAMING_MANAGE)]  # on top of the controller's roaming.view
CHARGING_DATA = [requires(Permission.SESSIONS_VIEW)]  # the drivers' sessions and CDRs: on top of roaming.view
LIVE_SECONDS = 3
PageNumber = Annotated[int, Parameter(query="page", ge=1, le=1_000_000)]  # ?page=N of a list


def _partner_url(partner_id: int) -> str:
    return f"{PAGE}/{partner_id}"


async def _list_context(request: AnyRequest, **extra: Any) -> dict[str, Any]:
    actor = actor_of(request)
    try:
        kind = await partners.kind_for(actor)
    except Conflict:
        kind = None
    rows = await partners.list_partners(actor)
    for row in rows:
        row["status"] = partners.connection_status(row)
    return {"partners": rows, "kind": kind, "values": {}, "connect_values": {}, **extra}


def _query(flt: ExchangeFilter) -> str:
    return f"direction={flt.direction}&module={flt.module}&outcome={flt.outcome}&period={flt.period}"


def _log_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for row in rows:
        row["request_pretty"] = pretty_payload(row["request_body"]) if row["request_body"] else ""
        row["response_pretty"] = pretty_payload(row["response_body"]) if row["response_body"] else ""
        row["failed"] = not (200 <= row["http_status"] < 300) or (
            row["ocpi_status"] is not None and not 1000 <= row["ocpi_status"] < 2000
        )
    return rows


@dataclass(frozen=True)
class Added:
    partner_id: int
    message: Message
    secret: dict[str, str] | None = None


async def _add(
    request: AnyRequest, spec: FormSpec, add: Callable[[Actor, dict[str, Any]], Awaitable[Any]], form: str,
    added: Callable[[Any], Added],
) -> Response[Any]:  # fmt: skip
    """Both ways of adding a partner: the form's own errors come back with the form; anything else (a conflict, a
    partner that cannot be reached or answers nonsense) is explained on the list."""
    raw = raw_from_form(spec, await form_of(request))
    try:
        result = added(await add(actor_of(request), raw))
    except ValidationError as exc:
        if not set(exc.errors) <= {f.name for f in spec.fields}:
            return _failed(request, exc)
        values = {"values" if form == "invite" else "connect_values": raw}
        context = await _list_context(request, **values, errors=field_errors(exc), open_form=form)
        return page(request, "roaming/partners.html", context, status_code=form_error_status(request))
    except Conflict as exc:
        flash(request, exc.message, kind="error")
        return done(request, PAGE)
    except DomainError as exc:
        return _failed(request, exc)
    flash(request, result.message, result.secret)
    return done(request, _partner_url(result.partner_id))


def _failed(request: AnyRequest, exc: DomainError) -> Response[Any]:
    flash(request, Message("The registration failed: %(reason)s", {"reason": str(exc.message)}), kind="error")
    return done(request, PAGE)


class PartnerController(Controller):
    path = PAGE
    guards = [requires(Permission.ROAMING_VIEW)]

    @get("/", name="roaming_partners")
    async def index(self, request: AnyRequest) -> Response[str]:
        return page(request, "roaming/partners.html", await _list_context(request))

    @post("/", guards=MANAGE)
    async def create(self, request: AnyRequest) -> Response[Any]:
        """A partner that registers with csms: its token A and csms's versions URL are shown once."""

        def created(new: partners.NewPartner) -> Added:
            secret = {"token_a": new.token_a, "versions_url": partners.versions_url()}
            return Added(new.partner["id"], Message("Partner %(name)s created.", {"name": new.partner["name"]}), secret)

        return await _add(request, partners.PARTNER_SPEC, partners.create_partner, "invite", created)

    @post("/connect", guards=MANAGE)
    async def connect(self, request: AnyRequest) -> Response[Any]:
        """A partner that issued csms a token A: csms registers with it now."""

        def registered(partner: dict[str, Any]) -> Added:
            return Added(partner["id"], Message("Registered with %(name)s.", {"name": partner["name"]}))

        return await _add(request, partners.CONNECT_SPEC, connections.connect_to, "connect", registered)

    @get("/{partner_id:int}", name="roaming_partner")
    async def detail(self, request: AnyRequest, partner_id: int) -> Response[str]:
        actor = actor_of(request)
        partner = await partners.get_partner(actor, partner_id)
        context = {
            "partner": partner,
            "status": partners.connection_status(partner),
            "client_infos": await partners.client_infos(actor, partner_id),
            "errors_recent": _log_rows(await exchange_log.recent_errors(actor, partner_id)),
            "connect_values": {"versions_url": partner["versions_url"]},
            "push": await pushes.overview(actor, partner_id),
            "session_push": await session_push.overview(actor, partner_id),
            "health_check_minutes": get_settings().ocpi_partner_check_minutes,
            "charged": await charged.partner_counts(actor, partner),
        }
        return page(request, "roaming/partner.html", context)

    async def _act(self, request: AnyRequest, partner_id: int, action: Any, success: Message) -> Response[Any]:
        try:
            await action
        except (NotFound, PermissionDenied):
            raise
        except DomainError as exc:  # a conflict with the state, bad input, or the partner answered with an error
            flash(request, exc.message, kind="error")
        else:
            flash(request, success)
        return done(request, _partner_url(partner_id))

    @post("/{partner_id:int}/token-a", guards=MANAGE)
    async def token_a(self, request: AnyRequest, partner_id: int) -> Response[Any]:
        actor = actor_of(request)
        try:
            token = await partners.new_token_a(actor, partner_id)
        except Conflict as exc:
            flash(request, exc.message, kind="error")
            return done(request, _partner_url(partner_id))
        secret = {"token_a": token, "versions_url": partners.versions_url()}
        flash(request, Message("A new token A was issued; the previous one no longer works."), secret)
        return done(request, _partner_url(partner_id))

    @post("/{partner_id:int}/reconnect", guards=MANAGE)
    async def reconnect(self, request: AnyRequest, partner_id: int) -> Response[Any]:
        raw = raw_from_form(partners.TARGET_SPEC, await form_of(request))
        work = connections.reconnect(actor_of(request), partner_id, raw)
        return await self._act(request, partner_id, work, Message("Registered with the partner."))

    @post("/{partner_id:int}/rotate", guards=MANAGE)
    async def rotate(self, request: AnyRequest, partner_id: int) -> Response[Any]:
        work = connections.rotate(actor_of(request), partner_id)
        return await self._act(request, partner_id, work, Message("The credentials tokens were renewed."))

    @post("/{partner_id:int}/end", guards=MANAGE)
    async def end(self, request: AnyRequest, partner_id: int) -> Response[Any]:
        work = connections.end(actor_of(request), partner_id)
        return await self._act(request, partner_id, work, Message("The connection was ended."))

    @post("/{partner_id:int}/encoding", guards=MANAGE)
    async def encoding(self, request: AnyRequest, partner_id: int) -> Response[Any]:
        unencoded = (await form_of(request)).get("tokens_unencoded") == "on"
        work = partners.set_tokens_unencoded(actor_of(request), partner_id, unencoded)
        return await self._act(request, partner_id, work, Message("Token encoding saved."))

    @post("/{partner_id:int}/push-again", guards=MANAGE)
    async def push_again(self, request: AnyRequest, partner_id: int) -> Response[Any]:
        work = pushes.send_everything_again(actor_of(request), partner_id)
        return await self._act(request, partner_id, work, Message("Everything the partner sees is sent again now."))

    # --- The sessions and CDRs of the partner's drivers ----------------------------------------------------------

    @get("/{partner_id:int}/sessions", name="roaming_partner_sessions", guards=CHARGING_DATA)
    async def sessions(self, request: AnyRequest, partner_id: int, number: PageNumber = 1) -> Response[str]:
        listing = await partner_activity.partner_sessions(actor_of(request), partner_id, number)
        return page(request, "roaming/partner_sessions.html", {"partner": listing.partner, "listing": listing})

    @get("/{partner_id:int}/cdrs", name="roaming_partner_cdrs", guards=CHARGING_DATA)
    async def cdrs(self, request: AnyRequest, partner_id: int, number: PageNumber = 1) -> Response[str]:
        listing = await partner_activity.partner_cdrs(actor_of(request), partner_id, number)
        return page(request, "roaming/partner_cdrs.html", {"partner": listing.partner, "listing": listing})

    # --- The partner's OCPI log ------------------------------------------------------------------------------

    @get("/{partner_id:int}/log", name="roaming_partner_log")
    async def log(
        self, request: AnyRequest, partner_id: int, direction: str = "", module: str = "", outcome: str = "",
        period: str = "24h", before_id: int | None = None,
    ) -> Response[str]:  # fmt: skip
        actor = actor_of(request)
        flt = ExchangeFilter.of(direction, module, outcome, period)
        partner = await partners.get_partner(actor, partner_id)
        rows = _log_rows(await exchange_log.partner_log(actor, partner_id, flt, before_id=before_id))
        context = {
            "partner": partner,
            "flt": flt,
            "query": _query(flt),
            "rows": rows,
            "modules": await exchange_log.modules_logged(actor, partner_id),
            "periods": [*PERIODS, "all"],
            "last_id": max((r["id"] for r in rows), default=0),
            "older_id": rows[-1]["id"] if len(rows) >= exchange_log.LOG_PAGE else None,
            "live_seconds": LIVE_SECONDS,
            "live": before_id is None,
        }
        return page(request, "roaming/partner_log.html", context, block="log")

    @get("/{partner_id:int}/log/rows")
    async def log_rows(
        self, request: AnyRequest, partner_id: int, after_id: int, direction: str = "", module: str = "",
        outcome: str = "", period: str = "24h",
    ) -> Response[str]:  # fmt: skip
        """Live updates: the exchanges newer than ``after_id`` and a new poller; 204 when there are none."""
        flt = ExchangeFilter.of(direction, module, outcome, period)
        rows = await exchange_log.partner_log(actor_of(request), partner_id, flt, after_id=after_id)
        if not rows:
            return Response("", status_code=204)
        context = {"partner": {"id": partner_id}, "rows": _log_rows(rows), "last_id": rows[0]["id"],
                   "query": _query(flt), "live_seconds": LIVE_SECONDS}  # fmt: skip
        return render(request, "roaming/_log_rows.html", context)

    @get("/{partner_id:int}/log.csv")
    async def log_csv(
        self, request: AnyRequest, partner_id: int, direction: str = "", module: str = "", outcome: str = "",
        period: str = "24h",
    ) -> Stream:  # fmt: skip
        actor = actor_of(request)
        flt = ExchangeFilter.of(direction, module, outcome, period)
        await partners.get_partner(actor, partner_id)  # 404 before the stream starts

        async def batches() -> AsyncIterator[list[list[Any]]]:
            async for batch in exchange_log.iter_partner_log(actor, partner_id, flt):
                yield [[r["id"], r["created_at"].isoformat(), r["direction"], r["method"], r["url"], r["module"],
                        r["http_status"], r["ocpi_status"], r["duration_ms"], r["request_id"], r["correlation_id"],
                        r["request_body"], r["response_body"], r["error"]] for r in batch]  # fmt: skip

        header = ["id", "time_utc", "direction", "method", "url", "module", "http_status", "ocpi_status",
                  "duration_ms", "request_id", "correlation_id", "request_body", "response_body", "error"]  # fmt: skip
        return csv_download(f"ocpi-log-partner-{partner_id}.csv", header, batches())
