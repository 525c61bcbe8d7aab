"""Products (issue 16): the catalogue page ("Produkte"), the wizard "Produkt zuweisen" (product, stations, review
with the cost and Kostenfreigabe, result) started from the overview's selection, and the station's "Products" tab
with "Beenden". Every rule is core.products.assignments'; this only shows and asks."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from litestar import Controller, Response, get, post

from core.commands import running
from core.errors import Conflict, Message, ValidationError
from core.infrastructure import selection
from core.infrastructure import stations as infrastructure_stations
from core.products import assignments
from core.products.catalogue import FEATURE_LABELS, products
from core.tenancy import tenants
from core.tenancy.actor import Actor
from core.tenancy.permissions import Permission
from portal.auth import actor_of, requires
from portal.controllers.infra_common import AnyRequest, done, flash, form_error_status, form_of, loaded, page

URL = "/infrastructure/products"
MANAGE = [requires(Permission.INFRASTRUCTURE_MANAGE)]
# Assigning and ending change what the tenant pays: Kostenfreigabe too (core.products.assignments checks it again).
APPROVE = [requires(Permission.INFRASTRUCTURE_MANAGE, Permission.COST_APPROVAL)]
TEMPLATES = "infrastructure/products/"


def _ids(values: list[Any]) -> list[int]:
    return sorted({int(v) for v in values if str(v).isdigit() and len(str(v)) < 12})


def _gross(net_cents: int, vat_rate: Decimal) -> int:
    return int((Decimal(net_cents) * (100 + vat_rate) / 100).quantize(Decimal(1)))


async def _vat_rate(actor: Actor) -> Decimal:
    return Decimal(str((await tenants.get_tenant(actor.tenant_id))["vat_rate"]))


async def _catalogue(actor: Actor) -> list[dict[str, Any]]:
    """The offered products with their labels and the tenant's gross price."""
    vat = await _vat_rate(actor)
    return [{**row, "vat_rate": vat, "gross_cents": _gross(row["monthly_net_cents"], vat),
             "feature_labels": [FEATURE_LABELS[f] for f in row["features"] or [] if f in FEATURE_LABELS]}
            for row in await products()]  # fmt: skip


