"""/api/v1/tariffs: create, list, get, patch, assign; the same rules, isolation and validation as the portal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.tariffs import assignments, tariffs
from core.tariffs.tables import TariffAssignment
from core.tenancy import api_keys
from tests.integration.infrastructure.conftest import Site
from tests.support import TenantCtx, app_client

BODY = {
    "name": "API Tarif",
    "currency": "EUR",
    "ac_energy_per_kwh": "0.40",
    "ac_time_per_minute": "0.02",
    "ac_time_from_minute": 60,
    "dc_energy_per_kwh": "0.50",
}


async def test_create_get_patch_and_assign(cpo: TenantCtx, other_cpo: TenantCtx, site: Site) -> None:
    key, _ = await api_keys.create_api_key(cpo.id, "tariffs")
    other_key, _ = await api_keys.create_api_key(other_cpo.id, "tariffs")
    auth = {"Authorization": f"Bearer {key}"}
    async with app_client() as client:
        created = await client.post("/api/v1/tariffs", json=BODY, headers=auth)
        assert created.status_code == 201, created.text
        body = created.json()
        assert body["code"].startswith("CPO") and body["currency"] == "EUR"
        assert body["gross"]["ac_energy_per_kwh"] == "0.4760" and body["vat_rate"] == "19.00"
        tid = body["id"]
        bad = await client.post("/api/v1/tariffs", json={**BODY, "ac_energy_per_kwh": "-1", "bogus": 1}, headers=auth)
        assert bad.status_code in (400, 422)
        wrong_currency = await client.post("/api/v1/tariffs", json={**BODY, "currency": "CHF"}, headers=auth)
        assert wrong_currency.status_code == 400 and "currency" in wrong_currency.text
        patched = await client.patch(f"/api/v1/tariffs/{tid}", json={"ac_energy_per_kwh": "0.42"}, headers=auth)
        assert patched.status_code == 200 and patched.json()["ac_energy_per_kwh"] == "0.4200"
        assigned = await client.post(
            f"/api/v1/tariffs/{tid}/assignments",
            json={"charge_point_ids": [site.charge_point["id"]], "valid_from": datetime.now(UTC).isoformat()},
            headers=auth,
        )
        assert assigned.status_code == 201, assigned.text
        assert [a["charge_point_id"] for a in assigned.json()["assignments"]] == [site.charge_point["id"]]
        history = await client.get(f"/api/v1/tariffs/{tid}/assignments", headers=auth)
        assert [a["charge_point_id"] for a in history.json()] == [site.charge_point["id"]]
        frozen = await client.patch(f"/api/v1/tariffs/{tid}", json={"ac_energy_per_kwh": "0.50"}, headers=auth)
        assert frozen.status_code == 400 and "cannot change" in frozen.text
        renamed = await client.patch(f"/api/v1/tariffs/{tid}", json={"name": "Renamed"}, headers=auth)
        assert renamed.json()["name"] == "Renamed" and renamed.json()["assigned"] is True
        listed = await client.get("/api/v1/tariffs", headers=auth)
        assert [t["id"] for t in listed.json()] == [tid]
        other = {"Authorization": f"Bearer {other_key}"}
        assert (await client.get(f"/api/v1/tariffs/{tid}", headers=other)).status_code == 404
        assert (await client.patch(f"/api/v1/tariffs/{tid}", json={"name": "x"}, headers=other)).status_code == 404
        assert (await client.get("/api/v1/tariffs", headers=other)).json() == []
        assert (await client.get(f"/api/v1/tariffs/{tid}/assignments", headers=other)).status_code == 404
        steal_body = {"charge_point_ids": [site.charge_point["id"]], "valid_from": "2030-01-01T00:00"}
        steal = await client.post(f"/api/v1/tariffs/{tid}/assignments", headers=other, json=steal_body)
        assert steal.status_code == 404


async def test_seven_percent_rule_through_the_api(cpo: TenantCtx, site: Site) -> None:
    key, _ = await api_keys.create_api_key(cpo.id, "tariffs")
    auth = {"Authorization": f"Bearer {key}"}
    now = datetime.now(UTC)
    base = await tariffs.create_tariff(cpo.actor, {**BODY, "name": "Base"})
    await assignments.assign_tariff(cpo.actor, base["id"], [site.charge_point["id"]], now)
    dear = await tariffs.create_tariff(cpo.actor, {**BODY, "name": "Dear", "ac_energy_per_kwh": "0.50"})
    url = f"/api/v1/tariffs/{dear['id']}/assignments"
    async with app_client() as client:
        early = await client.post(
            url,
            headers=auth,
            json={"charge_point_ids": [site.charge_point["id"]], "valid_from": (now + timedelta(days=29)).isoformat()},
        )
        assert early.status_code == 400 and "30 days" in early.text
        skipped = await client.post(
            url,
            headers=auth,
            json={
                "charge_point_ids": [site.charge_point["id"]],
                "valid_from": (now + timedelta(days=29)).isoformat(),
                "only_allowed": True,
            },
        )
        assert skipped.status_code == 201 and skipped.json()["skipped_charge_point_ids"] == [site.charge_point["id"]]
        in_30_days = (now + timedelta(days=30, minutes=1)).isoformat()
        late = await client.post(
            url, headers=auth, json={"charge_point_ids": [site.charge_point["id"]], "valid_from": in_30_days}
        )
        assert late.status_code == 201 and len(late.json()["assignments"]) == 1


async def test_assignments_with_states_one_and_cancel(cpo: TenantCtx, other_cpo: TenantCtx, site: Site) -> None:
    key, _ = await api_keys.create_api_key(cpo.id, "tariffs")
    other_key, _ = await api_keys.create_api_key(other_cpo.id, "tariffs")
    auth, other = {"Authorization": f"Bearer {key}"}, {"Authorization": f"Bearer {other_key}"}
    cp = site.charge_point["id"]
    now = datetime.now(UTC)
    async with app_client() as client:
        tid = (await client.post("/api/v1/tariffs", json=BODY, headers=auth)).json()["id"]
        for days in (-3, -1):  # the past, as earlier assignments left it (the API only schedules ahead)
            await TariffAssignment(
                tenant=cpo.id, tariff=tid, charge_point=cp, valid_from=now + timedelta(days=days)
            ).save()
        body = {"charge_point_ids": [cp], "valid_from": (now + timedelta(days=40)).isoformat()}
        assert (await client.post(f"/api/v1/tariffs/{tid}/assignments", json=body, headers=auth)).status_code == 201
        rows = (await client.get("/api/v1/tariff-assignments", params={"charge_point_id": cp}, headers=auth)).json()
        assert [r["state"] for r in rows] == ["SCHEDULED", "ACTIVE", "PAST"]
        assert rows[0]["tariff_name"] == "API Tarif" and rows[0]["tariff_id"] == tid
        scheduled = rows[0]["id"]
        only = await client.get("/api/v1/tariff-assignments", params={"state": "ACTIVE"}, headers=auth)
        assert [r["id"] for r in only.json()] == [rows[1]["id"]]
        assert (
            await client.get("/api/v1/tariff-assignments", params={"state": "nonsense"}, headers=auth)
        ).status_code == 400
        one = (await client.get(f"/api/v1/tariff-assignments/{scheduled}", headers=auth)).json()
        assert one["state"] == "SCHEDULED" and one["charge_point_id"] == cp

        assert (await client.get(f"/api/v1/tariff-assignments/{scheduled}", headers=other)).status_code == 404
        assert (await client.post(f"/api/v1/tariff-assignments/{scheduled}/cancel", headers=other)).status_code == 404
        assert (await client.get("/api/v1/tariff-assignments", headers=other)).json() == []
        cancelled = await client.post(f"/api/v1/tariff-assignments/{scheduled}/cancel", headers=auth)
        assert cancelled.status_code == 200 and cancelled.json()["state"] == "CANCELLED"
        again = await client.post(f"/api/v1/tariff-assignments/{rows[1]['id']}/cancel", headers=auth)
        assert again.status_code == 409 and "scheduled" in again.text
        by_tariff = (await client.get(f"/api/v1/tariffs/{tid}/assignments", headers=auth)).json()
        assert [r["state"] for r in by_tariff] == ["CANCELLED", "ACTIVE", "PAST"]


async def test_an_ac_only_tariff_needs_no_dc_prices(cpo: TenantCtx) -> None:
    key, _ = await api_keys.create_api_key(cpo.id, "tariffs")
    auth = {"Authorization": f"Bearer {key}"}
    ac_only = {"name": "Nur AC", "currency": "EUR", "ac_energy_per_kwh": "0.39", "ac_session_fee": "1.00"}
    async with app_client() as client:
        created = await client.post("/api/v1/tariffs", json=ac_only, headers=auth)
        assert created.status_code == 201, created.text
        assert created.json()["dc_energy_per_kwh"] == "0.0000"
        nothing = await client.post("/api/v1/tariffs", json={"name": "Leer", "currency": "EUR"}, headers=auth)
        assert nothing.status_code == 400
        assert set(nothing.json()["errors"]) == {"ac_energy_per_kwh", "dc_energy_per_kwh"}
