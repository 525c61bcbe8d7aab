"""Settings: the tenant's REST API keys (list, create with the key shown once, revoke)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, get, post

from core.errors import Message, ValidationError
from core.tenancy import api_keys
from core.tenancy.actor import Actor
from core.tenancy.api_keys import API_KEY_SPEC
from core.tenancy.permissions import CATALOGUE, Permission
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

PAGE = "/settings/api-keys"
TEMPLATE = "settings/api_keys.html"


async def _context(actor: Actor, values: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "keys": await api_keys.list_api_keys(actor),
        # A key grants at most what its maker holds, so only those switches are offered.
        "grantable": [info for info in CATALOGUE if actor.can(info.permission)],
        "labels": {info.permission.value: info.label for info in CATALOGUE},
        "values": values,
        **extra,
    }


class ApiKeyController(Controller):
    path = PAGE
    guards = [requires(Permission.USERS_MANAGE)]

    @get("/", name="api_keys")
    async def index(self, request: AnyRequest) -> Response[str]:
        values = {"name": "", "permissions": [Permission.INFRASTRUCTURE_VIEW.value]}
        return page(request, TEMPLATE, await _context(actor_of(request), values))

    @post("/")
    async def create(self, request: AnyRequest) -> Response[Any]:
        actor = actor_of(request)
        raw = raw_from_form(API_KEY_SPEC, await form_of(request))
        try:
            key, row = await api_keys.issue_api_key(actor, raw)
        except ValidationError as exc:
            context = await _context(actor, raw, errors=field_errors(exc), open_form=True)
            return page(request, TEMPLATE, context, status_code=form_error_status(request))
        # The key travels once in the encrypted session cookie to the next page, which shows and drops it.
        flash(request, Message("API key created."), {"api_key": key, "name": row["name"]})
        return done(request, PAGE)

    @post("/{key_id:int}/revoke")
    async def revoke(self, request: AnyRequest, key_id: int) -> Response[Any]:
        row = await api_keys.revoke_api_key(actor_of(request), key_id)
        flash(request, Message("API key %(name)s revoked.", {"name": row["name"] or row["prefix"]}))
        return done(request, PAGE)
