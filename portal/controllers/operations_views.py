"""What staff see of OCPP: the station's live OCPP log (page and station tab), the authorization monitor
(Freischaltmonitor), the anomaly list, unknown stations, and the charge point's last-session fragment.

Permission: every route needs ocpp.commands (the "Operations" area, the same switch as the nav link);
adopting an unknown station and the tenant's "allow unknown stations" switch also need infrastructure.manage.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from litestar import Controller, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.response import Stream

from core.charging import anomalies as charging_anomalies
from core.charging import monitoring
from core.charging.authorization import AuthSource
from core.charging.monitoring import LogFilter, MonitorFilter
from core.errors import Message, ValidationError
from core.infrastructure import locations as infrastructure_locations
from core.infrastructure import station_sheet, stations
from core.infrastructure.specs import InstallationStatus
from core.tenancy.permissions import Permission
from portal.auth import actor_of, requires
from portal.controllers.infra_common import AnyRequest, done, flash, form_error_status, form_of, page
from portal.csv_export import csv_download
from portal.templating import render

MANAGE = [requires(Permission.INFRASTRUCTURE_VIEW, Permission.INFRASTRUCTURE_MANAGE)]
STATION = [requires(Permission.INFRASTRUCTURE_VIEW)]  # the station's own log
LIVE_SECONDS = 3  # the log polls for new rows this often
MONITOR_REFRESH_SECONDS = 10


def _log_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for row in rows:
        row["pretty"] = monitoring.pretty_payload(row["payload"])
    return rows


def _query(flt: LogFilter) -> str:
    return f"action={flt.action}&direction={flt.direction}&period={flt.period}"


class OperationsViewsController(Controller):
    path = "/operations"
    guards = [requires(monitoring.VIEW)]

    # --- OCPP log -----------------------------------------------------------------------------------------

    @get("/stations/{station_id:int}/log", name="ops_station_log", guards=STATION)
    async def station_log(
        self, request: AnyRequest, station_id: int, action: str = "", direction: str = "", period: str = "24h",
        before_id: int | None = None,
    ) -> Response[str]:  # fmt: skip
        actor = actor_of(request)
        flt = LogFilter.of(action, direction, period)
        station = await stations.get_station(actor, station_id)
        rows = _log_rows(await monitoring.station_log(actor, station_id, flt, before_id=before_id))
        context = {
            "station": station,
            "flt": flt,
            "query": _query(flt),
            "rows": rows,
            "last_id": max((r["id"] for r in rows), default=0),
            "older_id": rows[-1]["id"] if len(rows) >= monitoring.LOG_PAGE else None,
            "actions": monitoring.OCPP16_ACTIONS,
            "periods": [*monitoring.PERIODS, "all"],
            "data_transfers": await monitoring.data_transfers(actor, station_id),
            "live_seconds": LIVE_SECONDS,
            "live": before_id is None,
        }
        return page(request, "operations/views/station_log.html", context, block="log")

    @get("/stations/{station_id:int}/log/rows", guards=STATION)
    async def station_log_rows(
        self, request: AnyRequest, station_id: int, after_id: int, action: str = "", direction: str = "",
        period: str = "24h",
    ) -> Response[str]:  # fmt: skip
        """Live updates: the rows newer than ``after_id`` and a new poller; 204 (nothing to swap) when none."""
        actor = actor_of(request)
        flt = LogFilter.of(action, direction, period)
        rows = await monitoring.station_log(actor, station_id, flt, after_id=after_id)
        if not rows:
            return Response("", status_code=204)
        context = {
            "station": {"id": station_id},
            "rows": _log_rows(rows),
            "last_id": rows[0]["id"],
            "query": _query(flt),
            "live_seconds": LIVE_SECONDS,
        }
        return render(request, "operations/views/_log_rows.html", context)

    @get("/stations/{station_id:int}/log.csv", guards=STATION)
    async def station_log_csv(
        self, request: AnyRequest, station_id: int, action: str = "", direction: str = "", period: str = "24h"
    ) -> Stream:
        actor = actor_of(request)
        flt = LogFilter.of(action, direction, period)
        station = await stations.get_station(actor, station_id)  # 404 before the stream starts

        async def batches() -> AsyncIterator[list[list[Any]]]:
            async for batch in monitoring.iter_station_log(actor, station_id, flt):
                yield [[row["id"], row["created_at"].isoformat(), row["direction"], row["message_type"],
                        row["action"], row["unique_id"], row["payload"]] for row in batch]  # fmt: skip

        header = ["id", "time_utc", "direction", "message_type", "action", "unique_id", "payload"]
        return csv_download(f"ocpp-log-{station['charge_box_id']}.csv", header, batches())

    # --- Freischaltmonitor ----------------------------------------------------------------------------------

    @get("/authorizations", name="ops_authorizations")
    async def authorizations(
        self, request: AnyRequest, stage: str = "", auth_source: str = "", period: str = "24h", q: str = ""
    ) -> Response[str]:
        actor = actor_of(request)
        flt = MonitorFilter.of(stage, auth_source, period, q)
        context = {
            "rows": await monitoring.authorization_monitor(actor, flt),
            "flt": flt,
            "stages": monitoring.STAGE_FILTERS,
            "auth_sources": list(AuthSource),
            "periods": [*monitoring.PERIODS, "all"],
            "refresh_seconds": MONITOR_REFRESH_SECONDS,
        }
        return page(request, "operations/views/authorizations.html", context, block="monitor")

    # --- Anomalies ------------------------------------------------------------------------------------------

    @get("/anomalies", name="ops_anomalies")
    async def anomalies(self, request: AnyRequest, minutes: int = monitoring.DEFAULT_OPEN_MINUTES) -> Response[str]:
        actor = actor_of(request)
        minutes = max(0, min(minutes, 7 * 24 * 60))
        context = {
            "minutes": minutes,
            "open_sessions": await charging_anomalies.open_sessions_against_status(actor, minutes),
            "flagged": await charging_anomalies.flagged_sessions(actor),
            "anomalies": await charging_anomalies.open_anomalies(actor),
        }
        return page(request, "operations/views/anomalies.html", context)

    @post("/anomalies/{kind:str}/{item_id:int}/resolve")
    async def resolve(self, request: AnyRequest, kind: str, item_id: int) -> Response[Any]:
        actor = actor_of(request)
        note = str((await form_of(request)).get("note", "")).strip()
        if kind == "anomaly":
            await charging_anomalies.resolve_anomaly(actor, item_id, note)
        elif kind == "flagged":
            await charging_anomalies.resolve_flagged_session(actor, item_id, note)
        elif kind == "open":
            await charging_anomalies.close_open_session(actor, item_id, note)
        else:
            raise NotFoundException()
        flash(request, Message("The anomaly was resolved."))
        return done(request, "/operations/anomalies")

    # --- Unknown stations -----------------------------------------------------------------------------------

    @get("/unknown-stations", name="ops_unknown_stations")
    async def unknown_stations(self, request: AnyRequest) -> Response[str]:
        actor = actor_of(request)
        context = {
            "rows": await charging_anomalies.list_unknown_stations(actor),
            "allowed": await charging_anomalies.allows_unknown_stations(actor),
        }
        return page(request, "operations/views/unknown_stations.html", context)

    @post("/unknown-stations/settings", guards=MANAGE)
    async def unknown_settings(self, request: AnyRequest) -> Response[Any]:
        allowed = str((await form_of(request)).get("allow_unknown_stations", "")).lower() in ("on", "true", "1")
        await charging_anomalies.set_allow_unknown_stations(actor_of(request), allowed)
        flash(request, Message("The changes were saved."))
        return done(request, "/operations/unknown-stations")

    async def _adopt_page(
        self, request: AnyRequest, unknown: dict[str, Any], values: dict[str, Any], errors: Any, status: int = 200
    ) -> Response[str]:
        locations = await infrastructure_locations.list_locations(actor_of(request))
        context = {
            "unknown": unknown,
            "values": values,
            "errors": errors,
            "location_options": [(loc["id"], f"{loc['name']} ({loc['city']})") for loc in locations],
            "installation_statuses": list(InstallationStatus),
        }
        return page(request, "operations/views/adopt.html", context, status_code=status)

    @get("/unknown-stations/{unknown_id:int}/adopt", guards=MANAGE)
    async def adopt_form(self, request: AnyRequest, unknown_id: int) -> Response[str]:
        unknown = await charging_anomalies.get_unknown_station(actor_of(request), unknown_id)
        return await self._adopt_page(request, unknown, {"installation_status": "INSTALLED"}, {})

    @post("/unknown-stations/{unknown_id:int}/adopt", guards=MANAGE)
    async def adopt(self, request: AnyRequest, unknown_id: int) -> Response[Any]:
        actor = actor_of(request)
        form = await form_of(request)
        raw = {k: str(form.get(k, "")) for k in ("location_id", "name", "installation_status")}
        try:
            station, password = await charging_anomalies.adopt_unknown_station(actor, unknown_id, raw)
        except ValidationError as exc:
            unknown = await charging_anomalies.get_unknown_station(actor, unknown_id)
            return await self._adopt_page(request, unknown, raw, exc.errors, form_error_status(request))
        secret = {
            "station_id": station["id"],
            "password": password,
            "url": station_sheet.ocpp_url(station["charge_box_id"]),
            "username": station["charge_box_id"],
        }
        flash(request, Message("The station was adopted."), secret)
        return done(request, f"/infrastructure/stations/{station['id']}?tab=ocpp")

    @post("/unknown-stations/{unknown_id:int}/dismiss")
    async def dismiss(self, request: AnyRequest, unknown_id: int) -> Response[Any]:
        await charging_anomalies.dismiss_unknown_station(actor_of(request), unknown_id)
        flash(request, Message("The entry was dismissed."))
        return done(request, "/operations/unknown-stations")

    # --- Charge point page fragment -------------------------------------------------------------------------

    @get("/charge-points/{charge_point_id:int}/summary")
    async def charge_point_summary(self, request: AnyRequest, charge_point_id: int) -> Response[str]:
        summary = await monitoring.charge_point_summary(actor_of(request), charge_point_id)
        return render(request, "operations/views/_charge_point_summary.html", summary)
