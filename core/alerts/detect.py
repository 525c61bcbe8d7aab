"""The alert tick: reads what happened since the last tick (StatusNotifications, anomalies) and which stations went
quiet, opens, changes and closes alerts (core.alerts.rules), then sends the mails that are due (core.alerts.notify).
Periodic (workers.schedules), in several processes at once: a lease on the cursor row lets one tick run at a time."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from core.alerts import notify
from core.alerts.cases import ALERTING_ANOMALIES, Case, case_of_status
from core.alerts.rules import Source, open_key
from core.alerts.tables import Alert, AlertCursor
from core.charging.tables import Anomaly, StatusEvent
from core.db import leased
from core.infrastructure.specs import InstallationStatus
from core.infrastructure.tables import ChargingStation
from core.settings import get_settings

BATCH = 5000  # status events per tick; a connect storm's backlog is read over a few ticks
LEASE = timedelta(minutes=2)
CURSOR = "alerts"


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class TickResult:
    opened: int = 0
    closed: int = 0
    mails: int = 0
    ran: bool = True


async def _lease(now: datetime, token: str) -> bool:
    await AlertCursor.insert(AlertCursor(name=CURSOR)).on_conflict(target=AlertCursor.name, action="DO NOTHING")
    taken = await AlertCursor.update({AlertCursor.lease_token: token, AlertCursor.lease_until: now + LEASE}).where(
        (AlertCursor.name == CURSOR) & (AlertCursor.lease_until.is_null() | (AlertCursor.lease_until < now))
    ).returning(AlertCursor.id)  # fmt: skip
    return bool(taken)


async def _release(token: str) -> None:
    await AlertCursor.update({AlertCursor.lease_token: "", AlertCursor.lease_until: None}).where(
        (AlertCursor.name == CURSOR) & (AlertCursor.lease_token == token)
    )


@dataclass(frozen=True)
class Opening:
    tenant_id: int
    station_id: int
    charge_point_id: int | None
    source: Source
    case: Case
    code: str
    at: datetime
    detail: dict[str, Any] | None = None

    @property
    def key(self) -> str:
        return open_key(self.station_id, self.charge_point_id, self.source)


CHUNK = 500  # keys per IN (...) and rows per insert: far below SQLite's parameter limit


def _chunks(items: list[Any]) -> list[list[Any]]:
    return [items[i : i + CHUNK] for i in range(0, len(items), CHUNK)]


async def open_alerts(openings: list[Opening]) -> int:
    """Opens an alert per opening: an open one of the same key takes the new case; one of the same key closed
    within the quiet time (flapping) is opened again, its recipients not told again; the rest are inserted, many per
    statement (10,000 stations going offline at once). Returns how many were opened or reopened."""
    current: dict[str, dict[str, Any]] = {}
    for chunk in _chunks([o.key for o in openings]):
        for found in await Alert.select(Alert.id, Alert.case, Alert.open_key).where(Alert.open_key.is_in(chunk)):
            current[found["open_key"]] = found
    fresh: list[Opening] = []
    for opening in openings:
        row = current.get(opening.key)
        if row is None:
            fresh.append(opening)
        elif row["case"] != opening.case:
            changed: dict[Any, Any] = {
                Alert.case: opening.case,
                Alert.code: opening.code,
                Alert.last_event_at: opening.at,
            }
            await Alert.update(changed).where(Alert.id == row["id"])
    recent: dict[str, int] = {}
    quiet = get_settings().alerts.quiet
    for chunk in _chunks(fresh):
        rows = await Alert.select(Alert.id, Alert.station, Alert.charge_point, Alert.source).where(
            Alert.station.is_in(sorted({o.station_id for o in chunk})) & Alert.closed_at.is_not_null()
            & (Alert.closed_at >= min(o.at for o in chunk) - quiet) & Alert.recovery_notified_at.is_null()
        ).order_by(Alert.closed_at)  # fmt: skip
        for row in rows:  # the newest closed alert of each key wins
            recent[open_key(row["station"], row["charge_point"], row["source"])] = row["id"]
    reopened = 0
    inserts: list[Alert] = []
    for opening in fresh:
        if opening.key in recent:  # flapping: the same alert again, no new mail
            await Alert.update({Alert.closed_at: None, Alert.open_key: opening.key, Alert.case: opening.case,
                                Alert.code: opening.code, Alert.last_event_at: opening.at}).where(
                Alert.id == recent[opening.key])  # fmt: skip
            reopened += 1
        else:
            inserts.append(Alert(
                tenant=opening.tenant_id, station=opening.station_id, charge_point=opening.charge_point_id,
                source=opening.source, case=opening.case, code=opening.code, detail=opening.detail or {},
                open_key=opening.key, opened_at=opening.at, last_event_at=opening.at,
            ))  # fmt: skip
    inserted = 0
    for chunk in _chunks(inserts):
        inserted += len(await Alert.insert(*chunk).on_conflict(target=Alert.open_key, action="DO NOTHING").returning(
            Alert.id))  # fmt: skip
    return reopened + inserted


async def close_alerts(closings: dict[str, datetime]) -> int:
    """Closes the open alerts of these keys, each at its time; keys without an open alert (most, after a connect
    storm of Available statuses) cost one query per chunk."""
    open_keys: list[str] = []
    for chunk in _chunks(list(closings)):
        open_keys += [row["open_key"] for row in await Alert.select(Alert.open_key).where(Alert.open_key.is_in(chunk))]
    for key in open_keys:
        at = closings[key]
        await Alert.update({Alert.closed_at: at, Alert.open_key: None, Alert.last_event_at: at}).where(
            Alert.open_key == key
        )
    return len(open_keys)


async def _statuses(cursor: dict[str, Any]) -> tuple[int, int, int]:
    """The status events since the cursor: the last one per charge point (or station) decides. Returns opened,
    closed and the last event id read."""
    rows = await StatusEvent.select(
        StatusEvent.id, StatusEvent.tenant, StatusEvent.station, StatusEvent.charge_point, StatusEvent.connector_id,
        StatusEvent.status, StatusEvent.error_code, StatusEvent.timestamp,
    ).where(StatusEvent.id > cursor["last_status_event"]).order_by(StatusEvent.id).limit(BATCH)  # fmt: skip
    last: dict[tuple[int, int | None], dict[str, Any]] = {}
    for row in rows:
        if row["connector_id"] > 0 and row["charge_point"] is None:
            continue  # a connector csms does not know: an anomaly of its own, not a charge point's state
        last[(row["station"], row["charge_point"])] = row
    openings: list[Opening] = []
    closings: dict[str, datetime] = {}
    for (station_id, point_id), row in last.items():
        case = case_of_status(row["status"], row["error_code"])
        if case is None:
            closings[open_key(station_id, point_id, Source.STATUS)] = row["timestamp"]
        else:
            code = row["error_code"] if row["error_code"] not in ("", "NoError") else row["status"]
            openings.append(Opening(row["tenant"], station_id, point_id, Source.STATUS, case, code, row["timestamp"]))
    opened, closed = await open_alerts(openings), await close_alerts(closings)
    return opened, closed, rows[-1]["id"] if rows else cursor["last_status_event"]


async def _offline(now: datetime) -> tuple[int, int]:
    """Stations quiet for ALERT_OFFLINE_MINUTES while disconnected open an alert; reconnected ones close theirs.
    Planned and decommissioned stations and stations that never spoke are not expected online."""
    offline_after = get_settings().alerts.offline_after
    columns = (ChargingStation.id, ChargingStation.tenant, ChargingStation.last_message_at)
    quiet = await ChargingStation.select(*columns).where(
        (ChargingStation.connected == False)  # noqa: E712
        & ChargingStation.decommissioned_at.is_null()
        & (ChargingStation.installation_status != InstallationStatus.PLANNED)
        & ChargingStation.last_message_at.is_not_null()
        & (ChargingStation.last_message_at < now - offline_after)
    )  # fmt: skip
    open_offline = {row["station"]: row["id"] for row in await Alert.select(Alert.id, Alert.station).where(
        Alert.open_key.is_not_null() & (Alert.source == Source.OFFLINE)
    )}  # fmt: skip
    opened = await open_alerts([
        Opening(station["tenant"], station["id"], None, Source.OFFLINE, Case.UNAVAILABILITY, "Offline",
                station["last_message_at"] + offline_after, {"last_message_at": station["last_message_at"].isoformat()})
        for station in quiet
        if station["id"] not in open_offline
    ])  # fmt: skip
    quiet_ids = {station["id"] for station in quiet}
    back = [station_id for station_id in open_offline if station_id not in quiet_ids]
    closed = 0
    for chunk in _chunks(back):
        online = await ChargingStation.select(ChargingStation.id).where(
            ChargingStation.id.is_in(chunk) & (ChargingStation.connected == True)  # noqa: E712
        )
        closed += await close_alerts({open_key(row["id"], None, Source.OFFLINE): now for row in online})
    return opened, closed


async def _anomalies(cursor: dict[str, Any]) -> tuple[int, int]:
    rows = await Anomaly.select(Anomaly.id, Anomaly.tenant, Anomaly.station, Anomaly.kind, Anomaly.detail,
                                Anomaly.created_at).where(Anomaly.id > cursor["last_anomaly"]).order_by(
        Anomaly.id).limit(BATCH).output(load_json=True)  # fmt: skip
    opened = 0
    for row in rows:
        if row["kind"] not in ALERTING_ANOMALIES or row["station"] is None or row["tenant"] is None:
            continue
        inserted = await Alert.insert(Alert(
            tenant=row["tenant"], station=row["station"], source=Source.ANOMALY, case=Case.ANOMALY, code=row["kind"],
            detail=row["detail"] or {}, open_key=f"anomaly:{row['id']}", opened_at=row["created_at"],
            last_event_at=row["created_at"],
        )).on_conflict(target=Alert.open_key, action="DO NOTHING").returning(Alert.id)  # fmt: skip
        opened += bool(inserted)
    return opened, rows[-1]["id"] if rows else cursor["last_anomaly"]


async def tick(now: datetime | None = None) -> TickResult:
    """One run: alerts from what happened, then the due mails. Nothing when another process's tick runs."""
    at = now or _now()
    async with leased(functools.partial(_lease, at), _release) as token:
        if token is None:
            return TickResult(ran=False)
        cursor = await AlertCursor.select().where(AlertCursor.name == CURSOR).first()
        assert cursor is not None
        opened, closed, last_event = await _statuses(cursor)
        went, came = await _offline(at)
        noted, last_anomaly = await _anomalies(cursor)
        read: dict[Any, Any] = {AlertCursor.last_status_event: last_event, AlertCursor.last_anomaly: last_anomaly}
        await AlertCursor.update(read).where(AlertCursor.name == CURSOR)
        mails = await notify.send_due(at)
        return TickResult(opened + went + noted, closed + came, mails)
