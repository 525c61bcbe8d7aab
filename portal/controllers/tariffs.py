"""CPO tariffs: list, create / edit with live gross prices and a price preview, the assignment wizard
(choose charge points -> tariff and valid-from -> review with the 7 % rule -> confirm), and the charge point's
"Tariffs" tab. Rules live in core.tariffs; this module only translates between HTTP and those functions."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from litestar import Controller, Response, get, post

from core.errors import Message, ValidationError
from core.infrastructure import overview, selection
from core.infrastructure.overview import OverviewQuery
from core.infrastructure.specs import CONNECTOR_STANDARDS, OCPP_VERSIONS
from core.tariffs import assignments, price_increase, tariffs
from core.tenancy.permissions import Permission
from portal.auth import actor_of, requires
from portal.controllers.infra_common import (
    AnyRequest,
    done,
    field_errors,
    flash,
    form_error_status,
    form_of,
    form_values,
    history,
    page,
    parse_id,
    raw_from_form,
)

MANAGE = [requires(Permission.TARIFFS_MANAGE)]
# Choosing charge points reads the advanced overview, which needs the infrastructure view; so do the review and
# the confirmation, which show the chosen charge points.
WIZARD = [requires(Permission.TARIFFS_MANAGE, Permission.INFRASTRUCTURE_VIEW)]
# The wizard's own filters: a subset of the advanced overview's, parsed and applied by core.infrastructure.overview.
WIZARD_FILTERS = ("country", "city", "street", "power", "connector", "protocol", "q")
EXAMPLES = (tariffs.PreviewSession(Decimal(22), 90, "AC"), tariffs.PreviewSession(Decimal(40), 45, "DC"))


def _local_input(value: datetime) -> str:
    """A UTC instant as the value of a datetime-local input (portal time zone)."""
    return value.astimezone(ZoneInfo(tariffs.PORTAL_TIME_ZONE)).strftime("%Y-%m-%dT%H:%M")


async def _pricing_context(request: AnyRequest, values: dict[str, Any]) -> dict[str, Any]:
    """Gross prices and example sessions for what the form holds (nothing when it does not parse yet)."""
    actor = actor_of(request)
    fixed, vat_rate, default_currency = await tariffs.tenant_pricing(actor.tenant_id)
    currency = fixed or str(values.get("currency") or default_currency)
    context: dict[str, Any] = {
        "vat_rate": vat_rate,
        "currency": currency,
        "fixed_currency": fixed,
        "default_currency": default_currency,
        "currencies": tariffs.CURRENCIES,
    }
    try:
        raw = {key: values[key] for key in tariffs.PRICE_NAMES if key in values}
        data = tariffs.parse_tariff({"name": "preview", **raw})
    except ValidationError:
        context["preview_error"] = True
        return context
    snapshot = tariffs.snapshot_of({**data, "currency": currency}, vat_rate)
    context["priced"] = tariffs.priced_powers(raw)
    context["gross"] = tariffs.gross_prices(data, vat_rate)
    context["examples"] = [
        (example, tariffs.preview(snapshot, example))
        for example in EXAMPLES
        if example.power_type.lower() in context["priced"]
    ]
    return context


async def _form_page(
    request: AnyRequest,
    values: dict[str, Any],
    *,
    tariff: dict[str, Any] | None = None,
    errors: dict[str, Message] | None = None,
    status_code: int = 200,
) -> Response[str]:
    context = {"tariff": tariff, "values": values, "errors": errors or {}, **await _pricing_context(request, values)}
    if tariff is not None:
        context["history"] = await history(actor_of(request), "tariff", tariff["id"])
    return page(request, "tariffs/form.html", context, status_code=status_code)


def _query_from(params: dict[str, list[str]]) -> OverviewQuery:
    wanted = {key: value for key, value in params.items() if key in WIZARD_FILTERS and any(value)}
    return replace(overview.parse_query(wanted), columns=overview.DEFAULT_COLUMNS)


def _ids_from(values: list[Any]) -> list[int]:
    """Charge point ids from repeated fields and/or comma-separated lists; junk is ignored."""
    ids = {parse_id(part) for value in values for part in str(value).split(",")}
    return sorted(i for i in ids if i is not None)


def _wizard_choice(form: Any) -> tuple[list[int], dict[str, str]]:
    """The charge points, tariff and valid-from carried through the wizard's last steps."""
    ids = _ids_from(form.getall("charge_point_ids", []))
    return ids, {"tariff_id": str(form.get("tariff_id", "")), "valid_from": str(form.get("valid_from", ""))}


def _chosen_tariff(values: dict[str, str]) -> int:
    tariff_id = parse_id(values["tariff_id"])
    if tariff_id is None:
        raise ValidationError({"tariff_id": Message("This field is required.")})
    return tariff_id


