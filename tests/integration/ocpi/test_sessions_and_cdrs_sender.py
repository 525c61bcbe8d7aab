"""CDRs and sessions, sender interfaces: a partner GETs the CDRs and sessions of its own drivers (never another
partner's, never a card's), each under its CPO's party; CDRs with the tariff as charged, the totals excl. and incl.
VAT, a charging period and the signed meter data (OCMF) for Eichrecht; running sessions priced as they stand; date
filters and pagination as for every list."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx

from core.charging.tables import ChargingSession
from core.infrastructure.tables import ChargingStation
from core.tariffs import assignments, tariffs
from tests.integration.cdrs.conftest import cdr_of, finished_session
from tests.integration.ocpi.conftest import tenant_with_party
from tests.integration.ocpi.test_transport import assert_envelope, b64, registered
from tests.integration.ocpp.conftest import make_station
from tests.ocpi_shapes import cdr_problems
from tests.support import TenantCtx

OCMF_BEGIN = 'OCMF|{"FV":"1.0","RD":[{"TX":"B","RV":1.0,"RU":"kWh"}]}|{"SD":"3045AB"}'
CDRS = "/ocpi/2.2.1/cdrs"


async def charged_by(session_id: int, partner: dict, uid: str) -> None:
    token = {"country_code": "DE", "party_id": partner["roles"][0]["party_id"], "uid": uid, "type": "RFID",
             "contract_id": f"DE-{uid}"}  # fmt: skip
    await ChargingSession.update({
        ChargingSession.roaming_partner_id: partner["id"], ChargingSession.roaming_contract_id: f"DE-{uid}",
        ChargingSession.roaming_token: token, ChargingSession.id_tag: uid,
    }).where(ChargingSession.id == session_id)  # fmt: skip


async def test_a_partner_gets_exactly_its_drivers_cdrs(client: httpx.AsyncClient, hub_operator: TenantCtx) -> None:
    emp, other_emp = await tenant_with_party("EMP", "EMQ"), await tenant_with_party("EMP", "EMO")
    (partner, token), (other, other_token) = await registered(emp), await registered(other_emp)
    cpo, second_cpo = await tenant_with_party("CPO", "CPA"), await tenant_with_party("CPO", "CPB")
    station = await make_station(cpo, "cdrs" + cpo.tenant["party_id"])
    await ChargingStation.update({ChargingStation.meter_public_key: "3059301306072A8648CE3D0201"}).where(
        ChargingStation.id == station.id
    )
    prices = {"name": "Standard", "currency": "EUR", "ac_energy_per_kwh": "0.40", "ac_session_fee": "1.00"}
    tariff = await tariffs.create_tariff(cpo.actor, prices)
    now = datetime.now(UTC)
    await assignments.assign_tariff(cpo.actor, tariff["id"], [cp["id"] for cp in station.charge_points], now)
    ours = await finished_session(cpo, station, energy_wh=22_000, minutes=90, signed=OCMF_BEGIN,
                                  start=now + timedelta(seconds=1))  # fmt: skip
    await charged_by(ours, partner, "AA11")
    theirs = await finished_session(cpo, station, point=1, energy_wh=5_000)
    await charged_by(theirs, other, "BB22")
    card = await finished_session(cpo, station, energy_wh=1_000)
    second_station = await make_station(second_cpo, "cdrs" + second_cpo.tenant["party_id"], points=1)
    elsewhere = await finished_session(second_cpo, second_station, energy_wh=3_000)
    await charged_by(elsewhere, partner, "AA11")
    ours_cdr, _, _, elsewhere_cdr = [await cdr_of(s) for s in (ours, theirs, card, elsewhere)]

    response = await client.get(CDRS, headers={"Authorization": b64(token)})
    assert_envelope(response, 1000)
    got = response.json()["data"]
    assert [c["id"] for c in got] == [str(ours_cdr["id"]), str(elsewhere_cdr["id"])]
    assert response.headers["x-total-count"] == "2"
    cdr = got[0]
    assert cdr_problems(cdr) == []
    assert (cdr["country_code"], cdr["party_id"]) == ("DE", "CPA")
    assert cdr["cdr_token"] == {"country_code": "DE", "party_id": "EMQ", "uid": "AA11", "type": "RFID",
                                "contract_id": "DE-AA11"}  # fmt: skip
    # csms's own CDR's prices, to the cent: 22 kWh x 0.40 + 1.00 session fee, 19 % VAT
    assert Decimal(str(cdr["total_cost"]["excl_vat"])) == ours_cdr["total_cost_excl_vat"] == Decimal("9.80")
    assert Decimal(str(cdr["total_cost"]["incl_vat"])) == ours_cdr["total_cost_incl_vat"]
    assert Decimal(str(cdr["total_energy_cost"]["excl_vat"])) == Decimal("8.80")
    assert Decimal(str(cdr["total_fixed_cost"]["excl_vat"])) == Decimal("1.00")
    assert cdr["total_energy"] == 22 and cdr["total_time"] == 1.5
    assert cdr["tariffs"][0]["id"] == f"{tariff['code']}-AC"
    assert {d["type"] for d in cdr["charging_periods"][0]["dimensions"]} >= {"ENERGY", "TIME"}
    signed = cdr["signed_data"]
    assert signed["encoding_method"] == "OCMF" and signed["encoding_method_version"] == 1
    assert signed["signed_values"][0] == {"nature": "Start", "plain_data": "", "signed_data": OCMF_BEGIN}
    assert signed["public_key"] == "3059301306072A8648CE3D0201" and signed["url"].startswith("https://")
    assert cdr["cdr_location"]["evse_uid"] == str(station.charge_points[0]["id"])

    # the other partner sees only its own; routing headers narrow to one CPO party
    other_ids = [c["id"] for c in (await client.get(CDRS, headers={"Authorization": b64(other_token)})).json()["data"]]
    assert other_ids == [str((await cdr_of(theirs))["id"])]
    only_b = {"Authorization": b64(token), "OCPI-to-country-code": "DE", "OCPI-to-party-id": "CPB"}
    assert [c["id"] for c in (await client.get(CDRS, headers=only_b)).json()["data"]] == [str(elsewhere_cdr["id"])]

    # pagination by Link keeps limit; date_to is exclusive
    first = await client.get(CDRS, params={"limit": 1}, headers={"Authorization": b64(token)})
    assert len(first.json()["data"]) == 1 and "limit=1" in first.headers["link"]
    stamp = got[1]["last_updated"]
    before = await client.get(CDRS, params={"date_to": stamp}, headers={"Authorization": b64(token)})
    assert str(elsewhere_cdr["id"]) not in [c["id"] for c in before.json()["data"]]


SESSION_FIELDS = {"country_code", "party_id", "id", "start_date_time", "kwh", "cdr_token", "auth_method",
                  "location_id", "evse_uid", "connector_id", "currency", "status", "last_updated"}  # fmt: skip


async def test_a_partner_gets_its_drivers_sessions_priced_as_they_stand(
    client: httpx.AsyncClient, hub_operator: TenantCtx
) -> None:
    emp, other_emp = await tenant_with_party("EMP", "EMQ"), await tenant_with_party("EMP", "EMO")
    (partner, token), (other, _) = await registered(emp), await registered(other_emp)
    cpo = await tenant_with_party("CPO", "CPS")
    station = await make_station(cpo, "sess" + cpo.tenant["party_id"])
    tariff = await tariffs.create_tariff(cpo.actor, {"name": "kWh", "currency": "EUR", "ac_energy_per_kwh": "0.50"})
    now = datetime.now(UTC)
    await assignments.assign_tariff(cpo.actor, tariff["id"], [cp["id"] for cp in station.charge_points], now)
    running = await finished_session(cpo, station, energy_wh=4_000, status="CHARGING", start=now + timedelta(seconds=1))
    await ChargingSession.update({ChargingSession.stopped_at: None, ChargingSession.meter_stop_wh: None}).where(
        ChargingSession.id == running
    )
    await charged_by(running, partner, "AA11")
    done = await finished_session(cpo, station, point=1, energy_wh=10_000, start=now + timedelta(seconds=2))
    await charged_by(done, partner, "AA11")
    theirs = await finished_session(cpo, station, energy_wh=1_000, start=now + timedelta(seconds=3))
    await charged_by(theirs, other, "BB22")

    response = await client.get("/ocpi/2.2.1/sessions", headers={"Authorization": b64(token)})
    assert_envelope(response, 1000)
    got = {s["id"]: s for s in response.json()["data"]}
    assert set(got) == {str(running), str(done)}
    for session in got.values():
        assert set(session) >= SESSION_FIELDS, session
        assert session["cdr_token"]["party_id"] == "EMQ" and session["location_id"]
    active, completed = got[str(running)], got[str(done)]
    assert active["status"] == "ACTIVE" and "end_date_time" not in active
    assert active["kwh"] == 4 and Decimal(str(active["total_cost"]["excl_vat"])) == Decimal("2.00")
    assert completed["status"] == "COMPLETED" and completed["end_date_time"]
    assert Decimal(str(completed["total_cost"]["excl_vat"])) == Decimal("5.00")
    # the CDR made later carries the same price as the finished session did
    assert Decimal(str(completed["total_cost"]["incl_vat"])) == (await cdr_of(done))["total_cost_incl_vat"]
