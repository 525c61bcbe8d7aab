"""The "Ladedaten" page, its CSV export, charts, detail page and REST API: filters, sums, isolation, permissions."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from core.cdrs import charging_data
from core.cdrs.charging_data import CdrQuery
from core.cdrs.export import EXPORT_HEADERS
from core.tenancy import api_keys
from portal.i18n import translations
from tests.integration.cdrs.conftest import cdr_of, finished_session, second_location_station
from tests.integration.ocpp.conftest import make_station
from tests.support import TenantCtx, app_client, login, make_user, post_form

OCMF = 'OCMF|{"FV":"1.0","RD":[{"TX":"B","RV":1.0,"RU":"kWh"}]}|{"SD":"3045AB"}'
PERIOD = {"from": "2026-09-01", "to": "2026-12-31"}


@dataclass
class Data:
    ctx: TenantCtx
    other: TenantCtx
    signed: dict[str, Any]  # Munich AC, RFID, signed
    failed: dict[str, Any]  # Munich AC, remote start, power loss
    vienna: dict[str, Any]  # Vienna DC, Eichrecht
    active_session: int
    foreign: dict[str, Any]  # another tenant's CDR


@pytest.fixture
async def data(cpo: TenantCtx, other_cpo: TenantCtx, unique: str) -> Data:
    munich = await make_station(cpo, "M" + unique)
    vienna = await second_location_station(cpo, "W" + unique)
    signed = await cdr_of(await finished_session(cpo, munich, energy_wh=10_000, minutes=60, signed=OCMF))
    failed = await cdr_of(
        await finished_session(cpo, munich, point=1, energy_wh=5_000, minutes=30, auth_source="REMOTE",
                               stop_reason="PowerLoss")
    )  # fmt: skip
    vienna_cdr = await cdr_of(await finished_session(cpo, vienna, energy_wh=30_000, minutes=240))
    active = await finished_session(cpo, munich, energy_wh=2_500, status="CHARGING")
    foreign_station = await make_station(other_cpo, "X" + unique, points=1)
    foreign = await cdr_of(await finished_session(other_cpo, foreign_station, energy_wh=7_000))
    return Data(cpo, other_cpo, signed, failed, vienna_cdr, active, foreign)


def sessions_of(rows: list[dict[str, Any]]) -> set[int]:
    return {int(r["session_id"]) for r in rows}


async def test_filters_select_the_right_rows(data: Data) -> None:
    actor = data.ctx.actor
    base = charging_data.parse_query(PERIOD)
    every = {data.signed["session"], data.failed["session"], data.vienna["session"], data.active_session}

    async def only(**changes: Any) -> set[int]:
        q = charging_data.parse_query({**PERIOD, **changes})
        rows = await charging_data.list_rows(actor, q)
        assert await charging_data.count(actor, q) == len(rows)
        return sessions_of(rows)

    assert sessions_of(await charging_data.list_rows(actor, base)) == every
    assert await only(country="AUT") == {data.vienna["session"]}
    assert await only(city="wie") == {data.vienna["session"]}
    assert await only(city="1010") == {data.vienna["session"]}  # postal code
    assert await only(street="ring") == {data.vienna["session"]}
    assert await only(eichrecht="yes") == {data.vienna["session"]}
    assert data.vienna["session"] not in await only(eichrecht="no")
    assert await only(power="DC") == {data.vienna["session"]}
    assert await only(auth="REMOTE") == {data.failed["session"]}
    assert await only(status="FAILED") == {data.failed["session"]}
    assert await only(status="ACTIVE") == {data.active_session}
    assert await only(currency="EUR") == every - {data.active_session}
    assert await only(**{"from": "2026-10-02"}) == set()
    by_energy = charging_data.parse_query({**PERIOD, "sort": "total_energy", "dir": "asc"})
    rows = await charging_data.list_rows(actor, by_energy)
    assert [r["session_id"] for r in rows][-1] == data.vienna["session"]
    charts = await charging_data.chart_data(actor, base)
    assert sum(energy for _, energy in charts["energy_per_day"]) == Decimal("47.500")  # CDRs and the running one
    assert dict(charts["auth_sources"]) == {"RFID": 3, "REMOTE": 1}
    assert dict(charts["durations"])["15–60 min"] == 1 and dict(charts["durations"])["2–4 h"] == 0
    assert dict(charts["durations"])["4–8 h"] == 1  # 240 minutes
    sums = {s["currency"]: s for s in await charging_data.sums(actor, base)}
    assert sums["EUR"]["total_energy"] == Decimal("45.000") and sums["EUR"]["sessions"] == 3
    assert sums[""]["total_energy"] == Decimal("2.500")  # the running session


async def test_page_list_chart_and_detail(data: Data) -> None:
    async with app_client() as client:
        await login(client, data.ctx.admin["email"])
        page = await client.get("/charging-data", params={**PERIOD, "country": "AUT"})
        assert page.status_code == 200
        assert page.text.count('data-testid="cd-row"') == 1 and f'data-session="{data.vienna["session"]}"' in page.text
        assert "Ladedaten" in page.text and "Ladestations ID" in page.text and "Vorgangsnummer" in page.text
        fragment = await client.get("/charging-data", params=PERIOD, headers={"HX-Request": "true"})
        assert fragment.text.lstrip().startswith('<div id="results"')
        assert fragment.text.count('data-testid="cd-row"') == 4
        chart = await client.get("/charging-data", params={**PERIOD, "view": "chart"})
        assert 'data-testid="chart-energy"' in chart.text and "<rect" in chart.text
        assert 'data-testid="chart-auth"' in chart.text and 'data-testid="chart-durations"' in chart.text
        default = await client.get("/charging-data")  # the last 30 days: T0 lies further back
        assert default.status_code == 200 and 'name="from" value="' in default.text
        detail = await client.get(f"/charging-data/{data.signed['id']}")
        assert detail.status_code == 200 and 'data-testid="signed-value"' in detail.text
        assert "3045AB" in detail.text and "OCMF" in detail.text
        table = detail.text.split('data-testid="meter-values"', 1)[1].split("</table>", 1)[0]
        assert "Transaction.Begin" in table and "SignedData" in table  # the stored sampled value, defaults filled in
        no_tariff = await client.get(f"/charging-data/{data.vienna['id']}")
        assert 'data-testid="cdr-remark"' in no_tariff.text and 'data-testid="no-signed-data"' in no_tariff.text
        foreign = await client.get(f"/charging-data/{data.foreign['id']}")
        assert foreign.status_code == 404


async def _export(data: Data, language: str) -> tuple[Any, str]:
    async with app_client() as client:
        await login(client, data.ctx.admin["email"])
        await post_form(client, "/lang", {"language": language, "next": "/"})
        response = await client.get("/charging-data/export.csv", params={**PERIOD, "currency": "EUR"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    return response, response.content.decode("utf-8-sig")


def _local(value: datetime, fmt: str) -> str:
    """A stored time as people in the tenant's zone (Germany) read it."""
    return value.astimezone(ZoneInfo("Europe/Berlin")).strftime(fmt)