class TariffController(Controller):
    path = "/tariffs"
    guards = [requires(Permission.TARIFFS_VIEW)]

    @get("/", name="tariffs")
    async def index(self, request: AnyRequest) -> Response[str]:
        actor = actor_of(request)
        rows = await tariffs.list_tariffs(actor)
        fixed, vat_rate, _ = await tariffs.tenant_pricing(actor.tenant_id)
        for row in rows:
            row["gross"] = tariffs.gross_prices(row, vat_rate)
            row["components"] = tariffs.price_components(row)
        return page(request, "tariffs/index.html", {"tariffs": rows, "vat_rate": vat_rate, "fixed_currency": fixed})

    @get("/new", guards=MANAGE)
    async def new(self, request: AnyRequest, copy: int | None = None) -> Response[str]:
        values: dict[str, Any] = {name: "" for name in tariffs.PRICE_NAMES}
        if copy is not None:
            source = await tariffs.get_tariff(actor_of(request), copy)
            values = form_values(source, tariffs.TARIFF_SPEC)
            values["name"] = f"{source['name']} (2)"
        return await _form_page(request, values)

    @post("/", guards=MANAGE)
    async def create(self, request: AnyRequest) -> Response[Any]:
        raw = raw_from_form(tariffs.TARIFF_SPEC, await form_of(request))
        try:
            tariff = await tariffs.create_tariff(actor_of(request), raw)
        except ValidationError as exc:
            return await _form_page(request, raw, errors=field_errors(exc), status_code=form_error_status(request))
        flash(request, Message('Tariff "%(name)s" created.', {"name": tariff["name"]}))
        return done(request, "/tariffs")

    @post("/preview")
    async def preview(self, request: AnyRequest) -> Response[str]:
        """The live gross prices and example sessions while the user types (an HTMX fragment)."""
        raw = raw_from_form(tariffs.TARIFF_SPEC, await form_of(request))
        context = {"values": raw, **await _pricing_context(request, raw)}
        return page(request, "tariffs/_preview.html", context)

    @get("/{tariff_id:int}", name="tariff")
    async def detail(self, request: AnyRequest, tariff_id: int) -> Response[str]:
        tariff = await tariffs.get_tariff(actor_of(request), tariff_id)
        return await _form_page(request, form_values(tariff, tariffs.TARIFF_SPEC), tariff=tariff)

    @post("/{tariff_id:int}", guards=MANAGE)
    async def update(self, request: AnyRequest, tariff_id: int) -> Response[Any]:
        actor = actor_of(request)
        tariff = await tariffs.get_tariff(actor, tariff_id)
        raw = raw_from_form(tariffs.TARIFF_SPEC, await form_of(request))
        try:
            await tariffs.update_tariff(actor, tariff_id, raw)
        except ValidationError as exc:
            return await _form_page(
                request, raw, tariff=tariff, errors=field_errors(exc), status_code=form_error_status(request)
            )
        flash(request, Message("Tariff saved."))
        return done(request, f"/tariffs/{tariff_id}")

    @post("/{tariff_id:int}/archive", guards=MANAGE)
    async def archive(self, request: AnyRequest, tariff_id: int) -> Response[Any]:
        await assignments.archive_tariff(actor_of(request), tariff_id)
        flash(request, Message("Tariff archived."))
        return done(request, "/tariffs")

    # --- assignment wizard -----------------------------------------------------------------------------------

    @get("/assign", guards=WIZARD)
    async def choose(self, request: AnyRequest, mode: str = "points") -> Response[str]:
        """Step 1 "Auswählen": charge points by selection or by filter (the overview's filter code)."""
        actor = actor_of(request)
        params = {key: request.query_params.getall(key) for key in request.query_params}
        q = _query_from(params)
        page_number = parse_id(params.get("page", ["1"])[0]) or 1
        q = replace(q, page=page_number, per_page=50)
        total = await overview.count(actor, q)
        rows = await overview.rows(actor, q)
        active = await assignments.active_tariffs(actor, [row["id"] for row in rows])
        filters = {key: str(params[key][0]) for key in WIZARD_FILTERS if params.get(key) and params[key][0]}
        preselected = set(_ids_from(params.get("charge_point_ids", [])))
        # Ticks on other pages or hidden by the filter travel along as hidden fields, so paging and filtering
        # inside the wizard never forget them.
        carried = sorted(preselected - {row["id"] for row in rows})
        context = {
            "mode": "filter" if mode == "filter" else "points",
            "rows": rows,
            "total": total,
            "q": q,
            "filters": filters,
            "active": active,
            "preselected": preselected,
            "carried": carried,
            "pages": max(1, -(-total // q.per_page)),
            "filter_query": urlencode(filters),
            "options": await overview.filter_options(actor),
            "standards": CONNECTOR_STANDARDS,
            "protocols": OCPP_VERSIONS,
        }
        return page(request, "tariffs/assign_choose.html", context, block="results")

    @post("/assign/tariff", guards=WIZARD)
    async def choose_tariff(self, request: AnyRequest) -> Response[str]:
        """Step 2 "Tarif zuweisen": tariff and valid-from for the chosen charge points."""
        actor = actor_of(request)
        form = await form_of(request)
        if form.get("mode") == "filter":
            params = {key: [str(v) for v in form.getall(key, [])] for key in WIZARD_FILTERS}
            ids = await assignments.charge_point_ids_for_filter(actor, _query_from(params))
        elif form.get("selection") == "overview":
            ids = await selection.selected_ids(actor)
        else:
            ids = _ids_from(form.getall("charge_point_ids", []))
        values = {
            "tariff_id": str(form.get("tariff_id", "")),
            "valid_from": str(form.get("valid_from", "")) or _local_input(datetime.now(UTC)),
        }
        errors: dict[str, Message] = {}
        if not ids:
            errors["charge_points"] = Message("Choose at least one charge point.")
        elif len(ids) > assignments.MAX_CHARGE_POINTS_PER_ASSIGNMENT:
            errors["charge_points"] = Message(
                "At most %(max)s charge points at once.", {"max": assignments.MAX_CHARGE_POINTS_PER_ASSIGNMENT}
            )
        return await self._step2(request, ids, values, errors)

    async def _step2(
        self,
        request: AnyRequest,
        ids: list[int],
        values: dict[str, Any],
        errors: dict[str, Message],
        status_code: int = 200,
    ) -> Response[str]:
        options = await tariffs.list_tariffs(actor_of(request))
        context = {
            "ids": ids,
            "id_list": ",".join(map(str, ids)),
            "tariffs": options,
            "values": values,
            "errors": errors,
        }
        return page(request, "tariffs/assign_tariff.html", context, status_code=status_code)

    @post("/assign/review", guards=WIZARD)
    async def review(self, request: AnyRequest) -> Response[str]:
        """Step 3 "Prüfen": what happens per charge point, with the 7 % rule's verdict."""
        actor = actor_of(request)
        form = await form_of(request)
        ids, values = _wizard_choice(form)
        try:
            tariff_id = _chosen_tariff(values)
            valid_from = assignments.parse_valid_from(values["valid_from"])
            reviews = await assignments.review_assignment(actor, tariff_id, ids, valid_from)
        except ValidationError as exc:
            errors = field_errors(exc)
            if "tariff" in errors:
                errors["tariff_id"] = errors.pop("tariff")
            return await self._step2(request, ids, values, errors, form_error_status(request))
        tariff = await tariffs.get_tariff(actor, tariff_id)
        refused = [r for r in reviews if not r.check.allowed]
        context = {
            "ids": ids,
            "id_list": ",".join(map(str, ids)),
            "values": values,
            "tariff": tariff,
            "reviews": reviews,
            "refused": refused,
            "allowed_count": len(reviews) - len(refused),
            "valid_from": valid_from,
            "earliest": max((r.check.earliest_valid_from for r in refused), default=None),
            "labels": price_increase.COMPONENT_LABELS,
        }
        return page(request, "tariffs/assign_review.html", context)

    @post("/assign/confirm", guards=WIZARD)
    async def confirm(self, request: AnyRequest) -> Response[Any]:
        actor = actor_of(request)
        form = await form_of(request)
        ids, values = _wizard_choice(form)
        try:
            created = await assignments.assign_tariff(
                actor,
                _chosen_tariff(values),
                ids,
                assignments.parse_valid_from(values["valid_from"]),
                only_allowed=form.get("only_allowed") == "on",
            )
        except ValidationError as exc:
            return await self._step2(request, ids, values, field_errors(exc), form_error_status(request))
        tariff = await tariffs.get_tariff(actor, _chosen_tariff(values))
        flash(
            request,
            Message(
                'Tariff "%(name)s" assigned to %(count)s charge point.',
                {"name": tariff["name"], "count": len(created)},
                plural='Tariff "%(name)s" assigned to %(count)s charge points.',
            ),
        )
        if len(ids) == 1:
            return done(request, f"/infrastructure/charge-points/{ids[0]}?tab=tariffs")
        return done(request, "/tariffs")

    # --- the charge point's tab ------------------------------------------------------------------------------

    @get("/charge-points/{charge_point_id:int}/tab", guards=[requires(Permission.INFRASTRUCTURE_VIEW)])
    async def charge_point_tab(self, request: AnyRequest, charge_point_id: int) -> Response[str]:
        info = await assignments.charge_point_tariffs(actor_of(request), charge_point_id)
        return page(request, "tariffs/charge_point_tab.html", {"cp_id": charge_point_id, **info})

    @post("/assignments/{assignment_id:int}/cancel", guards=MANAGE)
    async def cancel(self, request: AnyRequest, assignment_id: int) -> Response[Any]:
        charge_point_id = await assignments.cancel_assignment(actor_of(request), assignment_id)
        flash(request, Message("Scheduled tariff cancelled."))
        return done(request, f"/infrastructure/charge-points/{charge_point_id}?tab=tariffs")
