"""REST API: tariff assignments (``/api/v1/tariff-assignments``): find them with their state, read, cancel.

Assigning happens under ``/api/v1/tariffs/{id}/assignments`` (portal.api.tariffs), with the 7 % rule of
core.tariffs.price_increase checked against each charge point's history.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.params import Parameter

from core.tariffs import assignments
from core.tenancy.permissions import Permission
from portal.api.common import QueryId, error_answer
from portal.auth import actor_of, requires


def public_assignment(row: dict[str, Any]) -> dict[str, Any]:
    """An assignment as the API shows it (a found one also with its state and tariff)."""
    data = {"id": row["id"], "tariff_id": row["tariff"], "charge_point_id": row["charge_point"],
            "valid_from": row["valid_from"], "cancelled_at": row.get("cancelled_at"),
            "created_at": row.get("created_at")}  # fmt: skip
    if "state" in row:
        data.update(state=row["state"], tariff_name=row["tariff_name"], tariff_code=row["tariff_code"])
    return data


VIEW = [requires(Permission.TARIFFS_VIEW)]
MANAGE = [requires(Permission.TARIFFS_VIEW, Permission.TARIFFS_MANAGE)]


class TariffAssignmentApiController(Controller):
    path = "/api/v1/tariff-assignments"
    tags = ["Tariffs"]

    @get("/", guards=VIEW,
         summary="Assignments with their state (ACTIVE, SCHEDULED, PAST, SUPERSEDED, CANCELLED), newest first")
    async def find(
        self, request: Request[Any, Any, Any], charge_point_id: QueryId = None, tariff_id: QueryId = None,
        assignment_state: Annotated[assignments.AssignmentState | None, Parameter(query="state")] = None,
    ) -> list[dict[str, Any]]:  # fmt: skip
        rows = await assignments.find_assignments(
            actor_of(request), charge_point_id=charge_point_id, tariff_id=tariff_id, state=assignment_state
        )
        return [public_assignment(row) for row in rows]

    @get("/{assignment_id:int}", guards=VIEW, summary="One assignment")
    async def get_assignment(self, request: Request[Any, Any, Any], assignment_id: int) -> dict[str, Any]:
        return public_assignment(await assignments.get_assignment(actor_of(request), assignment_id))

    @post("/{assignment_id:int}/cancel", guards=MANAGE, status_code=200,
          responses={409: error_answer("Only a scheduled assignment can be cancelled.")},
          summary="Cancel a scheduled assignment (it stays in the history)")  # fmt: skip
    async def cancel(self, request: Request[Any, Any, Any], assignment_id: int) -> dict[str, Any]:
        actor = actor_of(request)
        await assignments.cancel_assignment(actor, assignment_id)
        return public_assignment(await assignments.get_assignment(actor, assignment_id))
