"""The alert mails (core.alerts.rules): problems as soon as the tick found them, recoveries once an alert has stayed
closed for the quiet time (ALERT_QUIET_MINUTES); each recipient one mail per run. Mails are queued (core.mail) in
the transaction that marks the alerts as told, so a crash tells nobody twice and nobody nothing."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from core import outbox
from core.alerts.rules import SUMMARY_LISTS, PlannedMail, Scope, Source, case_counts, plan_mails
from core.alerts.tables import Alert, NotificationGroup, NotificationGroupMember
from core.db import transaction
from core.infrastructure.tables import ChargePoint, ChargingStation
from core.mail.mails import queue_mail
from core.settings import get_settings
from core.tenancy import tenants
from core.tenancy.tables import Tenant

MAIL_KIND = "alerts"
ALERT_COLUMNS = (Alert.id, Alert.tenant, Alert.station, Alert.charge_point, Alert.source, Alert.case, Alert.code,
                 Alert.opened_at, Alert.closed_at)  # fmt: skip


async def _scopes(tenant_id: int) -> list[Scope]:
    groups = await NotificationGroup.select().where(NotificationGroup.tenant == tenant_id).output(load_json=True)
    if not groups:
        return []
    members: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in await NotificationGroupMember.select().where(
        NotificationGroupMember.group.is_in([g["id"] for g in groups])
    ):
        members[row["group"]].append(row)
    return [
        Scope(group["id"], tuple(group["recipients"] or ()), frozenset(group["cases"] or ()),
              group["all_charge_points"],
              frozenset(m["location"] for m in members[group["id"]] if m["location"]),
              frozenset(m["station"] for m in members[group["id"]] if m["station"]),
              frozenset(m["charge_point"] for m in members[group["id"]] if m["charge_point"]),
              group["language"] or "")
        for group in groups
    ]  # fmt: skip


async def _described(alerts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The alerts with what a recipient reads and a group's scope needs: station, location, EVSE-ID."""
    station_ids = sorted({a["station"] for a in alerts})
    stations = {row["id"]: row for row in await ChargingStation.select(
        ChargingStation.id, ChargingStation.name, ChargingStation.charge_box_id, ChargingStation.location,
        ChargingStation.location.name.as_alias("location_name"), ChargingStation.location.city.as_alias("city"),
    ).where(ChargingStation.id.is_in(station_ids or [0]))}  # fmt: skip
    points: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in await ChargePoint.select(ChargePoint.id, ChargePoint.station, ChargePoint.evse_id).where(
        ChargePoint.station.is_in(station_ids or [0])
    ):
        points[row["station"]].append(row)
    evse = {p["id"]: p["evse_id"] for rows in points.values() for p in rows}
    described = []
    for alert in alerts:
        station = stations.get(alert["station"], {})
        described.append({
            **alert, "location": station.get("location"), "station_points": [p["id"] for p in points[alert["station"]]],
            "station_name": station.get("name") or station.get("charge_box_id") or "",
            "charge_box_id": station.get("charge_box_id") or "", "location_name": station.get("location_name") or "",
            "city": station.get("city") or "", "evse_id": evse.get(alert["charge_point"] or 0, "") or "",
        })  # fmt: skip
    return described


def _dedupe_key(tenant_id: int, mail: PlannedMail) -> str:
    signature = (
        ",".join(map(str, (a["id"] for a in mail.problems)))
        + "|"
        + ",".join(map(str, (a["id"] for a in mail.recoveries)))
    )
    return f"alerts:{tenant_id}:{mail.recipient}:" + hashlib.sha256(signature.encode()).hexdigest()[:24]


def _context(tenant: dict[str, Any], mail: PlannedMail) -> dict[str, Any]:
    zone = ZoneInfo(tenants.tenant_time_zone(tenant))

    def shown(alert: dict[str, Any]) -> dict[str, Any]:
        at = alert["closed_at"] if alert in mail.recoveries else alert["opened_at"]
        return {"case": alert["case"], "code": alert["code"], "station": alert["station_name"],
                "charge_box_id": alert["charge_box_id"], "evse_id": alert["evse_id"],
                "place": ", ".join(p for p in (alert["location_name"], alert["city"]) if p),
                "at": at.astimezone(zone).strftime("%d.%m.%Y %H:%M")}  # fmt: skip

    return {
        "operator_name": tenant["legal_name"] or tenant["name"],
        "summary": mail.summary,
        "problems": [shown(a) for a in mail.problems[: SUMMARY_LISTS if mail.summary else None]],
        "recoveries": [shown(a) for a in mail.recoveries[: SUMMARY_LISTS if mail.summary else None]],
        "problem_count": len(mail.problems),
        "recovery_count": len(mail.recoveries),
        "problem_cases": case_counts(mail.problems),
        "page_url": get_settings().public_url + "/alerts",
    }


async def send_due(now: datetime) -> int:
    """Queues the due mails of every tenant; returns how many."""
    quiet = get_settings().alerts.quiet
    problems = await Alert.select(*ALERT_COLUMNS).where(Alert.notified_at.is_null() & Alert.closed_at.is_null())
    recoveries = await Alert.select(*ALERT_COLUMNS).where(
        Alert.notified_at.is_not_null() & Alert.recovery_notified_at.is_null() & Alert.closed_at.is_not_null()
        & (Alert.closed_at <= now - quiet) & (Alert.source != Source.ANOMALY)
    )  # fmt: skip
    # Opened and closed again before anybody was told, and quiet since: nothing to tell.
    await Alert.update({Alert.notified_at: now, Alert.recovery_notified_at: now}).where(
        Alert.notified_at.is_null() & Alert.closed_at.is_not_null() & (Alert.closed_at <= now - quiet)
    )
    by_tenant: dict[int, tuple[list[dict[str, Any]], list[dict[str, Any]]]] = defaultdict(lambda: ([], []))
    for alert in problems:
        by_tenant[alert["tenant"]][0].append(alert)
    for alert in recoveries:
        by_tenant[alert["tenant"]][1].append(alert)
    queued = 0
    for tenant_id, (opened, recovered) in sorted(by_tenant.items()):
        tenant = await Tenant.select().where(Tenant.id == tenant_id).first()
        if tenant is None:
            continue
        mails = plan_mails(await _described(opened), await _described(recovered), await _scopes(tenant_id),
                           tenants.tenant_language(tenant))  # fmt: skip
        async with transaction():
            for mail in mails:
                queued += await queue_mail(tenant_id=tenant_id, recipient=mail.recipient, language=mail.language,
                                           kind=MAIL_KIND, context=_context(tenant, mail),
                                           dedupe_key=_dedupe_key(tenant_id, mail)) is not None  # fmt: skip
            if opened:
                await Alert.update({Alert.notified_at: now}).where(Alert.id.is_in([a["id"] for a in opened]))
            if recovered:
                await Alert.update({Alert.recovery_notified_at: now}).where(
                    Alert.id.is_in([a["id"] for a in recovered])
                )
    if queued:
        outbox.kick()
    return queued
