"""Roaming sessions in the charging data: the partner whose token charged and the driver's EMAID, on the CDR and on
running sessions, a filter by partner, and OCPI's AUTH_REQUEST for tokens the eMSP authorised in real time."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from core.cdrs import charging_data
from core.cdrs.charging_data import CdrQuery
from core.cdrs.tables import Cdr
from core.charging.tables import ChargingSession
from core.roaming import charged, names, partners, settlement
from core.roaming.partners import Connection
from core.roaming.tables import PartnerToken
from tests.integration.cdrs.conftest import cdr_of, finished_session
from tests.integration.ocpi.conftest import tenant_with_party
from tests.integration.ocpp.conftest import make_station
from tests.support import TenantCtx, app_client, login, make_tenant

PERIOD = {"from": "2026-09-01", "to": "2026-12-31"}


async def registered_partner(emp: TenantCtx) -> dict:
    created = await partners.create_partner(emp.actor, {"name": "their connection"})
    roles = [{"role": "EMSP", "country_code": "DE", "party_id": emp.tenant["party_id"], "name": "x"}]
    await partners.complete_registration(
        created.partner["id"], Connection("t", "http://peer.invalid/versions", "2.2.1", [], roles), partners.new_token()
    )
    return await partners.partner_by_id(created.partner["id"])


async def roaming_session(session_id: int, partner: dict, emaid: str, reference: str = "") -> None:
    await ChargingSession.update({
        ChargingSession.roaming_partner_id: partner["id"], ChargingSession.roaming_contract_id: emaid,
        ChargingSession.authorization_reference: reference,
    }).where(ChargingSession.id == session_id)  # fmt: skip


async def test_roaming_sessions_show_their_partner_and_emaid_and_filter_by_partner(cpo: TenantCtx, unique: str) -> None:
    await make_tenant(kind="HUB")  # EMP partners need a hub operator
    first_emp = await tenant_with_party("EMP", "EMQ")
    second_emp = await tenant_with_party("EMP", "EMR")
    first, second = await registered_partner(first_emp), await registered_partner(second_emp)
    station = await make_station(cpo, "R" + unique)
    own = await cdr_of(await finished_session(cpo, station))
    real_time = await finished_session(cpo, station, energy_wh=8_000)
    await roaming_session(real_time, first, "DE-EMQ-C00000001", "REF-42")
    real_time_cdr = await cdr_of(real_time)
    running = await finished_session(cpo, station, point=1, status="CHARGING")
    await roaming_session(running, second, "DE-EMR-C00000002")

    assert real_time_cdr["roaming_partner_id"] == first["id"]
    assert real_time_cdr["roaming_contract_id"] == "DE-EMQ-C00000001"
    assert real_time_cdr["authorization_reference"] == "REF-42" and real_time_cdr["auth_method"] == "AUTH_REQUEST"
    assert own["roaming_partner_id"] is None and own["auth_method"] == "WHITELIST"

    q = charging_data.parse_query({**PERIOD, "partner": str(first["id"])})
    assert {r["session_id"] for r in await charging_data.list_rows(cpo.actor, q)} == {real_time}
    q = charging_data.parse_query({**PERIOD, "partner": str(second["id"])})
    assert {r["session_id"] for r in await charging_data.list_rows(cpo.actor, q)} == {running}
    assert charging_data.parse_query({"partner": "x1"}).partner is None
    assert CdrQuery(partner=7).to_params()["partner"] == 7

    charged = await names.partners_charged(cpo.actor)
    assert charged == {first["id"]: f"{first_emp.tenant['name']} (DE*EMQ)",
                       second["id"]: f"{second_emp.tenant['name']} (DE*EMR)"}  # fmt: skip
    async with app_client() as client:
        await login(client, cpo.admin["email"])
        page = await client.get("/charging-data", params=PERIOD)
        assert page.status_code == 200
        assert 'data-testid="filter-partner"' in page.text and f"{first_emp.tenant['name']} (DE*EMQ)" in page.text
        assert page.text.count('data-testid="cd-partner"') == 2 and "DE-EMQ-C00000001" in page.text
        detail = await client.get(f"/charging-data/{real_time_cdr['id']}")
        assert 'data-testid="cdr-partner"' in detail.text and "REF-42" in detail.text and "(DE*EMQ)" in detail.text
        assert 'data-testid="cdr-partner"' not in (await client.get(f"/charging-data/{own['id']}")).text
        only = await client.get("/charging-data", params={**PERIOD, "partner": str(second["id"])})
        assert only.text.count('data-testid="cd-partner"') == 1 and "DE-EMR-C00000002" in only.text
    # another CPO sees none of it
    other = await tenant_with_party("CPO", "OTH")
    assert await names.partners_charged(other.actor) == {}


async def test_settlement_per_partner_and_month_with_csv(cpo: TenantCtx, unique: str) -> None:
    await make_tenant(kind="HUB")
    emp = await tenant_with_party("EMP", "EMS")
    partner = await registered_partner(emp)
    station = await make_station(cpo, "S" + unique)
    in_month = [await finished_session(cpo, station, energy_wh=wh, start=datetime(2026, 10, day, 12, tzinfo=UTC))
                for day, wh in ((3, 10_000), (20, 5_500))]  # fmt: skip
    # 31 Oct 23:30 UTC is 1 Nov in Berlin: November's, not October's
    next_month = await finished_session(cpo, station, energy_wh=7_000, start=datetime(2026, 10, 31, 23, 30, tzinfo=UTC))
    card = await finished_session(cpo, station, energy_wh=9_000, start=datetime(2026, 10, 5, 12, tzinfo=UTC))
    for session_id in (*in_month, next_month):
        await roaming_session(session_id, partner, "DE-EMS-C1")
    cdrs = [await cdr_of(s) for s in (*in_month, next_month, card)]
    await Cdr.update({Cdr.total_cost_excl_vat: Decimal("4.00"), Cdr.total_vat: Decimal("0.76"),
                      Cdr.total_cost_incl_vat: Decimal("4.76"), Cdr.currency: "EUR"}).where(
        Cdr.id.is_in([c["id"] for c in cdrs]))  # fmt: skip

    october = await settlement.settlement(cpo.actor, date(2026, 10, 1))
    assert [(r.partner_id, r.sessions, r.energy_kwh, r.net, r.vat, r.gross) for r in october] == [
        (partner["id"], 2, Decimal("15.500"), Decimal("8.00"), Decimal("1.52"), Decimal("9.52"))]
    november = await settlement.settlement(cpo.actor, date(2026, 11, 1))
    assert [(r.sessions, r.energy_kwh) for r in november] == [(1, Decimal("7.000"))]
    assert settlement.parse_month("2026-10", date(2026, 12, 6)) == date(2026, 10, 1)
    assert settlement.parse_month("2026-13", date(2026, 1, 6)) == date(2025, 12, 1)  # else: the month before
    other = await tenant_with_party("CPO", "OTS")
    assert await settlement.settlement(other.actor, date(2026, 10, 1)) == []

    async with app_client() as client:
        await login(client, cpo.admin["email"])
        page = await client.get("/roaming/settlement", params={"month": "2026-10"})
        assert page.status_code == 200 and page.text.count('data-testid="settlement-row"') == 1
        assert "(DE*EMS)" in page.text
        assert "15,500 kWh" in page.text or "15.500 kWh" in page.text  # the user's language decides the separator
        exported = await client.get("/roaming/settlement/export.csv", params={"month": "2026-10"})
        assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
        lines = exported.content.decode("utf-8-sig").strip().splitlines()
        assert len(lines) == 2 and "2026-10" in lines[1] and "(DE*EMS)" in lines[1]


async def test_the_partner_page_counts_its_drivers_tokens_sessions_and_cdrs(cpo: TenantCtx, unique: str) -> None:
    hub = await make_tenant(kind="HUB")
    emp = await tenant_with_party("EMP", "EMC")
    partner = await registered_partner(emp)
    await PartnerToken(partner=partner["id"], key=f"{partner['id']}|DE|EMC|RFID|C1", uid_key="C1", country_code="DE",
                       party_id="EMC", uid="C1", contract_id="DE-EMC-1", issuer="x", whitelist="ALWAYS",
                       last_updated=datetime.now(UTC)).save()  # fmt: skip
    station = await make_station(cpo, "P" + unique)
    other_cpo = await tenant_with_party("CPO", "OPC")
    other_station = await make_station(other_cpo, "Q" + unique)
    ours = await finished_session(cpo, station)
    theirs = await finished_session(other_cpo, other_station)
    for session_id in (ours, theirs):
        await roaming_session(session_id, partner, "DE-EMC-1")
    await cdr_of(ours)

    emp_view = await charged.partner_counts(emp.actor, partner)
    assert (emp_view.tokens, emp_view.sessions, emp_view.cdrs) == (1, 2, 1)
    cpo_view = await charged.partner_counts(cpo.actor, partner)  # only its own stations, not the EMP's tokens
    assert (cpo_view.tokens, cpo_view.sessions, cpo_view.cdrs) == (None, 1, 1)
    assert (await charged.partner_counts(hub.actor, partner)).sessions == 2
    async with app_client() as client:
        await login(client, emp.admin["email"])
        page = (await client.get(f"/roaming/partners/{partner['id']}")).text
        assert 'data-testid="partner-tokens">1<' in page and 'data-testid="partner-sessions">2<' in page
