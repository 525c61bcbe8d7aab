"""A corrected CDR in the charging data, the sessions API, the export and the roaming settlement: the original stays,
the credit CDR ("Gutschrift") and the new CDR ("Korrektur") are listed with it, and nothing is counted twice."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from core.cdrs import building, charging_data, sessions
from core.cdrs.tables import Cdr
from core.charging.tables import ChargingSession
from core.roaming import settlement
from tests.integration.cdrs.conftest import cdr_of, finished_session
from tests.integration.cdrs.test_roaming_sessions import registered_partner, roaming_session
from tests.integration.ocpi.conftest import tenant_with_party
from tests.integration.ocpp.conftest import make_station
from tests.support import TenantCtx, app_client, login, make_tenant, post_form

PERIOD = {"from": "2026-09-01", "to": "2026-12-31"}
START = datetime(2026, 10, 14, 9, tzinfo=UTC)


async def corrected(ctx: TenantCtx, unique: str) -> dict[str, Any]:
    """A partner's session closed as stale (its CDR priced 4.76 EUR for 0 kWh), then stopped by the station with
    12 kWh: the correction made twice at the same time."""
    await make_tenant(kind="HUB")
    partner = await registered_partner(await tenant_with_party("EMP", "EMK"))
    station = await make_station(ctx, "K" + unique)
    session_id = await finished_session(ctx, station, energy_wh=0, status="CLOSED_STALE",
                                        stop_reason="STATION_REBOOTED", start=START)  # fmt: skip
    await roaming_session(session_id, partner, "DE-EMK-C1")
    original = await cdr_of(session_id)
    await Cdr.update(
        {
            Cdr.total_cost_excl_vat: Decimal("4.00"),
            Cdr.total_vat: Decimal("0.76"),
            Cdr.total_cost_incl_vat: Decimal("4.76"),
            Cdr.currency: "EUR",
        }
    ).where(Cdr.id == original["id"])  # fmt: skip  (as a tariff priced it)
    await ChargingSession.update({
        ChargingSession.status: "STOPPED", ChargingSession.stop_reason: "Local", ChargingSession.meter_stop_wh: 12_000,
        ChargingSession.last_meter_wh: 12_000, ChargingSession.energy_wh: 12_000,
    }).where(ChargingSession.id == session_id)  # fmt: skip
    first, second = await asyncio.gather(building.create_cdr(session_id), building.create_cdr(session_id))
    assert first == second and first is not None
    rows = await Cdr.select().where(Cdr.session == session_id).order_by(Cdr.id).output(load_json=True)
    assert len(rows) == 3  # one correction, whichever run won
    return {"session": session_id, "partner": partner, "rows": rows, "new": first, "original": original["id"]}


async def test_a_corrected_session_is_listed_three_times_and_counted_once(cpo: TenantCtx, unique: str) -> None:
    c = await corrected(cpo, unique)
    original, credit, new = c["rows"]
    assert (original["id"], credit["credit_reference_id"], new["id"]) == (c["original"], c["original"], c["new"])
    assert (original["total_cost_incl_vat"], credit["total_cost_incl_vat"], new["total_cost_incl_vat"]) == (
        Decimal("4.76"), Decimal("-4.76"), Decimal("0.00"))  # fmt: skip

    q = charging_data.parse_query(PERIOD)
    listed = [r for r in await charging_data.list_rows(cpo.actor, q) if r["session_id"] == c["session"]]
    # newest first within the session: the correction, the credit note, the cancelled original
    assert [(r["cdr_id"], r["credit"], r["corrects_cdr_id"], r["credited"]) for r in listed] == [
        (new["id"], False, original["id"], False), (credit["id"], True, None, False),
        (original["id"], False, None, True)]  # fmt: skip
    sums = {s["currency"]: s for s in await charging_data.sums(cpo.actor, q)}
    assert sums["EUR"]["sessions"] == 1 and sums["EUR"]["total_energy"] == Decimal("12.000")
    assert sums["EUR"]["total_cost_incl_vat"] == Decimal("0.00")  # 4.76 - 4.76 + 0
    charts = await charging_data.chart_data(cpo.actor, q)
    assert charts["energy_per_day"] == [("2026-10-14", Decimal("12.000"))]
    assert sum(n for _, n in charts["auth_sources"]) == 1 and sum(n for _, n in charts["durations"]) == 1

    # the sessions API lists the session once, with its current CDR
    api = await sessions.list_sessions(cpo.actor, q)
    assert [(i["id"], i["cdr_id"]) for i in api["items"]] == [(c["session"], new["id"])] and api["total"] == 1
    assert (await sessions.get_session(cpo.actor, c["session"]))["cdr_id"] == new["id"]

    # the roaming settlement of October: one session, the corrected energy and amounts
    october = await settlement.settlement(cpo.actor, date(2026, 10, 1))
    assert [(r.partner_id, r.sessions, r.energy_kwh, r.gross) for r in october] == [
        (c["partner"]["id"], 1, Decimal("12.000"), Decimal("0.00"))]  # fmt: skip


async def test_pages_and_export_show_credit_note_and_correction(cpo: TenantCtx, unique: str) -> None:
    c = await corrected(cpo, unique)
    original, credit, new = c["rows"]
    async with app_client() as client:
        await login(client, cpo.admin["email"])
        await post_form(client, "/lang", {"language": "de", "next": "/"})
        page = await client.get("/charging-data", params=PERIOD)
        assert page.status_code == 200 and "Gutschrift" in page.text and "Korrektur" in page.text
        for testid in ("cd-credit", "cd-correction", "cd-credited"):
            assert page.text.count(f'data-testid="{testid}"') == 1, testid
        detail = await client.get(f"/charging-data/{original['id']}")
        assert 'data-testid="cdr-corrected-by"' in detail.text and f"/charging-data/{new['id']}" in detail.text
        credit_page = await client.get(f"/charging-data/{credit['id']}")
        assert 'data-testid="cdr-correction"' in credit_page.text
        assert f"/charging-data/{original['id']}" in credit_page.text
        exported = await client.get("/charging-data/export.csv", params=PERIOD)
        assert exported.status_code == 200
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig")), delimiter=";"))
    header, body = rows[0], [r for r in rows[1:] if r and r[0] == str(c["session"])]
    assert len(body) == 3
    assert header[-2:] == ["Gutschrift zu CDR", "Korrektur von CDR"]
    by_cdr = {r[1]: r for r in body}
    assert by_cdr[str(credit["id"])][-2:] == [str(original["id"]), ""]
    assert by_cdr[str(new["id"])][-2:] == ["", str(original["id"])]
    assert by_cdr[str(original["id"])][-2:] == ["", ""]
    assert "-4,76" in by_cdr[str(credit["id"])] and "4,76" in by_cdr[str(original["id"])]
