"""The partner page's pushes: state, last error, pause, and "send everything again" (CSRF, roaming.manage, only
the partner's own tenant)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.roaming import pushes, session_push
from core.roaming.tables import Partner, PushedObject, PushState, SessionPushState
from tests.integration.ocpi.test_partner_pages import portal_of
from tests.integration.ocpi.test_pushes_with_peer import partners_end  # noqa: F401 - ends the test's partners
from tests.support import TenantCtx, make_tenant, post_form


async def registered_partner(emp: TenantCtx, *receivers: str) -> int:
    more = [{"identifier": m, "role": "RECEIVER", "url": f"http://127.0.0.1:9/{m}"} for m in receivers]
    partner = Partner(tenant=emp.id, kind="EMP", name="Plattform", state="REGISTERED", outgoing_token="t",
                      endpoints=[{"identifier": "locations", "role": "RECEIVER", "url": "http://127.0.0.1:9/locations"},
                                 {"identifier": "tariffs", "role": "SENDER", "url": "http://127.0.0.1:9/tariffs"},
                                 *more],
                      roles=[{"role": "EMSP", "country_code": "DE", "party_id": "EXW", "name": ""}])  # fmt: skip
    await partner.save()
    return int(partner.id)


async def test_the_partner_page_shows_the_pushes_and_sends_everything_again(emp_exw: TenantCtx) -> None:
    partner_id = await registered_partner(emp_exw)
    now = datetime.now(UTC)
    error = "PUT http://127.0.0.1:9/locations/DE/ISE/1: ConnectError"
    # Queued for a day: the push ticks of other processes sharing the database (a live server; embedded, this
    # process's own app) leave the partner alone, so the state the page made is still there to look at.
    await PushState(partner=partner_id, watermark=now, paused_until=now + timedelta(minutes=1), last_error=error,
                    last_error_at=now, queued_until=now + timedelta(days=1)).save()  # fmt: skip
    await PushedObject.insert(*[PushedObject(partner=partner_id, key=f"L/DE/ISE/{i}", location_id=i, digest="x")
                                for i in (1, 2)])  # fmt: skip
    async with portal_of(emp_exw) as portal:
        page = (await portal.get(f"/roaming/partners/{partner_id}")).text
        assert "Pushes to the partner" in page
        assert 'data-testid="push-modules">Locations</dd>' in page  # tariffs: the partner has no receiver
        assert 'data-testid="push-objects">2<' in page and 'data-testid="push-paused"' in page
        assert "ConnectError" in page and 'data-testid="push-again"' in page
        refused = await portal.post(f"/roaming/partners/{partner_id}/push-again")  # no CSRF token
        assert refused.status_code == 403
        assert await PushedObject.count().where(PushedObject.partner == partner_id) == 2
        done = await post_form(portal, f"/roaming/partners/{partner_id}/push-again", {}, follow_redirects=True)
        assert done.status_code == 200 and "Everything the partner sees is sent again now." in done.text
        assert "Not yet: the next push sends everything" in done.text and 'data-testid="push-paused"' not in done.text
    # The next run forgets what was sent (under the partner's lease: a run in progress cannot interfere).
    state = await PushState.select().where(PushState.partner == partner_id).first()
    assert state is not None and state["resend"] and state["paused_until"] is None
    overview = await pushes.overview(emp_exw.actor, partner_id)
    assert overview.modules == ["locations"] and overview.objects == 0 and overview.watermark is None


async def test_another_tenant_cannot_reset_a_partner(emp_exw: TenantCtx) -> None:
    partner_id = await registered_partner(emp_exw)
    await PushedObject(partner=partner_id, key="L/DE/ISE/1", location_id=1, digest="x").save()
    other = await make_tenant(kind="EMP")
    async with portal_of(other) as portal:
        answer = await post_form(portal, f"/roaming/partners/{partner_id}/push-again", {})
        assert answer.status_code == 404
    assert await PushedObject.count().where(PushedObject.partner == partner_id) == 1


async def test_the_partner_page_counts_the_session_updates_sent_and_given_up(emp_exw: TenantCtx) -> None:
    without = await registered_partner(emp_exw)
    partner_id = await registered_partner(emp_exw, "sessions")
    now = datetime.now(UTC)
    error = "PATCH http://127.0.0.1:9/sessions/DE/ISE/7: ConnectError"
    await SessionPushState(partner=partner_id, sent=5, failed=1, last_sent_at=now, last_error=error,
                           last_error_at=now).save()  # fmt: skip
    async with portal_of(emp_exw) as portal:
        page = (await portal.get(f"/roaming/partners/{partner_id}")).text
        assert 'data-testid="push-sessions-sent">5 (last ' in page
        assert 'data-testid="push-sessions-failed">1 <' in page and "sessions/DE/ISE/7: ConnectError" in page
        other = (await portal.get(f"/roaming/partners/{without}")).text
        assert "None: the partner receives no sessions" in other
    shown = await session_push.overview(emp_exw.actor, partner_id)
    assert shown.receives and (shown.sent, shown.failed) == (5, 1)
    assert not (await session_push.overview(emp_exw.actor, without)).receives
