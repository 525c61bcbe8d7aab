"""OCPP sessions by cards of driver groups: a documentation tariff prices the CDR for the record (billable false,
marked on the Ladedaten list, CSV and API), a billing tariff prices it billable, archived groups and charge points
outside the scope are refused, and the session keeps the terms it started under."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
from ocpp.v16 import ChargePoint as ClientChargePoint
from ocpp.v16 import call

from core.access import driver_groups
from core.access.tables import ChargingCard
from core.cdrs import building
from core.cdrs.tables import Cdr
from core.charging.tables import ChargingSession
from core.errors import Conflict
from core.infrastructure import locations, stations
from core.tariffs import tariffs
from core.tenancy import api_keys
from tests.integration.cdrs.conftest import deliver_session_stopped
from tests.integration.cdrs.test_cdr_pipeline import run_session, seed_tariff, ts
from tests.integration.ocpp.conftest import Station
from tests.support import TenantCtx


async def group_tariff(ctx: TenantCtx, name: str, per_kwh: str) -> dict[str, Any]:
    return await tariffs.create_tariff(ctx.actor, {"name": name, "currency": "EUR", "ac_energy_per_kwh": per_kwh,
                                                   "dc_energy_per_kwh": per_kwh})  # fmt: skip


async def card_in(ctx: TenantCtx, group: dict[str, Any], uid: str) -> int:
    card = ChargingCard(tenant=ctx.id, uid=uid)
    await card.save()
    await driver_groups.set_card_group(ctx.actor, card.id, group["id"])
    return int(card.id)


async def cdr_row(tx: int) -> dict[str, Any]:
    await deliver_session_stopped(tx)
    row = await Cdr.select().where(Cdr.session == tx).output(load_json=True).first()
    assert row is not None
    return row


async def test_documentation_tariff_prices_for_the_record_only(
    client: ClientChargePoint, cpo: TenantCtx, station: Station, admin_client: httpx.AsyncClient, unique: str
) -> None:
    await seed_tariff(cpo, station.charge_points[0]["id"])  # the charge point's own tariff: 0.40/kWh + blocking fee
    documented = await group_tariff(cpo, "Gäste-Doku", "0.30")
    group = await driver_groups.create_group(
        cpo.actor, {"name": "Gäste", "kind": "CARDS_ONLY", "tariff_id": documented["id"]})
    assert group["tariff_mode"] == "DOCUMENT"
    tag = f"DD{unique[:6]}".upper()
    await card_in(cpo, group, tag)
    tx = await run_session(client, tag, datetime.now(UTC) - timedelta(hours=3))

    session = await ChargingSession.select().where(ChargingSession.id == tx).first()
    assert session is not None
    assert (session["driver_group"], session["driver_group_tariff"], session["driver_group_tariff_mode"]) == (
        group["id"], documented["id"], "DOCUMENT")  # fmt: skip
    cdr = await cdr_row(tx)
    # 22 kWh x 0.30 = 6.60 net with the group's tariff (not the charge point's 0.40 and blocking fee); 19 % VAT
    assert (cdr["total_cost_excl_vat"], cdr["total_cost_incl_vat"]) == (Decimal("6.60"), Decimal("7.85"))
    assert cdr["price_components"] and cdr["tariff"]["code"] == documented["code"]
    assert cdr["billable"] is False and cdr["driver_group"] == group["id"]
    # Building the CDR again changes nothing (outbox idempotency).
    assert await building.create_cdr(tx) == cdr["id"] and await Cdr.count().where(Cdr.session == tx) == 1

    # The group is used now: it cannot be deleted, only archived; its tariff keeps its prices.
    try:
        await driver_groups.delete_group(cpo.actor, group["id"])
        raise AssertionError("a used group was deleted")
    except Conflict as exc:
        assert "Archive it instead" in str(exc)
    assert (await tariffs.get_tariff(cpo.actor, documented["id"]))["assigned"] is True

    period = {"from": (datetime.now(UTC) - timedelta(days=1)).date().isoformat(),
              "to": (datetime.now(UTC) + timedelta(days=1)).date().isoformat()}  # fmt: skip
    page = await admin_client.get("/charging-data", params=period)
    assert page.status_code == 200 and "for the record" in page.text
    export = await admin_client.get("/charging-data/export.csv", params=period)
    rows = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig")), delimiter=","))  # in English
    row = next(r for r in rows if r["Session"] == str(tx))
    assert (row["Billable"], row["Net amount"]) == ("No", "6.60")
    key, _ = await api_keys.create_api_key(cpo.id, "docs")
    api = await admin_client.get("/api/v1/cdrs", params=period, headers={"Authorization": f"Bearer {key}"})
    item = next(i for i in api.json()["items"] if i["session_id"] == tx)
    assert item["billable"] is False and Decimal(str(item["total_cost_excl_vat"])) == Decimal("6.60")


async def test_billing_tariff_and_later_edits(client: ClientChargePoint, cpo: TenantCtx, station: Station,
                                              unique: str) -> None:  # fmt: skip
    await seed_tariff(cpo, station.charge_points[0]["id"])
    staff = await group_tariff(cpo, "Mitarbeiter", "0.20")
    group = await driver_groups.create_group(
        cpo.actor, {"name": "Mitarbeiter", "kind": "DRIVERS_VEHICLES", "tariff_id": staff["id"],
                    "tariff_mode": "BILLED"})  # fmt: skip
    tag = f"BG{unique[:6]}".upper()
    await card_in(cpo, group, tag)
    start = datetime.now(UTC) - timedelta(hours=3)
    begin = await client.call(call.StartTransaction(connector_id=1, id_tag=tag, meter_start=0, timestamp=ts(start)))
    tx = int(begin.transaction_id)
    assert begin.id_tag_info["status"] == "Accepted"
    # The group changes while the session runs: the session keeps the terms it started under.
    await driver_groups.update_group(cpo.actor, group["id"], {"tariff_mode": "DOCUMENT"})
    await client.call(call.StopTransaction(meter_stop=10_000, timestamp=ts(start + timedelta(minutes=30)),
                                           transaction_id=tx, id_tag=tag))  # fmt: skip
    cdr = await cdr_row(tx)
    assert cdr["billable"] is True and cdr["total_cost_excl_vat"] == Decimal("2.00")  # 10 kWh x 0.20

    # A card without group still pays the charge point's tariff.
    plain = f"PL{unique[:6]}".upper()
    await ChargingCard(tenant=cpo.id, uid=plain).save()
    plain_tx = await run_session(client, plain, datetime.now(UTC) + timedelta(seconds=5))  # after the assignment
    plain_cdr = await cdr_row(plain_tx)
    assert plain_cdr["billable"] is True and plain_cdr["driver_group"] is None
    assert plain_cdr["total_cost_excl_vat"] == Decimal("9.40")


async def test_free_group_archived_group_and_scope(client: ClientChargePoint, cpo: TenantCtx, station: Station,
                                                   unique: str) -> None:  # fmt: skip
    other = await locations.create_location(
        cpo.actor, {"name": f"Elsewhere {unique}", "address": "Ring 1", "postal_code": "10115", "city": "Berlin",
                    "country": "DEU", "latitude": "52.5", "longitude": "13.4"})  # fmt: skip
    group = await driver_groups.create_group(
        cpo.actor, {"name": "Gäste", "kind": "CARDS_ONLY", "scope": "CHOSEN", "location_ids": [str(other["id"])]})
    tag = f"SC{unique[:6]}".upper()
    await card_in(cpo, group, tag)
    stamp = ts(datetime.now(UTC) - timedelta(hours=1))
    refused = await client.call(call.StartTransaction(connector_id=1, id_tag=tag, meter_start=0, timestamp=stamp))
    assert refused.id_tag_info["status"] == "Invalid"  # the station's location is outside the group's scope
    refused_row = await ChargingSession.select().where(ChargingSession.id == int(refused.transaction_id)).first()
    assert refused_row is not None and refused_row["driver_group"] is None  # a refused start is no use of the group
    await client.call(call.StopTransaction(meter_stop=0, timestamp=stamp, transaction_id=int(refused.transaction_id),
                                           id_tag=tag))  # fmt: skip

    station_location = (await stations.get_station(cpo.actor, station.id))["location"]
    await driver_groups.update_group(cpo.actor, group["id"], {"location_ids": [str(station_location)]})
    tx = await run_session(client, tag, datetime.now(UTC) - timedelta(minutes=100))
    cdr = await cdr_row(tx)  # no tariff in the group: free, not billable
    assert (cdr["billable"], cdr["total_cost_incl_vat"], cdr["remark"]) == (False, 0, driver_groups.FREE_REMARK)

    await driver_groups.archive_group(cpo.actor, group["id"])
    blocked = await client.call(call.Authorize(id_tag=tag))
    assert blocked.id_tag_info["status"] == "Blocked"
