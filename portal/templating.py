"""Jinja2 environment and page rendering; a page's named blocks double as HTMX partials."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape
from litestar import Request, Response

from core.commands.outcome import command_outcome
from core.errors import Message
from core.tariffs.pricing import shown_unit_price
from core.tenancy.tenants import operates_stations
from portal import audit_labels, code_labels, csrf, i18n, roaming_menu

TEMPLATE_DIR = Path(__file__).parent / "templates"


def _datetime(value: datetime | None, tz: str = "Europe/Berlin", fmt: str = "%d.%m.%Y %H:%M") -> str:
    if value is None:
        return ""
    if current := i18n.current_language.get():
        fmt = fmt if current == "de" else fmt.replace("%d.%m.%Y", "%Y-%m-%d")
    return value.astimezone(ZoneInfo(tz)).strftime(fmt)


def _unit_price(value: Any, most: int = 3) -> str:
    """``value`` with 2 decimals, or up to ``most`` when it really has them (core.tariffs.pricing.shown_unit_price)."""
    if value is None or value == "":
        return ""
    shown = shown_unit_price(value, most)
    return i18n.number(shown, -int(shown.as_tuple().exponent))


def _message(value: Message | str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, Message):
        return value.render(i18n.gettext, i18n.ngettext)
    return i18n.gettext(value)


def _audit_field(key: str, entity_type: str = "") -> str:
    label = audit_labels.audit_field(key, entity_type)
    return label.render(i18n.gettext) if isinstance(label, Message) else label


def _audit_action(action: str) -> str:
    return audit_labels.audit_action(action).render(i18n.gettext)


def _audit_value(value: Any, key: str = "") -> str:
    return _audit_shown(audit_labels.audit_value(value, key))


def _audit_shown(shown: Any) -> str:
    if isinstance(shown, list):
        return ", ".join(_audit_shown(item) for item in shown)
    if isinstance(shown, datetime):
        return _datetime(shown)
    if isinstance(shown, Message):
        return shown.render(i18n.gettext)
    return str(shown)


def build_environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=select_autoescape(["html", "xml"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.filters["datetime"] = _datetime
    env.filters["number"] = i18n.number
    env.filters["unit_price"] = _unit_price  # a price per kWh or minute shown to a driver
    env.filters["msg"] = _message
    env.filters["audit_field"] = _audit_field
    env.filters["audit_value"] = _audit_value
    env.filters["command_outcome"] = command_outcome  # a command record's answer in words
    env.filters["audit_action"] = _audit_action
    env.globals["code_labels"] = lambda name: code_labels.translated(name, i18n.gettext)
    env.globals["roaming_subnav"] = roaming_menu.roaming_subnav
    env.globals["roaming_landing"] = roaming_menu.roaming_landing
    env.globals["operates_stations"] = lambda actor: actor is not None and operates_stations(actor.tenant_kind)
    return env


environment = build_environment()


def is_htmx(request: Request[Any, Any, Any]) -> bool:
    return request.headers.get("hx-request") == "true" and request.headers.get("hx-boosted") != "true"


def context_for(request: Request[Any, Any, Any], context: dict[str, Any]) -> dict[str, Any]:
    base = {
        "request": request,
        "csrf_token": csrf.token_for(request),
        "user": request.scope.get("user"),
        "actor": request.scope.get("auth"),
        "lang": i18n.current_language.get(),
        "path": request.url.path,
    }
    base.update(context)
    return base


def render(
    request: Request[Any, Any, Any],
    template: str,
    context: dict[str, Any] | None = None,
    *,
    block: str | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response[str]:
    """Render a whole page, or only ``block`` when HTMX asks for a fragment."""
    tmpl = environment.get_template(template)
    ctx = context_for(request, context or {})
    if block is not None and is_htmx(request):
        body = "".join(tmpl.blocks[block](tmpl.new_context(ctx)))
    else:
        body = tmpl.render(ctx)
    return Response(body, media_type="text/html; charset=utf-8", status_code=status_code, headers=headers)