async def test_csv_export_for_german_users(data: Data) -> None:
    _, text = await _export(data, "de")
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    german = translations("de").gettext
    assert list(rows[0]) == [EXPORT_HEADERS[c].render(german) for c in charging_data.EXPORT_COLUMNS]
    assert {"Energie (kWh)", "Beginn", "Ende", "Land", "Bruttobetrag", "Abrechenbar"} <= set(rows[0])
    by_session = {int(r["Ladevorgang"]): r for r in rows}
    assert set(by_session) == {data.signed["session"], data.failed["session"], data.vienna["session"]}
    vienna = by_session[data.vienna["session"]]
    assert (vienna["Energie (kWh)"], vienna["Dauer (h)"], vienna["Eichrechtskonform"]) == ("30,000", "4,000000", "Ja")
    assert vienna["Beginn"] == _local(data.vienna["start_date_time"], "%d.%m.%Y %H:%M:%S")  # local time, not UTC
    assert by_session[data.failed["session"]]["Status"] == "FAILED"
    assert data.foreign["session"] not in by_session


async def test_csv_export_for_english_users(data: Data) -> None:
    _, text = await _export(data, "en")
    rows = list(csv.DictReader(io.StringIO(text), delimiter=","))
    assert {"Session", "Energy (kWh)", "Start", "Eichrecht compliant", "Gross amount"} <= set(rows[0])
    vienna = {int(r["Session"]): r for r in rows}[data.vienna["session"]]
    assert (vienna["Energy (kWh)"], vienna["Duration (h)"], vienna["Eichrecht compliant"]) == (
        "30.000", "4.000000", "Yes"
    )  # fmt: skip
    assert (vienna["Country"], vienna["City"], vienna["AC/DC"]) == ("AUT", "Wien", "DC")
    assert vienna["Start"] == _local(data.vienna["start_date_time"], "%Y-%m-%d %H:%M:%S")


