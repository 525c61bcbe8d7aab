"""REST API ``/api/v1/sessions``: the charging data filters keyed by session, one session, its meter values."""

from __future__ import annotations

from core.charging.tables import ChargingSession
from core.tenancy import api_keys
from tests.integration.cdrs.conftest import cdr_of, finished_session, second_location_station
from tests.integration.ocpp.conftest import make_station
from tests.support import TenantCtx, app_client

OCMF = 'OCMF|{"FV":"1.0","RD":[{"TX":"B","RV":1.0,"RU":"kWh"}]}|{"SD":"3045AB"}'
PERIOD = {"from": "2026-09-01", "to": "2026-12-31"}


async def test_sessions_list_filters_and_details(cpo: TenantCtx, other_cpo: TenantCtx, unique: str) -> None:
    munich = await make_station(cpo, "M" + unique)
    vienna = await second_location_station(cpo, "W" + unique)
    done = await finished_session(cpo, munich, energy_wh=10_000, signed=OCMF)
    cdr = await cdr_of(done)
    dc = await finished_session(cpo, vienna, energy_wh=30_000)
    await cdr_of(dc)
    running = await finished_session(cpo, munich, point=1, energy_wh=2_500, status="CHARGING")
    not_yet_billed = await finished_session(cpo, munich, energy_wh=1_000)  # stopped, CDR still to be made
    foreign = await finished_session(other_cpo, await make_station(other_cpo, "X" + unique, points=1))

    key, _ = await api_keys.create_api_key(cpo.id, "sessions")
    headers = {"Authorization": f"Bearer {key}"}
    async with app_client() as client:
        body = (await client.get("/api/v1/sessions", params={**PERIOD, "per_page": 200}, headers=headers)).json()
        by_id = {item["id"]: item for item in body["items"]}
        assert set(by_id) == {done, dc, running}
        assert by_id[done]["status"] == "COMPLETED" and by_id[done]["cdr_id"] == cdr["id"]
        assert by_id[done]["cdr_status"] == "COMPLETED" and by_id[done]["total_energy"] == "10.000"
        assert by_id[running]["status"] == "ACTIVE" and by_id[running]["cdr_id"] is None
        assert body["total"] == 3

        dc_only = (await client.get("/api/v1/sessions", params={**PERIOD, "power": "DC"}, headers=headers)).json()
        assert [item["id"] for item in dc_only["items"]] == [dc]
        active = (await client.get("/api/v1/sessions", params={**PERIOD, "status": "ACTIVE"}, headers=headers)).json()
        assert [item["id"] for item in active["items"]] == [running]

        one = (await client.get(f"/api/v1/sessions/{done}", headers=headers)).json()
        assert one["id"] == done and one["status"] == "COMPLETED" and one["session_status"] == "STOPPED"
        assert one["kwh"] == 10.0 and one["cdr_id"] == cdr["id"]
        assert (
            one["evse_id"] == (munich.charge_points[0]["evse_id"] or "")
            and one["charge_box_id"] == munich.charge_box_id
        )
        assert "tenant" not in one
        pending = (await client.get(f"/api/v1/sessions/{not_yet_billed}", headers=headers)).json()
        assert pending["status"] == "COMPLETED" and pending["cdr_id"] is None
        live = (await client.get(f"/api/v1/sessions/{running}", headers=headers)).json()
        assert live["status"] == "ACTIVE" and live["session_status"] == "CHARGING"

        values = (await client.get(f"/api/v1/sessions/{done}/meter-values", headers=headers)).json()
        assert [v["value"] for v in values] == [OCMF]

        for url in (f"/api/v1/sessions/{foreign}", f"/api/v1/sessions/{foreign}/meter-values"):
            assert (await client.get(url, headers=headers)).status_code == 404
        narrow, _ = await api_keys.create_api_key(cpo.id, "infra", permissions=["infrastructure.view"])
        denied = await client.get(f"/api/v1/sessions/{done}", headers={"Authorization": f"Bearer {narrow}"})
        assert denied.status_code == 403
    assert await ChargingSession.exists().where(ChargingSession.id == foreign)
