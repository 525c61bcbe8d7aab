"""REST API: tariffs (``/api/v1/tariffs``) and assigning them to charge points, with the portal's rules (core.tariffs).

Input fields are core.tariffs.tariffs.TARIFF_SPEC's (net prices); the answer adds OCPI names where OCPI has one
(``id``, ``currency``, ``last_updated``) and the gross prices computed with the tenant's VAT rate.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec
from litestar import Controller, Request, get, patch, post

from core.tariffs import assignments, tariffs
from core.validation import to_raw
from portal.api.common import Id
from portal.api.tariff_assignments import MANAGE, VIEW, public_assignment
from portal.auth import actor_of

TariffInput = tariffs.TARIFF_SPEC.struct("TariffInput")
TariffPatch = tariffs.TARIFF_SPEC.struct("TariffPatch", partial=True)


class AssignmentInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    charge_point_ids: list[Id]  # the charge points' (EVSEs') ids, as in /api/v1/evses
    valid_from: str  # ISO 8601 date and time; without an offset it is Europe/Berlin local time
    only_allowed: bool = False  # skip charge points where the 7 % rule refuses valid_from instead of failing


def _public(row: dict[str, Any], vat_rate: Decimal) -> dict[str, Any]:
    data = {key: row[key] for key in ("id", "code", "name", "currency", *tariffs.PRICE_NAMES)}
    data.update(
        vat_rate=vat_rate,
        gross=tariffs.gross_prices(row, vat_rate),
        assigned=bool(row.get("assigned")),
        archived=row["archived_at"] is not None,
        created_at=row["created_at"],
        last_updated=row["updated_at"],
    )
    return data


async def _vat(request: Request[Any, Any, Any]) -> Decimal:
    _, vat_rate, _ = await tariffs.tenant_pricing(actor_of(request).tenant_id)
    return vat_rate


class TariffApiController(Controller):
    path = "/api/v1/tariffs"
    tags = ["Tariffs"]

    @get("/", guards=VIEW, summary="List tariffs")
    async def list_tariffs(
        self, request: Request[Any, Any, Any], include_archived: bool = False
    ) -> list[dict[str, Any]]:
        rows = await tariffs.list_tariffs(actor_of(request), include_archived=include_archived)
        vat_rate = await _vat(request)
        return [_public(row, vat_rate) for row in rows]

    @post("/", guards=MANAGE, summary="Create a tariff (net prices)")
    async def create_tariff(self, request: Request[Any, Any, Any], data: TariffInput) -> dict[str, Any]:  # type: ignore[valid-type]
        raw = {k: v for k, v in to_raw(data).items() if v is not None}
        return _public(await tariffs.create_tariff(actor_of(request), raw), await _vat(request))

    @get("/{tariff_id:int}", guards=VIEW, summary="Get a tariff")
    async def get_tariff(self, request: Request[Any, Any, Any], tariff_id: int) -> dict[str, Any]:
        return _public(await tariffs.get_tariff(actor_of(request), tariff_id), await _vat(request))

    @patch("/{tariff_id:int}", guards=MANAGE,
           summary="Change a tariff (prices only while it was never assigned)")
    async def update_tariff(self, request: Request[Any, Any, Any], tariff_id: int, data: TariffPatch) -> dict[str, Any]:  # type: ignore[valid-type]
        row = await tariffs.update_tariff(actor_of(request), tariff_id, to_raw(data), partial=True)
        return _public(row, await _vat(request))

    @get("/{tariff_id:int}/assignments", guards=VIEW,
         summary="Assignments of the tariff (history included)")
    async def list_assignments(self, request: Request[Any, Any, Any], tariff_id: int) -> list[dict[str, Any]]:
        rows = await assignments.list_assignments(actor_of(request), tariff_id)
        return [public_assignment(row) for row in rows]

    @post("/{tariff_id:int}/assignments", guards=MANAGE,
          summary="Assign the tariff to charge points from valid_from (7 % rule enforced)")
    async def assign(self, request: Request[Any, Any, Any], tariff_id: int, data: AssignmentInput) -> dict[str, Any]:
        valid_from = assignments.parse_valid_from(data.valid_from)
        created = await assignments.assign_tariff(
            actor_of(request), tariff_id, data.charge_point_ids, valid_from, only_allowed=data.only_allowed
        )
        return {
            "tariff_id": tariff_id,
            "assignments": [public_assignment(row) for row in created],
            "skipped_charge_point_ids": sorted(set(data.charge_point_ids) - {row["charge_point"] for row in created}),
        }