async def test_export_walks_every_row_in_batches(data: Data) -> None:
    q = CdrQuery(**{**charging_data.parse_query(PERIOD).__dict__})
    seen: list[int] = []
    async for batch in charging_data.export_batches(data.ctx.actor, q, batch=1):
        assert len(batch) == 1
        seen.extend(int(r[charging_data.EXPORT_COLUMNS.index("session_id")]) for r in batch)
    assert len(seen) == len(set(seen)) == 4  # keyset paging: no row twice, none lost


async def test_rest_api_lists_and_returns_only_own_cdrs(data: Data) -> None:
    key, _ = await api_keys.create_api_key(data.ctx.id, "cdrs")
    headers = {"Authorization": f"Bearer {key}"}
    async with app_client() as client:
        listing = await client.get("/api/v1/cdrs", params={**PERIOD, "power": "DC"}, headers=headers)
        assert listing.status_code == 200
        body = listing.json()
        assert body["total"] == 1 and body["items"][0]["id"] == data.vienna["id"]
        assert body["items"][0]["total_energy"] == "30.000"
        everything = (await client.get("/api/v1/cdrs", params={**PERIOD, "per_page": 200}, headers=headers)).json()
        assert data.foreign["session"] not in {item["session_id"] for item in everything["items"]}
        one = await client.get(f"/api/v1/cdrs/{data.signed['id']}", headers=headers)
        assert one.status_code == 200 and one.json()["signed_data"]["signed_values"][0]["signed_data"] == OCMF
        assert (await client.get(f"/api/v1/cdrs/{data.foreign['id']}", headers=headers)).status_code == 404
        narrow, _ = await api_keys.create_api_key(data.ctx.id, "infra", permissions=["infrastructure.view"])
        denied = await client.get("/api/v1/cdrs", headers={"Authorization": f"Bearer {narrow}"})
        assert denied.status_code == 403


async def test_without_sessions_view_the_pages_are_forbidden(data: Data) -> None:
    user = await make_user(data.ctx.id, permissions=["infrastructure.view"])
    async with app_client() as client:
        await login(client, user["email"])
        for url in ("/charging-data", "/charging-data/export.csv", f"/charging-data/{data.signed['id']}"):
            assert (await client.get(url)).status_code == 403, url
        dashboard = await client.get("/")
        assert 'href="/charging-data"' not in dashboard.text
    viewer = await make_user(data.ctx.id, permissions=["sessions.view"])
    async with app_client() as client:
        await login(client, viewer["email"])
        assert (await client.get("/charging-data", params=PERIOD)).status_code == 200