class ProductsController(Controller):
    path = URL
    guards = [requires(Permission.INFRASTRUCTURE_VIEW)]

    @get("/", name="products")
    async def catalogue(self, request: AnyRequest) -> Response[str]:
        return page(request, TEMPLATES + "catalogue.html", {"products": await _catalogue(actor_of(request))})

    # -- the wizard "Produkt zuweisen" -------------------------------------------------------------------------

    @post("/assign/select", guards=MANAGE)
    async def from_overview(self, request: AnyRequest) -> Response[Any]:
        """The overview's selection (charge points, kept on the server) -> the wizard with their stations."""
        actor = actor_of(request)
        station_ids = await running.stations_of_charge_points(actor, await selection.selected_ids(actor))
        query = "&".join(f"station_id={station_id}" for station_id in station_ids)
        return done(request, f"{URL}/assign" + (f"?{query}" if query else ""))

    @get("/assign", guards=MANAGE)
    async def choose(
        self, request: AnyRequest, station_id: list[int] | None = None, product_id: int | None = None, step: int = 1
    ) -> Response[str]:
        """Step 1 (the product) and step 2 (the stations, preselected from the overview's selection)."""
        actor = actor_of(request)
        offered = await _catalogue(actor)
        chosen = next((p for p in offered if p["id"] == product_id), None)
        context: dict[str, Any] = {"products": offered, "product": chosen, "selected": set(station_id or []),
                                   "step": 2 if chosen is not None and step >= 2 else 1}  # fmt: skip
        if context["step"] == 2:
            context["stations"] = await infrastructure_stations.list_stations(actor)
        elif product_id is not None:
            context["errors"] = {"product_id": Message("Choose one of the offered values.")}
        return page(request, TEMPLATES + "assign.html", context)

    async def _review(self, request: AnyRequest, product_id: int, station_ids: list[int]) -> dict[str, Any]:
        actor = actor_of(request)
        product, ok, skipped = await assignments.check_assignable(actor, product_id, station_ids)
        names = {s["id"]: s["name"] or s["charge_box_id"]
                 for s in await infrastructure_stations.list_stations(actor, include_decommissioned=True)}  # fmt: skip
        vat = await _vat_rate(actor)
        total = product["monthly_net_cents"] * len(ok)
        return {"product": product, "assignable": ok, "skipped": skipped, "names": names, "vat_rate": vat,
                "total_cents": total, "total_gross_cents": _gross(total, vat), "station_ids": station_ids,
                "step": 3}  # fmt: skip

    @get("/assign/review", guards=MANAGE)
    async def review(
        self, request: AnyRequest, product_id: int | None = None, station_id: list[int] | None = None
    ) -> Any:
        """Step 3: which stations get it, which are skipped and why, the monthly net cost; then the confirmation."""
        if product_id is None:
            return done(request, f"{URL}/assign")
        try:
            context = await self._review(request, product_id, station_id or [])
        except Conflict as exc:  # a product no longer offered
            flash(request, exc.message, kind="error")
            return done(request, f"{URL}/assign")
        return page(request, TEMPLATES + "review.html", context)

    @post("/assign", guards=APPROVE)
    async def confirm(self, request: AnyRequest) -> Response[Any]:
        form = await form_of(request)
        product_id = _ids([form.get("product_id", "")])
        station_ids = _ids(form.getall("station_id", []))
        if not product_id:
            return done(request, f"{URL}/assign")
        if form.get("approve_costs") != "on":
            context = await self._review(request, product_id[0], station_ids)
            context["errors"] = {"approve_costs": Message("Confirm the cost approval to assign the product.")}
            return page(request, TEMPLATES + "review.html", context, status_code=form_error_status(request))
        result = await assignments.assign(actor_of(request), product_id[0], station_ids)
        context = await self._result(request, product_id[0], station_ids)
        context.update(assigned=result.created, skipped=result.skipped)
        return page(request, TEMPLATES + "result.html", context)

    async def _result(self, request: AnyRequest, product_id: int, station_ids: list[int]) -> dict[str, Any]:
        actor = actor_of(request)
        names = {s["id"]: s["name"] or s["charge_box_id"]
                 for s in await infrastructure_stations.list_stations(actor, include_decommissioned=True)}  # fmt: skip
        product = next((p for p in await products(offered_only=False) if p["id"] == product_id), None)
        return {"product": product, "names": names, "station_ids": station_ids}

    # -- the station's Products tab ----------------------------------------------------------------------------

    @get("/stations/{station_id:int}/tab")
    async def station_tab(self, request: AnyRequest, station_id: int) -> Response[str]:
        actor = actor_of(request)
        station = loaded(await infrastructure_stations.get_station(actor, station_id))
        rows = await assignments.station_assignments(actor, station_id)
        context = {"station": station, "current": [r for r in rows if r["ends_at"] is None],
                   "past": [r for r in rows if r["ends_at"] is not None]}  # fmt: skip
        return page(request, TEMPLATES + "station_tab.html", context)

    @get("/assignments/{product_assignment_id:int}/end", guards=MANAGE)
    async def end_form(self, request: AnyRequest, product_assignment_id: int) -> Response[str]:
        return page(request, TEMPLATES + "end.html", await self._assignment(request, product_assignment_id))

    async def _assignment(self, request: AnyRequest, product_assignment_id: int) -> dict[str, Any]:
        actor = actor_of(request)
        row = await assignments.get_assignment(actor, product_assignment_id)
        station = loaded(await infrastructure_stations.get_station(actor, row["station"]))
        return {"assignment": row, "station": station}

    @post("/assignments/{product_assignment_id:int}/end", guards=APPROVE)
    async def end(self, request: AnyRequest, product_assignment_id: int) -> Response[Any]:
        context = await self._assignment(request, product_assignment_id)
        back = f"/infrastructure/stations/{context['station']['id']}?tab=products"
        try:
            await assignments.end(actor_of(request), product_assignment_id)
        except (Conflict, ValidationError) as exc:
            flash(request, exc.message, kind="error")
            return done(request, back)
        flash(request, Message("The product was ended on the station."))
        return done(request, back)
