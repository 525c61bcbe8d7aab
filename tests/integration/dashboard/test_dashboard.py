"""The start page on the real database: a finished session lands in its tenant's local hour, day and month when its
CDR is made (corrections and credits included) and the rebuild from the CDRs agrees; the page shows the tiles, the
chart switches without JavaScript and as an HTMX fragment, each tenant sees only its own figures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from core.alerts.tables import Alert
from core.cdrs import building
from core.charging.tables import ChargingSession
from core.dashboard import buckets, summary
from core.dashboard.buckets import Period
from core.dashboard.tables import DashboardHour
from core.infrastructure.tables import ChargePoint
from tests.integration.cdrs.conftest import cdr_of, finished_session
from tests.integration.ocpp.conftest import make_station
from tests.support import TenantCtx, app_client, dashboard_count, login, post_form

BERLIN = buckets.ZoneInfo("Europe/Berlin")


async def _hours(tenant_id: int) -> list[tuple[datetime, int, int, Decimal]]:
    rows = await DashboardHour.select().where(DashboardHour.tenant == tenant_id).order_by(DashboardHour.hour_start)
    return [(buckets.aware(r["hour_start"]), r["sessions"], r["energy_wh"], Decimal(str(r["revenue"]))) for r in rows]


async def test_a_finished_session_lands_in_its_local_hour(cpo: TenantCtx, unique: str) -> None:
    station = await make_station(cpo, "D" + unique)
    # 25 October 2026, the night the clocks go back: 02:30 CEST and 02:30 CET are two different hours
    first = await finished_session(cpo, station, start=datetime(2026, 10, 25, 0, 30, tzinfo=UTC), energy_wh=7_000)
    second = await finished_session(cpo, station, start=datetime(2026, 10, 25, 1, 30, tzinfo=UTC), energy_wh=3_000)
    late = await finished_session(cpo, station, start=datetime(2026, 10, 24, 22, 10, tzinfo=UTC), energy_wh=1_000)
    for session_id in (first, second, late):
        await cdr_of(session_id)
    await cdr_of(first)  # made again: counted once
    assert [(h, s, e) for h, s, e, _ in await _hours(cpo.id)] == [
        (datetime(2026, 10, 24, 22, tzinfo=UTC), 1, 1_000),  # 00:10 local on the 25th
        (datetime(2026, 10, 25, 0, tzinfo=UTC), 1, 7_000),
        (datetime(2026, 10, 25, 1, tzinfo=UTC), 1, 3_000),
    ]
    day = await buckets.bars(cpo.actor.scope, BERLIN, Period.DAY, datetime(2026, 10, 25, 12, tzinfo=UTC))
    assert len(day) == 25 and [b.sessions for b in day[:4]] == [1, 0, 1, 1]
    week = await buckets.bars(cpo.actor.scope, BERLIN, Period.WEEK, datetime(2026, 10, 26, 12, tzinfo=UTC))
    assert [b.sessions for b in week[-3:]] == [0, 3, 0] and week[-2].energy_wh == 11_000
    year = await buckets.bars(cpo.actor.scope, BERLIN, Period.YEAR, datetime(2026, 11, 1, 12, tzinfo=UTC))
    assert year[-2].start.month == 10 and year[-2].sessions == 3

    # A correction: the credit takes the first CDR away, the new CDR counts the corrected energy; still one session.
    await ChargingSession.update({ChargingSession.energy_wh: 9_000, ChargingSession.meter_stop_wh: 9_000,
                                  ChargingSession.last_meter_wh: 9_000}).where(ChargingSession.id == first)  # fmt: skip
    assert await building.correct_cdr(first) is not None
    hours = await _hours(cpo.id)
    assert hours[1][1:3] == (1, 9_000)

    # The backfill from the CDRs (migration, `csms dashboard rebuild`) computes the same hours.
    assert await buckets.rebuild(cpo.id) == 3
    assert await _hours(cpo.id) == hours


async def test_the_page_shows_todays_figures_and_switches_the_chart(cpo: TenantCtx, other_cpo: TenantCtx,
                                                                    unique: str) -> None:  # fmt: skip
    station = await make_station(cpo, "P" + unique)
    now = datetime.now(UTC)
    done = await finished_session(cpo, station, start=now - timedelta(minutes=1), minutes=1, energy_wh=12_345)
    await cdr_of(done)
    running = ChargingSession(tenant=cpo.id, station=station.id, charge_point=station.charge_points[1]["id"],
                              connector_id=2, id_tag="AABB02", started_at=now, status="CHARGING")  # fmt: skip
    await running.save()
    await ChargePoint.update({ChargePoint.error_rate: Decimal("12.5")}).where(
        ChargePoint.id == station.charge_points[0]["id"]
    )
    await Alert(tenant=cpo.id, station=station.id, source="anomaly", case="SENSORS", code="meter_backwards",
                opened_at=now, last_event_at=now).save()  # fmt: skip
    other = await make_station(other_cpo, "Q" + unique)
    await cdr_of(await finished_session(other_cpo, other, start=now - timedelta(minutes=2), energy_wh=99_000))

    figures = await summary.session_figures(cpo.actor, BERLIN)
    assert figures is not None and (figures.today, figures.running, figures.energy_today_wh) == (2, 1, 12_345)

    async with app_client() as client:
        await login(client, cpo.admin["email"])
        await post_form(client, "/lang", {"language": "en", "next": "/"})
        page = (await client.get("/")).text
        assert dashboard_count(page, "sessions-today") == 2 and dashboard_count(page, "sessions-running") == 1
        assert 'data-period="7d"' in page and 'data-metric="energy"' in page
        assert 'href="/infrastructure/overview?status=unavailable"' in page
        assert 'data-testid="dashboard-alert"' in page and 'data-testid="open-anomalies-count">1<' in page
        assert 'data-testid="error-station"' in page and "12.5 %" in page
        assert '<title id="dashboard-chart-title">Energy, 7 days: 12.3 kWh</title>' in page  # never the other's 99

        fragment = await client.get("/?period=1d&metric=sessions", headers={"HX-Request": "true"})
        assert fragment.text.lstrip().startswith('<section class="card dashboard-chart"')
        assert 'data-period="1d"' in fragment.text and "status-tiles" not in fragment.text
        assert fragment.headers["vary"] == "HX-Request"

        await post_form(client, "/lang", {"language": "de", "next": "/"})
        german = (await client.get("/?period=12m&metric=revenue")).text  # a plain link works without JavaScript
        assert 'data-period="12m"' in german and "Umsatz" in german and "Nicht verfügbar" in german
        assert "12,3 kWh" in german
        fallback = (await client.get("/?period=1y&metric=<script>")).text
        assert 'data-period="7d"' in fallback and "<script>" not in fallback.split('id="dashboard-chart"')[1][:200]


async def test_a_large_fleets_counts_are_kept_a_few_seconds(cpo: TenantCtx, unique: str, monkeypatch: Any) -> None:
    station = await make_station(cpo, "F" + unique)
    tiles, connections = await summary.fleet_counts(cpo.actor)
    assert connections == {"online": 0, "offline": 1} and sum(t["count"] for t in tiles) == 2
    await make_station(cpo, "G" + unique)
    small, _ = await summary.fleet_counts(cpo.actor)  # a small fleet is counted every time
    assert sum(t["count"] for t in small) == 4
    monkeypatch.setattr(summary, "LARGE_FLEET", 1)
    monkeypatch.setattr(summary, "_fleet_counts", {})
    await summary.fleet_counts(cpo.actor)
    await ChargePoint.delete().where(ChargePoint.station == station.id)
    kept, _ = await summary.fleet_counts(cpo.actor)
    assert sum(t["count"] for t in kept) == 4
    monkeypatch.setattr(summary, "FLEET_COUNTS_SECONDS", 0.0)
    monkeypatch.setattr(summary, "_fleet_counts", {})
    assert sum(t["count"] for t in (await summary.fleet_counts(cpo.actor))[0]) == 2


async def test_a_charge_point_reported_unavailable_is_under_not_available(cpo: TenantCtx, unique: str) -> None:
    """OCPP "Unavailable" (OCPI INOPERATIVE) is "Nicht verfügbar", as the overview the tile opens shows it; a fault
    (OUTOFORDER) is "Außer Betrieb"."""
    from core.infrastructure import charge_points, overview
    from core.infrastructure.tables import ChargingStation

    station = await make_station(cpo, "U" + unique)
    await ChargingStation.update({ChargingStation.connected: True, ChargingStation.status: "AVAILABLE"}).where(
        ChargingStation.id == station.id
    )
    unavailable, faulted = (cp["id"] for cp in station.charge_points)
    await ChargePoint.update({ChargePoint.status: "INOPERATIVE"}).where(ChargePoint.id == unavailable)
    await ChargePoint.update({ChargePoint.status: "OUTOFORDER"}).where(ChargePoint.id == faulted)
    tiles = {t["status"]: t["count"] for t in await charge_points.status_counts(cpo.actor)}
    assert tiles == {"available": 0, "occupied": 0, "unavailable": 1, "inoperative": 1}
    rows = await overview.rows(cpo.actor, overview.parse_query({"status": "unavailable"}))
    assert [row["id"] for row in rows] == [unavailable]
    async with app_client() as client:
        await login(client, cpo.admin["email"])
        listed = (await client.get("/infrastructure/overview?status=unavailable")).text
        assert '<span class="badge INOPERATIVE">Nicht verfügbar</span>' in listed
