"""Form and response helpers shared by the infrastructure pages (locations, stations, charge points)."""

from __future__ import annotations

import contextlib
import json
from typing import Any

from litestar import Request, Response
from litestar.datastructures import FormMultiDict
from litestar.response import Redirect

from core.errors import Message, ValidationError
from core.tenancy import audit
from core.tenancy.actor import Actor
from core.validation import FormSpec
from portal.templating import is_htmx, render

AnyRequest = Request[Any, Any, Any]
Errors = dict[str, Message]

COUNTRIES = ("DEU", "AUT", "CHE", "LIE", "LUX", "NLD", "BEL", "FRA", "ITA", "POL", "CZE", "DNK")
TIME_ZONES = (
    "Europe/Berlin",
    "Europe/Vienna",
    "Europe/Zurich",
    "Europe/Vaduz",
    "Europe/Luxembourg",
    "Europe/Amsterdam",
    "Europe/Brussels",
    "Europe/Paris",
    "Europe/Rome",
    "Europe/Warsaw",
    "Europe/Prague",
    "Europe/Copenhagen",
    "UTC",
)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_TICKED = {"on", "true", "1", "yes"}


async def form_of(request: AnyRequest) -> FormMultiDict:
    return await request.form()  # type: ignore[no-any-return]


def raw_from_form(spec: FormSpec, form: FormMultiDict, *, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """The spec's fields from a form post.

    Checkboxes are always sent as on/off: an unticked box is absent from the post, and a partial
    update would otherwise keep the old value.
    """
    raw: dict[str, Any] = {}
    for f in spec.fields:
        if f.name in skip:
            continue
        if f.kind == "bool":
            raw[f.name] = "on" if str(form.get(f.name, "")).lower() in _TICKED else "off"
        elif f.kind == "list":
            raw[f.name] = [str(v) for v in form.getall(f.name, []) if str(v).strip()]
        elif f.name in form:
            raw[f.name] = str(form.get(f.name))
    return raw


def form_values(row: dict[str, Any], spec: FormSpec) -> dict[str, Any]:
    """A stored row as form values (checkboxes as on/off, None as empty)."""
    values: dict[str, Any] = {}
    for f in spec.fields:
        value = row.get(f.name)
        if f.kind == "bool":
            values[f.name] = "on" if value else "off"
        elif value is None:
            values[f.name] = [] if f.kind == "list" else ""
        else:
            values[f.name] = value
    return values


def field_errors(exc: ValidationError) -> Errors:
    return dict(exc.errors)


def form_error_status(request: AnyRequest) -> int:
    # htmx does not swap 4xx answers, so a fragment with field errors comes back as 200.
    return 200 if is_htmx(request) else 400


def done(request: AnyRequest, url: str) -> Response[Any]:
    """After a successful change: 303 to the page, or HX-Redirect when htmx posted the form."""
    if is_htmx(request):
        return Response("", status_code=200, headers={"HX-Redirect": url})
    return Redirect(url, status_code=303)


def flash(request: AnyRequest, text: Message, secret: dict[str, Any] | None = None, *, kind: str = "success") -> None:
    """A message for the next page; ``secret`` (a new station password) is shown there once and dropped."""
    session = dict(request.session or {})
    session["infra_flash"] = {
        "text": text.msgid, "plural": text.plural, "params": text.params, "kind": kind, "secret": secret,
    }  # fmt: skip
    request.set_session(session)


def pop_flash(request: AnyRequest) -> dict[str, Any] | None:
    session = dict(request.session or {})
    item = session.pop("infra_flash", None)
    if item is not None:
        request.set_session(session)
    return item if isinstance(item, dict) else None


def page(
    request: AnyRequest,
    template: str,
    context: dict[str, Any],
    *,
    block: str | None = None,
    status_code: int = 200,
) -> Response[str]:
    context.setdefault("errors", {})
    context.setdefault("flash", pop_flash(request) if not is_htmx(request) else None)
    return render(request, template, context, block=block, status_code=status_code)


def confirm_decommission_page(
    request: AnyRequest,
    title: str,
    question: Message,
    detail: Message,
    url: str,
    affected: tuple[Message, int] | None = None,
) -> Response[str]:
    """The confirm step before a decommission; ``url`` is the detail page, the form posts to url/decommission."""
    context: dict[str, Any] = {
        "title": title,
        "question": question,
        "detail": detail,
        "action": f"{url}/decommission",
        "back": url,
    }
    if affected is not None:
        context["count_label"], context["count"] = affected
    return page(request, "infrastructure/confirm.html", context)


def parse_id(value: Any) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdigit() and len(text) < 12 else None


JSON_KEYS = ("opening_hours", "parking_restrictions", "products", "attributes", "changes")


def loaded(row: dict[str, Any]) -> dict[str, Any]:
    """JSON columns as Python values: the selects of core return them as text on both databases."""
    for key in JSON_KEYS:
        value = row.get(key)
        if isinstance(value, str):
            with contextlib.suppress(ValueError):  # a plain string stays what it is
                row[key] = json.loads(value) if value else None
    return row


async def history(actor: Actor, entity_type: str, entity_id: int) -> list[dict[str, Any]]:
    return [loaded(entry) for entry in await audit.history(actor, entity_type, entity_id)]
