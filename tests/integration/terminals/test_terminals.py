"""Payment terminals (Bezahlterminals): registering, the stations a terminal serves (at most 100, only its
operator's), isolation by URL, and a session started at a terminal: its auth source in the terminal's list, in
charging data (translated, filtered) and in the CDR."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from core.cdrs import building
from core.cdrs.tables import Cdr
from core.charging import authorization
from core.charging.tables import ChargingSession
from core.errors import NotFound, ValidationError
from core.infrastructure import locations
from core.infrastructure.tables import ChargingStation
from core.payments import terminals
from core.tenancy import api_keys
from core.tenancy.tables import AuditEntry
from tests.integration.ocpp.conftest import Station, make_station, ocpp_url  # noqa: F401 - fixture
from tests.integration.ocpp.test_commands import simulated, until
from tests.support import TenantCtx, app_client, csrf_of, post_form

IM30 = {"name": "Terminal Nord", "serial_number": "PAX-IM30-0001", "model": "vaylensPay iM30", "notes": "Einfahrt",
        "active": True}  # fmt: skip


async def many_stations(ctx: TenantCtx, unique: str, count: int) -> list[int]:
    location = await locations.create_location(
        ctx.actor,
        {"name": f"Park {unique}", "address": "Ring 1", "postal_code": "10115", "city": "Berlin", "country": "DEU"},
    )
    await ChargingStation.insert(
        *[ChargingStation(tenant=ctx.id, location=location["id"], charge_box_id=f"T{unique}-{n}") for n in range(count)]
    )
    rows = await ChargingStation.select(ChargingStation.id).where(ChargingStation.location == location["id"])
    return sorted(r["id"] for r in rows)


def token_of(html: str) -> str:
    found = re.search(r'name="_csrf_token" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


async def test_register_edit_and_list_in_the_portal(admin_client: httpx.AsyncClient, cpo: TenantCtx) -> None:
    new = await admin_client.get("/infrastructure/terminals/new")
    assert new.status_code == 200 and 'value="vaylensPay iM30"' in new.text
    data = {"_csrf_token": token_of(new.text), "name": "", "serial_number": "S1", "model": "vaylensPay iM30"}
    refused = await admin_client.post("/infrastructure/terminals", data=data)
    assert refused.status_code == 400 and 'id="error-name"' in refused.text and 'value="S1"' in refused.text
    data.update(name="Terminal Nord", notes="Einfahrt Tor 2", active="on")
    created = await admin_client.post("/infrastructure/terminals", data=data, follow_redirects=False)
    assert created.status_code == 303
    url = created.headers["location"]
    page = await admin_client.get(url)
    assert "Terminal Nord" in page.text and "Einfahrt Tor 2" in page.text
    assert "No sessions at this terminal" in page.text
    terminal_id = int(url.rsplit("/", 1)[1])
    edit = await admin_client.get(f"{url}/edit")
    edited = {"_csrf_token": token_of(edit.text), "name": "Terminal Süd", "serial_number": "S1",
              "model": "vaylensPay iM30", "notes": ""}  # fmt: skip
    changed = await admin_client.post(url, data=edited)
    assert changed.status_code == 303
    row = await terminals.get_terminal(cpo.actor, terminal_id)
    assert (row["name"], row["active"], row["notes"]) == ("Terminal Süd", False, "")
    listing = await admin_client.get("/infrastructure/terminals")
    assert "Terminal Süd" in listing.text and "PAX" not in listing.text and "S1" in listing.text
    actions = await AuditEntry.select(AuditEntry.action).where(
        (AuditEntry.entity_type == "terminal") & (AuditEntry.entity_id == terminal_id)
    )
    assert sorted(a["action"] for a in actions) == ["create", "update"]


async def test_a_terminal_serves_100_stations_and_refuses_the_101st(
    admin_client: httpx.AsyncClient, cpo: TenantCtx, unique: str
) -> None:
    ids = await many_stations(cpo, unique, 101)
    terminal = await terminals.create_terminal(cpo.actor, IM30)
    url = f"/infrastructure/terminals/{terminal['id']}/stations"
    form = await admin_client.get(url)
    assert form.status_code == 200 and form.text.count('name="station"') == 101
    token = token_of(form.text)
    too_many = await admin_client.post(url, data={"_csrf_token": token, "station": [str(i) for i in ids]})
    assert too_many.status_code == 400
    assert "A terminal serves at most 100 stations (101 chosen)." in too_many.text
    assert await terminals.stations_of(cpo.actor, terminal["id"]) == []
    ok = await admin_client.post(url, data={"_csrf_token": token, "station": [str(i) for i in ids[:100]]},
                                 follow_redirects=False)  # fmt: skip
    assert ok.status_code == 303
    assert len(await terminals.stations_of(cpo.actor, terminal["id"])) == 100
    page = await admin_client.get(f"/infrastructure/terminals/{terminal['id']}")
    assert f"T{unique}-99" in page.text.split('data-testid="audit-history"')[1]  # the history names the stations
    with pytest.raises(ValidationError) as refused:
        await terminals.attach(cpo.actor, terminal["id"], [ids[100]])
    assert refused.value.errors["stations"].params == {"max": 100, "count": 101}
    served = await terminals.detach(cpo.actor, terminal["id"], ids[0])
    assert len(served) == 99 and ids[0] not in {s["id"] for s in served}
    assert len(await terminals.attach(cpo.actor, terminal["id"], [ids[100]])) == 100


async def test_another_operators_terminal_and_stations_are_unknown(
    admin_client: httpx.AsyncClient, cpo: TenantCtx, other_cpo: TenantCtx, unique: str
) -> None:
    own = await terminals.create_terminal(cpo.actor, IM30)
    foreign = await terminals.create_terminal(other_cpo.actor, {**IM30, "name": "Fremd"})
    foreign_station = (await many_stations(other_cpo, "X" + unique, 1))[0]
    for path in ("", "/edit", "/stations"):
        assert (await admin_client.get(f"/infrastructure/terminals/{foreign['id']}{path}")).status_code == 404
    token = csrf_of(admin_client)
    changed = await admin_client.post(f"/infrastructure/terminals/{foreign['id']}",
                                      data={"_csrf_token": token, **{k: str(v) for k, v in IM30.items()}})  # fmt: skip
    assert changed.status_code == 404
    assert (await terminals.get_terminal(other_cpo.actor, foreign["id"]))["name"] == "Fremd"
    listing = await admin_client.get("/infrastructure/terminals")
    assert "Fremd" not in listing.text
    smuggled = await admin_client.post(f"/infrastructure/terminals/{own['id']}/stations",
                                       data={"_csrf_token": token, "station": [str(foreign_station), "x"]})  # fmt: skip
    assert smuggled.status_code == 400 and "Unknown station." in smuggled.text
    assert await terminals.stations_of(cpo.actor, own["id"]) == []
    with pytest.raises(NotFound):
        await terminals.set_stations(cpo.actor, foreign["id"], [])


async def _session_of(id_tag_prefix: str) -> dict[str, Any] | None:
    return await (
        ChargingSession.select()
        .where(ChargingSession.id_tag.like(f"{id_tag_prefix}%") & ChargingSession.started_at.is_not_null())
        .first()
    )


async def test_a_session_started_at_the_terminal(
    ocpp_url: str,  # noqa: F811 - the fixture
    admin_client: httpx.AsyncClient,
    cpo: TenantCtx,
    unique: str,
) -> None:
    st: Station = await make_station(cpo, unique, points=2)
    elsewhere: Station = await make_station(cpo, "E" + unique, points=1)
    terminal = await terminals.create_terminal(cpo.actor, IM30)
    await terminals.set_stations(cpo.actor, terminal["id"], [st.id])
    prefix = f"TRM{terminal['tag_code']}"
    key, _ = await api_keys.create_api_key(cpo.id, "terminal backend")
    api = {"Authorization": f"Bearer {key}"}
    async with simulated(ocpp_url, st) as sim, app_client() as client:
        # a station the terminal does not serve: refused before anything is sent
        refused = await client.post(f"/api/v1/terminals/{terminal['id']}/start", headers=api,
                                    json={"charge_point_id": elsewhere.charge_points[0]["id"]})  # fmt: skip
        assert refused.status_code == 400 and "does not serve this station" in refused.text
        started = await client.post(f"/api/v1/terminals/{terminal['id']}/start", headers=api,
                                    json={"charge_point_id": st.charge_points[1]["id"]})  # fmt: skip
        assert started.status_code == 200, started.text
        assert started.json()["status"] == "accepted"

        async def running() -> bool:
            return await _session_of(prefix) is not None

        await until(running)
        session = await _session_of(prefix)
        assert session is not None
        assert (session["auth_source"], session["auth_status"]) == ("TERMINAL", "Accepted")
        assert session["charge_point"] == st.charge_points[1]["id"]
        # the terminal's idTag is good at the stations it serves only
        at_other = await authorization.authorize(cpo.id, elsewhere.charge_points[0], session["id_tag"], "TERMINAL")
        assert at_other.reason == "terminal_other_station"
        await sim.meter_tick(2, 3000)
        await sim.stop_session(2)

        async def stopped() -> bool:
            return await ChargingSession.exists().where(
                (ChargingSession.id == session["id"]) & ChargingSession.stopped_at.is_not_null()
            )

        await until(stopped)
    # the CDR as the session.stopped handler builds it (the same call: it is made once)
    await building.create_cdr(session["id"])
    cdr = await Cdr.select(Cdr.auth_source, Cdr.token_uid).where(Cdr.session == session["id"]).first()
    assert cdr is not None and cdr["auth_source"] == "TERMINAL" and cdr["token_uid"] == session["id_tag"]

    page = await admin_client.get(f"/infrastructure/terminals/{terminal['id']}")
    assert 'data-testid="terminal-sessions"' in page.text and st.charge_box_id in page.text
    assert "Payment terminal" in page.text
    today = datetime.now(UTC).date().isoformat()
    listed = await admin_client.get("/charging-data", params={"from": today, "to": today, "auth": "TERMINAL"})
    row = f'data-session="{session["id"]}"'
    assert listed.status_code == 200 and row in listed.text and "Payment terminal" in listed.text
    rfid_only = await admin_client.get("/charging-data", params={"from": today, "to": today, "auth": "RFID"})
    assert rfid_only.status_code == 200 and row not in rfid_only.text
    await post_form(admin_client, "/lang", {"language": "de", "next": "/"})
    german = await admin_client.get(f"/infrastructure/terminals/{terminal['id']}")
    assert "Bezahlterminal" in german.text
    # the charging data CSV names the auth source by its label, not its code
    exported = await admin_client.get("/charging-data/export.csv", params={"from": today, "to": today})
    [line] = [line for line in exported.text.splitlines() if session["id_tag"] in line]
    assert ";Bezahlterminal;" in line and ";TERMINAL;" not in line

    # a terminal that started a session is deactivated, not deleted: its sessions stay
    confirm = await admin_client.get(f"/infrastructure/terminals/{terminal['id']}/remove")
    assert confirm.status_code == 200 and 'data-testid="confirm-remove-terminal"' in confirm.text
    assert "deaktiviert statt gelöscht" in confirm.text
    removed = await post_form(admin_client, f"/infrastructure/terminals/{terminal['id']}/remove", {},
                              follow_redirects=False)  # fmt: skip
    assert removed.status_code == 303 and removed.headers["location"] == f"/infrastructure/terminals/{terminal['id']}"
    kept = await terminals.get_terminal(cpo.actor, terminal["id"])
    assert kept["active"] is False
    page = await admin_client.get(f"/infrastructure/terminals/{terminal['id']}")
    assert st.charge_box_id in page.text and "Terminal wurde deaktiviert" in page.text
    # the history says the terminal is no longer "Aktiv", not that it may no longer log in
    history = page.text[page.text.index('data-testid="audit-history"') :]
    assert '<span class="audit-field">Aktiv</span>' in history and "darf sich anmelden" not in history


async def test_a_terminal_without_sessions_is_deleted_after_confirmation(
    admin_client: httpx.AsyncClient, cpo: TenantCtx, other_cpo: TenantCtx, unique: str
) -> None:
    terminal = await terminals.create_terminal(cpo.actor, IM30)
    await terminals.set_stations(cpo.actor, terminal["id"], await many_stations(cpo, unique, 2))
    foreign = await terminals.create_terminal(other_cpo.actor, {**IM30, "name": "Fremd"})
    assert (await admin_client.get(f"/infrastructure/terminals/{foreign['id']}/remove")).status_code == 404
    refused = await post_form(admin_client, f"/infrastructure/terminals/{foreign['id']}/remove", {})
    assert refused.status_code == 404 and (await terminals.get_terminal(other_cpo.actor, foreign["id"]))
    confirm = await admin_client.get(f"/infrastructure/terminals/{terminal['id']}/remove")
    assert confirm.status_code == 200 and "It has started no sessions." in confirm.text
    without_token = await admin_client.post(f"/infrastructure/terminals/{terminal['id']}/remove")
    assert without_token.status_code == 403
    removed = await post_form(admin_client, f"/infrastructure/terminals/{terminal['id']}/remove", {},
                              follow_redirects=False)  # fmt: skip
    assert removed.status_code == 303 and removed.headers["location"] == "/infrastructure/terminals"
    assert "The terminal was deleted." in (await admin_client.get("/infrastructure/terminals")).text
    with pytest.raises(NotFound):
        await terminals.get_terminal(cpo.actor, terminal["id"])
    assert await AuditEntry.exists().where(
        (AuditEntry.entity_type == "terminal") & (AuditEntry.entity_id == terminal["id"])
        & (AuditEntry.action == "delete")
    )  # fmt: skip


async def test_terminals_through_the_rest_api(cpo: TenantCtx, other_cpo: TenantCtx, unique: str) -> None:
    terminal = await terminals.create_terminal(cpo.actor, IM30)
    stations = await many_stations(cpo, unique, 2)
    await terminals.set_stations(cpo.actor, terminal["id"], stations)
    foreign = await terminals.create_terminal(other_cpo.actor, {**IM30, "name": "Fremd"})
    key, _ = await api_keys.create_api_key(cpo.id, "reporting", permissions=["infrastructure.view"])
    api = {"Authorization": f"Bearer {key}"}
    async with app_client() as client:
        listed = await client.get("/api/v1/terminals", headers=api)
        assert listed.status_code == 200
        [shown] = [t for t in listed.json() if t["id"] == terminal["id"]]
        assert (shown["name"], shown["serial_number"], shown["model"], shown["active"]) == (
            "Terminal Nord", "PAX-IM30-0001", "vaylensPay iM30", True)  # fmt: skip
        assert sorted(shown["station_ids"]) == stations and "tag_code" not in shown and "tenant" not in shown
        assert foreign["id"] not in [t["id"] for t in listed.json()]
        one = await client.get(f"/api/v1/terminals/{terminal['id']}", headers=api)
        assert one.status_code == 200 and one.json() == shown
        assert (await client.get(f"/api/v1/terminals/{foreign['id']}", headers=api)).status_code == 404


async def test_an_inactive_terminal_starts_nothing(cpo: TenantCtx, unique: str) -> None:
    st = await make_station(cpo, unique, points=1)
    terminal = await terminals.create_terminal(cpo.actor, {**IM30, "active": False})
    await terminals.set_stations(cpo.actor, terminal["id"], [st.id])
    with pytest.raises(ValidationError) as refused:
        await terminals.start_at_terminal(cpo.actor, terminal["id"], st.charge_points[0]["id"])
    assert refused.value.errors["charge_point_id"].msgid == "The terminal is not active."
    assert not await ChargingSession.exists().where(ChargingSession.id_tag.like(f"TRM{terminal['tag_code']}%"))
