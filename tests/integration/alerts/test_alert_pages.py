"""Alerts in the portal: the open and past lists, acknowledging, notification groups with field errors that keep
what was typed; other tenants' alerts and groups are not found, and without the switches nothing is shown or
changed. The group made here receives the next tick's mail."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import httpx
import pytest

from core.alerts import detect, manage
from core.alerts.cases import Case
from core.alerts.rules import Source
from core.alerts.tables import Alert, NotificationGroup
from core.errors import NotFound, PermissionDenied, ValidationError
from core.mail.tables import Mail
from core.tenancy.permissions import Permission
from tests.integration.infrastructure.conftest import make_site
from tests.support import TenantCtx, post_form


async def _offline_alert(ctx: TenantCtx, station_id: int) -> int:
    opening = detect.Opening(ctx.id, station_id, None, Source.OFFLINE, Case.UNAVAILABILITY, "Offline",
                             datetime.now(UTC))  # fmt: skip
    await detect.open_alerts([opening])
    row = await Alert.select(Alert.id).where(Alert.open_key == opening.key).first()
    assert row is not None
    return int(row["id"])


async def test_the_list_shows_open_alerts_and_acknowledging_marks_them(
    admin_client: httpx.AsyncClient, cpo: TenantCtx, unique: str
) -> None:
    site = await make_site(cpo, unique)
    alert_id = await _offline_alert(cpo, site.station["id"])
    page = await admin_client.get("/alerts")
    assert page.status_code == 200 and 'data-testid="nav-alerts"' in page.text
    assert "Unavailable" in page.text and site.station["charge_box_id"] in page.text
    acknowledged = await post_form(admin_client, f"/alerts/{alert_id}/acknowledge", {})
    assert acknowledged.status_code == 303
    row = await Alert.select().where(Alert.id == alert_id).first()
    assert row is not None and row["acknowledged_at"] is not None and row["closed_at"] is None  # still open
    past = await admin_client.get("/alerts?show=past")
    assert site.station["charge_box_id"] not in past.text


async def test_the_station_tab_lists_its_own_alerts_and_acknowledging_returns_there(
    admin_client: httpx.AsyncClient, cpo: TenantCtx, unique: str
) -> None:
    site, elsewhere = await make_site(cpo, unique), await make_site(cpo, unique + "b")
    alert_id = await _offline_alert(cpo, site.station["id"])
    await _offline_alert(cpo, elsewhere.station["id"])
    station_page = await admin_client.get(f"/infrastructure/stations/{site.station['id']}")
    assert f"/alerts/stations/{site.station['id']}/tab" in station_page.text  # the tab is offered
    tab = await admin_client.get(f"/alerts/stations/{site.station['id']}/tab")
    assert tab.status_code == 200 and tab.text.count('data-testid="alert-row"') == 1
    assert 'name="back" value="station"' in tab.text
    back = await post_form(admin_client, f"/alerts/{alert_id}/acknowledge", {"back": "station"})
    assert back.status_code == 303
    assert back.headers["location"] == f"/infrastructure/stations/{site.station['id']}?tab=alerts"
    quiet = await admin_client.get(f"/alerts/stations/{elsewhere.station['id'] + 10_000_000}/tab")
    assert quiet.status_code == 404


async def test_a_group_is_made_with_errors_kept_and_then_mailed(
    admin_client: httpx.AsyncClient, cpo: TenantCtx, unique: str
) -> None:
    site = await make_site(cpo, unique)
    wrong = await post_form(admin_client, "/alerts/groups", {"name": "Technik", "recipients": "tech@x.example\nkaputt",
                                                             "cases": "FUSE_TRIPPED"})  # fmt: skip
    assert wrong.status_code == 400 and "Not an e-mail address: kaputt" in wrong.text
    assert "tech@x.example\nkaputt" in wrong.text  # what was typed stays
    nothing = await post_form(admin_client, "/alerts/groups", {"name": "Technik", "recipients": "a@x.example",
                                                               "cases": "SENSORS"})  # fmt: skip
    assert nothing.status_code == 400 and "Choose locations or stations, or all charge points." in nothing.text
    recipient = f"tech-{unique}@x.example"
    made = await post_form(admin_client, "/alerts/groups", {"name": "Technik", "recipients": recipient,
                                                            "cases": "UNAVAILABILITY",
                                                            "station_ids": str(site.station["id"])})  # fmt: skip
    assert made.status_code == 303
    group = await NotificationGroup.select().where(NotificationGroup.tenant == cpo.id).output(load_json=True).first()
    assert group is not None and group["recipients"] == [recipient] and group["cases"] == ["UNAVAILABILITY"]
    shown = await admin_client.get(made.headers["location"])
    assert shown.status_code == 200 and recipient in shown.text

    await _offline_alert(cpo, site.station["id"])
    await detect.tick()
    assert await Mail.count().where(Mail.recipient == recipient) == 1


async def test_other_tenants_and_missing_switches(cpo: TenantCtx, other_cpo: TenantCtx, unique: str) -> None:
    site = await make_site(cpo, unique)
    alert_id = await _offline_alert(cpo, site.station["id"])
    group = await manage.save_group(cpo.actor, {"name": "G", "recipients": "g@x.example", "cases": ["SENSORS"],
                                                "all_charge_points": "on"})  # fmt: skip
    assert alert_id not in {a["id"] for a in await manage.list_alerts(other_cpo.actor)}
    assert alert_id in {a["id"] for a in await manage.list_alerts(cpo.actor)}
    with pytest.raises(NotFound):
        await manage.acknowledge(other_cpo.actor, alert_id)
    with pytest.raises(NotFound):
        await manage.get_group(other_cpo.actor, group["id"])
    with pytest.raises(ValidationError):  # a station of another tenant cannot join a group
        await manage.save_group(other_cpo.actor, {"name": "G", "recipients": "g@x.example", "cases": ["SENSORS"],
                                                  "station_ids": [str(site.station["id"])]}, None)  # fmt: skip
    viewer = dataclasses.replace(cpo.actor, permissions=frozenset({Permission.ALERTS_VIEW}))
    with pytest.raises(PermissionDenied):
        await manage.acknowledge(viewer, alert_id)
    blind = dataclasses.replace(cpo.actor, permissions=frozenset())
    with pytest.raises(PermissionDenied):
        await manage.list_alerts(blind)
