"""REST API: charge detail records (``GET /api/v1/cdrs`` with the charging data filters, ``GET /api/v1/cdrs/{id}``).

List parameters are those of the "Ladedaten" page (country, city, street, eichrecht, signature, power, auth,
from, to, status, currency, sort, dir, page, per_page); running sessions are listed with status ACTIVE and no
``id``. Each item carries ``signature_status`` (core.eichrecht.ocmf.SignatureStatus); one CDR also ``signature_check``
(signed begin and end readings, meter, identification, findings), the Eichrecht data of its receipt.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get

from core.cdrs import charging_data
from core.tenancy.permissions import Permission
from portal.auth import actor_of, requires


class CdrApiController(Controller):
    path = "/api/v1/cdrs"
    tags = ["CDRs"]
    guards = [requires(Permission.SESSIONS_VIEW)]

    @get("/", summary="List CDRs and running sessions")
    async def list_cdrs(self, request: Request[Any, Any, Any]) -> dict[str, Any]:
        actor = actor_of(request)
        q = charging_data.parse_query({key: request.query_params.getall(key) for key in request.query_params})
        rows = await charging_data.list_rows(actor, q)
        for row in rows:
            row["id"] = row.pop("cdr_id")
            row.pop("tenant", None)
        return {"page": q.page, "per_page": q.per_page, "total": await charging_data.count(actor, q),
                "sums": await charging_data.sums(actor, q), "items": rows}  # fmt: skip

    @get("/{cdr_id:int}", summary="One CDR with price components, tariff snapshot and signed data")
    async def get_cdr(self, request: Request[Any, Any, Any], cdr_id: int) -> dict[str, Any]:
        return await charging_data.get_cdr(actor_of(request), cdr_id)
