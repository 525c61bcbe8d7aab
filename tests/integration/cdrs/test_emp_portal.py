"""What an EMP tenant's users see of their drivers (issue 14, Portal): the sessions and CDRs of their connection,
newest first and paged, each CDR with its delivery, and nothing of another EMP's partner (404 on every page of it);
a user without the charging data switch gets no lists (403); a CPO sees roaming sessions only at its own stations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core import outbox
from core.cdrs.building import ROAMING_CDR_TOPIC, roaming_cdr_key
from core.errors import NotFound, PermissionDenied
from core.outbox import MAX_ATTEMPTS, OutboxMessage
from core.roaming import cdr_push, partner_activity
from core.roaming.cdr_push import BY_GET
from core.roaming.partner_activity import Delivery
from core.tenancy.permissions import Permission
from tests.integration.cdrs.conftest import cdr_of, finished_session
from tests.integration.cdrs.test_roaming_sessions import registered_partner, roaming_session
from tests.integration.ocpi.conftest import tenant_with_party
from tests.integration.ocpp.conftest import make_station
from tests.support import TenantCtx, app_client, login, make_tenant, make_user

T = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


async def _mark_outbox(cdr_id: int, **values: object) -> None:
    """The CDR's delivery in a given state. A fresh row, due only tomorrow: a relay running meanwhile (embedded:
    this process's app, a live server's) may have sent the original already, and settles that row, not this one."""
    key = roaming_cdr_key(cdr_id)
    original = await OutboxMessage.select().where(OutboxMessage.dedupe_key == key).first()
    assert original is not None
    await OutboxMessage.delete().where(OutboxMessage.dedupe_key == key)
    payload = {k: v for k, v in outbox._payload(original["payload"]).items() if k != BY_GET}
    await OutboxMessage.insert(
        OutboxMessage(topic=original["topic"], dedupe_key=key, payload=payload,
                      available_at=datetime.now(UTC) + timedelta(days=1),
                      **{k: v for k, v in values.items()})  # fmt: skip
    )


async def test_the_emp_sees_its_drivers_sessions_and_cdrs_newest_first_with_their_delivery(
    cpo: TenantCtx, unique: str
) -> None:
    await make_tenant(kind="HUB")
    emp = await tenant_with_party("EMP", "EVA")
    partner = await registered_partner(emp)
    other_cpo = await tenant_with_party("CPO", "OVA")
    station = await make_station(cpo, "V" + unique)
    elsewhere = await make_station(other_cpo, "W" + unique)
    sessions = [
        await finished_session(cpo, station, energy_wh=5_000, start=T),
        await finished_session(other_cpo, elsewhere, energy_wh=7_000, start=T + timedelta(days=1)),
        await finished_session(cpo, station, energy_wh=9_000, start=T + timedelta(days=2)),
    ]
    running = await finished_session(cpo, station, point=1, status="CHARGING", start=T + timedelta(days=3))
    own_card = await finished_session(cpo, station, start=T + timedelta(days=4))  # not the partner's
    for session_id in (*sessions, running):
        await roaming_session(session_id, partner, "DE-EVA-C1")
    cdrs = [await cdr_of(s) for s in (*sessions, own_card)]

    listed = await partner_activity.partner_sessions(emp.actor, partner["id"])
    assert [r["id"] for r in listed.rows] == [running, *reversed(sessions)]  # newest start first
    assert listed.total == 4 and listed.pages == 1
    assert [str(r["kwh"]) for r in listed.rows[1:]] == ["9.000", "7.000", "5.000"]
    assert listed.rows[0]["cdr_id"] is None and listed.rows[1]["cdr_id"] == cdrs[2]["id"]
    assert listed.rows[1]["charge_box_id"] == station.charge_box_id and listed.rows[1]["location_name"]
    paged = await partner_activity.partner_sessions(emp.actor, partner["id"], page=2, per_page=3)
    assert [r["id"] for r in paged.rows] == [sessions[0]] and paged.pages == 2
    assert (await partner_activity.partner_sessions(emp.actor, partner["id"], page=99, per_page=3)).page == 2

    # Deliveries: POSTed and taken, still trying, given up, read by GET, and one made before CDRs were POSTed.
    await _mark_outbox(cdrs[0]["id"], delivered_at=T)
    await _mark_outbox(cdrs[1]["id"], attempts=3, last_error="HTTP 503")
    await _mark_outbox(cdrs[2]["id"], attempts=MAX_ATTEMPTS, last_error="HTTP 500")
    listed_cdrs = await partner_activity.partner_cdrs(emp.actor, partner["id"])
    assert [r["id"] for r in listed_cdrs.rows] == [c["id"] for c in reversed(cdrs[:3])]
    assert [r["delivery"] for r in listed_cdrs.rows] == [Delivery.FAILED, Delivery.PENDING, Delivery.DELIVERED]
    assert listed_cdrs.rows[1]["delivery_error"] == "HTTP 503" and listed_cdrs.rows[2]["delivery_error"] == ""
    message = await OutboxMessage.select(OutboxMessage.id).where(
        OutboxMessage.dedupe_key == roaming_cdr_key(cdrs[1]["id"])).first()  # fmt: skip
    assert message is not None
    assert await cdr_push.send(message["id"])  # the partner has no CDRs receiver: it reads the CDR by GET
    await OutboxMessage.delete().where(OutboxMessage.dedupe_key == roaming_cdr_key(cdrs[2]["id"]))
    by_id = {r["id"]: r["delivery"] for r in (await partner_activity.partner_cdrs(emp.actor, partner["id"])).rows}
    assert by_id[cdrs[1]["id"]] == Delivery.BY_GET and by_id[cdrs[2]["id"]] == Delivery.NONE
    assert await OutboxMessage.count().where(OutboxMessage.topic == ROAMING_CDR_TOPIC) >= 2

    async with app_client() as client:
        await login(client, emp.admin["email"])
        page = await client.get(f"/roaming/partners/{partner['id']}/sessions")
        assert page.status_code == 200 and page.text.count('data-testid="partner-session-row"') == 4
        assert "DE-EVA-C1" in page.text
        page = await client.get(f"/roaming/partners/{partner['id']}/cdrs")
        assert page.status_code == 200 and page.text.count('data-testid="partner-cdr-row"') == 3
        assert 'data-delivery="DELIVERED"' in page.text and 'data-delivery="BY_GET"' in page.text
        start = (await client.get("/")).text  # the EMP's start page: its connection, not the CPO's station tiles
        assert 'data-testid="emp-connection"' in start and 'data-testid="status-tiles"' not in start
        assert f'href="/roaming/partners/{partner["id"]}/sessions" data-testid="emp-sessions">4<' in start
        detail = await client.get(f"/roaming/partners/{partner['id']}")
        assert f'href="/roaming/partners/{partner["id"]}/cdrs" data-testid="partner-cdrs">3<' in detail.text
        assert (await client.get(f"/roaming/partners/{partner['id']}/cdrs", params={"page": "x"})).status_code == 400


async def test_nothing_of_another_emps_partner_and_no_lists_without_charging_data(cpo: TenantCtx, unique: str) -> None:
    await make_tenant(kind="HUB")
    first, second = await tenant_with_party("EMP", "EVB"), await tenant_with_party("EMP", "EVC")
    theirs = await registered_partner(second)
    station = await make_station(cpo, "X" + unique)
    session = await finished_session(cpo, station)
    await roaming_session(session, theirs, "DE-EVC-C1")
    await cdr_of(session)

    for listing in (partner_activity.partner_sessions, partner_activity.partner_cdrs):
        with pytest.raises(NotFound):
            await listing(first.actor, theirs["id"])
        with pytest.raises(NotFound):  # a CPO reaches no partner's lists either; its own stations' part is in
            await listing(cpo.actor, theirs["id"])  # the charging data (tests/integration/cdrs/test_roaming_sessions)
    base = f"/roaming/partners/{theirs['id']}"
    async with app_client() as client:
        await login(client, first.admin["email"])
        start = (await client.get("/")).text
        assert 'data-testid="emp-no-connection"' in start
        # an EMP operates no stations: none of the station areas in its menu, though its admin holds every switch
        assert 'href="/infrastructure/overview"' not in start and 'href="/cards"' not in start
        assert 'href="/operations/authorizations"' not in start and 'href="/users"' in start
        for path in ("", "/sessions", "/cdrs", "/log", "/log.csv", "/log/rows?after_id=0"):
            assert (await client.get(base + path)).status_code == 404, path
    async with app_client() as client:
        await login(client, cpo.admin["email"])
        assert 'href="/infrastructure/overview"' in (await client.get("/")).text
        for path in ("", "/sessions", "/cdrs", "/log"):
            assert (await client.get(base + path)).status_code == 404, path

    # roaming.view alone: the connection and its log, not its drivers' charging data
    viewer = await make_user(second.id, permissions=[Permission.ROAMING_VIEW.value])
    async with app_client() as client:
        await login(client, viewer["email"])
        assert (await client.get(base)).status_code == 200
        assert (await client.get(base + "/log")).status_code == 200
        for path in ("/sessions", "/cdrs"):
            assert (await client.get(base + path)).status_code == 403, path
        assert 'data-testid="partner-tab-sessions"' not in (await client.get(base)).text
    with pytest.raises(PermissionDenied):
        from core.tenancy.logins import actor_for_user

        await partner_activity.partner_sessions(await actor_for_user(viewer), theirs["id"])
