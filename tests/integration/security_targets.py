"""What to put into each path parameter when tests/integration/test_route_security.py calls every route.

Every path parameter of every route must be listed here. An id parameter maps to a factory that
creates (through the area's own core functions) an object in a given tenant; the route-security test calls
each route with the objects of ANOTHER tenant and expects 404, and with the own tenant's objects for the
permission checks. A parameter that is not an id (a tab key, a kind) maps to a fixed value.

A new route whose parameter is missing here makes the route-security test fail with
"add <param> to tests/integration/security_targets.py". Generic names (``item_id``) are resolved by the
route's path prefix: the longest matching prefix wins.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from core.cdrs import building
from core.charging import sessions
from core.commands import diagnostics, running
from core.infrastructure import bulk_import, charge_points, locations, stations
from core.payments import terminals
from core.roaming.tables import Partner
from core.tariffs import assignments, tariffs
from core.tenancy import api_keys, users
from core.tenancy.passwords import sha256_hex
from tests.integration.mail.conftest import queued_mail
from tests.support import TenantCtx, make_user


@dataclass
class World:
    """The objects of one tenant, made on first use and reused (a charge point needs a station, ...)."""

    ctx: TenantCtx
    made: dict[str, Any] = field(default_factory=dict)

    async def get(self, name: str, make: Callable[[World], Awaitable[Any]]) -> Any:
        if name not in self.made:
            self.made[name] = await make(self)
        return self.made[name]


Factory = Callable[[World], Awaitable[Any]]


# --- factories: each returns the object's id in the world's tenant --------------------------------------


async def _location(world: World) -> int:
    async def make(w: World) -> dict[str, Any]:
        return await locations.create_location(
            w.ctx.actor,
            {"name": f"Security {w.ctx.tenant['slug']}", "address": "Hauptstr. 1", "postal_code": "80331",
             "city": "München", "country": "DEU", "latitude": "48.137154", "longitude": "11.576124"},
        )  # fmt: skip

    return int((await world.get("location", make))["id"])


async def _station(world: World) -> int:
    location_id = await _location(world)

    async def make(w: World) -> dict[str, Any]:
        station, _password = await stations.create_station(
            w.ctx.actor, {"location_id": location_id, "charge_box_id": f"SEC-{w.ctx.tenant['slug']}"}
        )
        return station

    return int((await world.get("station", make))["id"])


async def _charge_point(world: World) -> int:
    station_id = await _station(world)

    async def make(w: World) -> dict[str, Any]:
        # with Direct Payment and an EVSE-ID: its QR code routes answer
        evse_id = f"DE*SEC*E{w.ctx.id}*1"
        return await charge_points.create_charge_point(
            w.ctx.actor, {"station_id": station_id, "evse_number": 1, "evse_id": evse_id, "auth_direct_payment": True}
        )

    return int((await world.get("charge_point", make))["id"])


async def _connector(world: World) -> int:
    charge_point_id = await _charge_point(world)

    async def make(w: World) -> dict[str, Any]:
        return (await charge_points.list_connectors(w.ctx.actor, charge_point_id))[0]

    return int((await world.get("connector", make))["id"])


async def _import_job(world: World) -> int:
    async def make(w: World) -> dict[str, Any]:
        return await bulk_import.create_job(w.ctx.actor, "security.csv", bulk_import.template_csv().encode())

    return int((await world.get("import_job", make))["id"])


async def _user(world: World) -> int:
    async def make(w: World) -> dict[str, Any]:
        return await make_user(w.ctx.id)

    return int((await world.get("user", make))["id"])


async def _portal_session(world: World) -> int:
    """A portal session of a user of the world's tenant (the profile ends only the caller's own)."""
    from core.tenancy import staff_sessions
    from core.tenancy.tables import StaffSession

    user_id = await _user(world)

    async def make(w: World) -> int:
        token = await staff_sessions.start(user_id)
        row = await StaffSession.select(StaffSession.id).where(StaffSession.token_hash == sha256_hex(token)).first()
        assert row is not None
        return int(row["id"])

    return int(await world.get("portal_session", make))


async def _group(world: World) -> int:
    async def make(w: World) -> dict[str, Any]:
        return await users.create_group(w.ctx.actor, {"name": f"Security {w.ctx.tenant['slug']}"})

    return int((await world.get("group", make))["id"])


async def _tariff(world: World) -> int:
    async def make(w: World) -> dict[str, Any]:
        return await tariffs.create_tariff(
            w.ctx.actor, {"name": "Security", "ac_energy_per_kwh": "0.39", "dc_energy_per_kwh": "0.59"}
        )

    return int((await world.get("tariff", make))["id"])


async def _tariff_assignment(world: World) -> int:
    from datetime import UTC, datetime, timedelta

    tariff_id, charge_point_id = await _tariff(world), await _charge_point(world)

    async def make(w: World) -> dict[str, Any]:
        ahead = datetime.now(UTC) + timedelta(days=40)  # scheduled, so that it could still be cancelled
        return (await assignments.assign_tariff(w.ctx.actor, tariff_id, [charge_point_id], ahead))[0]

    return int((await world.get("tariff_assignment", make))["id"])


async def _product_assignment(world: World) -> int:
    from core.products import assignments as product_assignments
    from core.products.catalogue import ProductCode, ensure_catalogue, product_by_code

    station_id = await _station(world)

    async def make(w: World) -> dict[str, Any]:
        await ensure_catalogue()
        product = await product_by_code(ProductCode.SUPPORT_360)  # fits any station
        assert product is not None
        return (await product_assignments.assign(w.ctx.actor, product["id"], [station_id])).created[0]

    return int((await world.get("product_assignment", make))["id"])


async def _firmware_campaign(world: World) -> int:
    from datetime import UTC, datetime, timedelta

    from core.firmware import campaigns as firmware_campaigns

    station_id = await _station(world)

    async def make(w: World) -> dict[str, Any]:
        tomorrow = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%d %H:%M")  # never sent
        fields = {"name": "Security", "location": "https://fw.example.com/a.bin", "max_parallel": 1,
                  "start_at": tomorrow}  # fmt: skip
        return await firmware_campaigns.create_campaign(w.ctx.actor, fields, [station_id])

    return int((await world.get("firmware_campaign", make))["id"])


async def _anomaly(world: World) -> int:
    from core.charging.tables import Anomaly

    station_id = await _station(world)

    async def make(w: World) -> int:
        station = await stations.get_station(w.ctx.actor, station_id)
        await sessions.record_anomaly(sessions.AnomalyKind.UNKNOWN_CONNECTOR, station, {"connectorId": 9})
        row = await Anomaly.select(Anomaly.id).where(Anomaly.station == station_id).first()
        assert row is not None
        return int(row["id"])

    return int(await world.get("anomaly", make))


async def _unknown_station(world: World) -> int:
    # core.charging.handshake.record_unknown_station assigns the row to the only tenant allowing unknown stations, a
    # global state other tests change; the row is written directly, assigned to the world's tenant.
    from core.charging.tables import UnknownStation

    async def make(w: World) -> int:
        row = UnknownStation(charge_box_id=f"UNKNOWN-{w.ctx.tenant['slug']}", tenant=w.ctx.id)
        await row.save()
        return int(row.id)

    return int(await world.get("unknown_station", make))


async def _mail(world: World) -> int:
    async def make(w: World) -> int:
        mail_id = await queued_mail(w.ctx, "driver@example.test", f"security:{w.ctx.id}")
        assert mail_id is not None
        return mail_id

    return int(await world.get("mail", make))


async def _api_key(world: World) -> int:
    async def make(w: World) -> int:
        _key, row = await api_keys.create_api_key(w.ctx.id, "security", [])
        return int(row["id"])

    return int(await world.get("api_key", make))


async def _command_record(world: World) -> int:
    """A GetDiagnostics command (pending, never sent) whose file the station has uploaded."""
    from core.commands.tables import CommandRecord

    station_id = await _station(world)

    async def make(w: World) -> int:
        prepared = await running.start_command(
            w.ctx.actor, "diagnostics", {}, station_id=station_id, job=f"security-{w.ctx.tenant['slug']}"
        )
        row = await CommandRecord.select(CommandRecord.upload_token).where(CommandRecord.id == prepared.record_id)
        assert await diagnostics.store_diagnostics_upload(row[0]["upload_token"], "diag.log", b"diagnostics")
        return prepared.record_id

    return int(await world.get("command", make))


async def _command_job(world: World) -> str:
    await _command_record(world)
    return f"security-{world.ctx.tenant['slug']}"


async def _session(world: World) -> int:
    """A stopped session written directly (as the CDR tests do)."""
    from datetime import UTC, datetime, timedelta

    from core.charging.tables import ChargingSession

    station_id, charge_point_id = await _station(world), await _charge_point(world)

    async def make(w: World) -> int:
        start = datetime(2026, 10, 1, 8, 0, tzinfo=UTC)
        session = ChargingSession(
            tenant=w.ctx.id, station=station_id, charge_point=charge_point_id, connector_id=1, id_tag="AABB01",
            auth_source="RFID", auth_status="Accepted", started_at=start, stopped_at=start + timedelta(hours=1),
            meter_start_wh=0, meter_stop_wh=10_000, last_meter_wh=10_000, energy_wh=10_000, status="STOPPED",
            stop_reason="Local",
        )  # fmt: skip
        await session.save()
        return int(session.id)

    return int(await world.get("session", make))


async def _cdr(world: World) -> int:
    """The CDR of the world's stopped session, made by core.cdrs."""
    session_id = await _session(world)

    async def make(w: World) -> int:
        cdr_id = await building.create_cdr(session_id)
        assert cdr_id is not None
        return cdr_id

    return int(await world.get("cdr", make))


async def _card(world: World) -> int:
    from core.access import cards

    async def make(w: World) -> dict[str, Any]:
        return await cards.create_card(w.ctx.actor, {"uid": "5EC0A1"})

    return int((await world.get("card", make))["id"])


async def _driver_group(world: World) -> int:
    from core.access import driver_groups

    async def make(w: World) -> dict[str, Any]:
        return await driver_groups.create_group(w.ctx.actor, {"name": "Security", "kind": "CARDS_ONLY"})

    return int((await world.get("driver_group", make))["id"])


async def _community(world: World) -> int:
    from core.community import communities

    tariff_id = await _tariff(world)

    async def make(w: World) -> dict[str, Any]:
        return await communities.create_community(w.ctx.actor, {"name": "Security", "tariff_id": tariff_id})

    return int((await world.get("community", make))["id"])


async def _member(world: World) -> int:
    from core.community import communities

    community_id = await _community(world)

    async def make(w: World) -> int:
        await communities.invite(w.ctx.actor, community_id, "member@security.example")
        rows = await communities.list_members(w.ctx.actor, community_id)
        return int(rows[0]["id"])

    return int(await world.get("member", make))


async def _member_card(world: World) -> int:
    from core.access import cards
    from core.community import communities

    community_id, member_id = await _community(world), await _member(world)

    async def make(w: World) -> int:
        card = await cards.create_card(w.ctx.actor, {"uid": "5EC0C0"})
        await communities.assign_card(w.ctx.actor, community_id, member_id, card["id"])
        return int(card["id"])

    return int(await world.get("member_card", make))


async def _community_month(world: World) -> int:
    """October 2026 of the world's community written: one session of the member's card, its statement and the
    credit note."""
    from datetime import UTC, datetime

    from core.community import statements
    from core.community.demo import card_session

    community_id, card_id, charge_point_id = (
        await _community(world),
        await _member_card(world),
        await _charge_point(world),
    )

    async def make(w: World) -> int:
        await card_session(w.ctx.id, charge_point_id, card_id, datetime(2026, 10, 5, 8, tzinfo=UTC), 1, 8_000)
        await statements.write_month(community_id, "2026-10")
        return community_id

    return int(await world.get("community_month", make))


async def _statement(world: World) -> int:
    from core.community import statements

    rows = await statements.list_statements(world.ctx.actor, await _community_month(world))
    return int(rows[0]["id"])


async def _credit_note(world: World) -> int:
    from core.community import statements

    rows = await statements.list_credit_notes(world.ctx.actor, await _community_month(world))
    return int(rows[0]["id"])


async def _contract_group(world: World) -> int:
    from core.roaming import contract_groups

    async def make(w: World) -> dict[str, Any]:
        return await contract_groups.create_group(w.ctx.actor, {"name": "Security"})

    return int((await world.get("contract_group", make))["id"])


async def _card_member_body(world: World) -> dict[str, Any]:
    return {"card_id": await _card(world)}


async def _card_group_body(_: World) -> dict[str, Any]:
    return {"driver_group_id": None}


async def _terminal_start_body(_: World) -> dict[str, Any]:
    return {"charge_point_id": 1}  # another tenant's terminal is not found before the charge point is looked at


async def _partner(world: World) -> int:
    async def make(w: World) -> int:
        # Any tenant may own a partner row; the portal shows each tenant only its own.
        partner = Partner(tenant=w.ctx.id, kind="EMP", name=f"Partner {w.ctx.tenant['slug']}")
        await partner.save()
        return int(partner.id)

    return int(await world.get("partner", make))


async def _terminal(world: World) -> int:
    async def make(w: World) -> dict[str, Any]:
        return await terminals.create_terminal(
            w.ctx.actor, {"name": f"Terminal {w.ctx.tenant['slug']}", "serial_number": "SEC-1", "model": "iM30"}
        )

    return int((await world.get("terminal", make))["id"])


def fixed(value: str) -> Factory:
    """A parameter that is not an id: the same value in every tenant."""

    async def make(_: World) -> str:
        return value

    return make


async def _sub_cpo(world: World) -> int:
    """The world's tenant itself: the test's own tenant is a sub-CPO of its reseller; another tenant is none of the
    caller's sub-CPOs."""
    return world.ctx.id


async def _notification_group(world: World) -> int:
    from core.alerts import manage

    async def make(w: World) -> dict[str, Any]:
        raw = {
            "name": "Security",
            "recipients": "ops@security.example",
            "cases": ["UNAVAILABILITY"],
            "all_charge_points": "on",
        }
        return await manage.save_group(w.ctx.actor, raw)

    return int((await world.get("notification_group", make))["id"])


async def _alert(world: World) -> int:
    from datetime import UTC, datetime

    from core.alerts import detect
    from core.alerts.cases import Case
    from core.alerts.rules import Source
    from core.alerts.tables import Alert

    station_id = await _station(world)

    async def make(w: World) -> int:
        opening = detect.Opening(w.ctx.id, station_id, None, Source.OFFLINE, Case.UNAVAILABILITY, "Offline",
                                 datetime.now(UTC))  # fmt: skip
        await detect.open_alerts([opening])
        row = await Alert.select(Alert.id).where(Alert.open_key == opening.key).first()
        assert row is not None
        # Already notified: an alerts tick of another process sharing the database would otherwise send its mail
        # in the middle of a test that compares every stored row before and after a refused request.
        await Alert.update({Alert.notified_at: opening.at}).where(Alert.id == row["id"])
        return int(row["id"])

    return int(await world.get("alert", make))


# --- the table -------------------------------------------------------------------------------------------

TARGETS: dict[str, Factory | dict[str, Factory]] = {
    "location_id": _location,
    "station_id": _station,
    "charge_point_id": _charge_point,
    "connector_id": _connector,
    "job_id": _import_job,
    "user_id": _user,
    "portal_session_id": _portal_session,
    "group_id": _group,
    "notification_group_id": _notification_group,
    "alert_id": _alert,
    "tariff_id": _tariff,
    "assignment_id": _tariff_assignment,
    "product_assignment_id": _product_assignment,
    "unknown_id": _unknown_station,
    "key_id": _api_key,
    "mail_id": _mail,
    "record_id": _command_record,
    "cdr_id": _cdr,
    "session_id": _session,
    "card_id": {"/communities/": _member_card, "/": _card},
    "community_id": _community,
    "member_id": _member,
    "statement_id": {"/communities/": _statement, "/driver/": _statement},
    "note_id": _credit_note,
    "driver_group_id": _driver_group,
    "partner_id": _partner,
    "terminal_id": _terminal,
    "contract_group_id": _contract_group,
    "sub_cpo_id": _sub_cpo,
    "campaign_id": _firmware_campaign,
    "job": {"/operations/bulk/": _command_job},
    "name": {  # a command that fits the route: for the whole station, or for one charge point
        "/api/v1/stations/": fixed("reset"),
        "/api/v1/evses/": fixed("unlock"),
        "/operations/stations/": fixed("reset"),
        "/operations/charge-points/": fixed("unlock"),
    },
    "key": {"/infrastructure/stations/": fixed("info")},
    "kind": {"/operations/anomalies/": fixed("anomaly")},
    # Public routes: a static file, a language, an upload token that names no command, a docs page.
    "file_path": fixed("app.css"),
    "language": fixed("en"),
    "token": fixed("no-such-token"),
    "link_token": fixed("no-such-link"),
    "invitation_token": fixed("no-such-invitation"),
    "filename": fixed("station.log"),
    "path": {"/api/docs/": fixed("no-such-page")},
    "item_id": {
        "/api/v1/locations/": _location,
        "/api/v1/stations/": _station,
        "/api/v1/evses/": _charge_point,
        "/api/v1/connectors/": _connector,
        "/operations/anomalies/": _anomaly,
    },
}


async def _assignment_body(world: World) -> dict[str, Any]:
    return {"charge_point_ids": [await _charge_point(world)], "valid_from": "2099-01-01T00:00:00"}


# A valid JSON body for REST API routes that validate it before looking at the path, built from the CALLER's
# own objects: only the path's ids are another tenant's.
BODIES: dict[str, Callable[[World], Awaitable[dict[str, Any]]]] = {
    "/api/v1/tariffs/{tariff_id:int}/assignments": _assignment_body,
    "/api/v1/driver-groups/{driver_group_id:int}/cards": _card_member_body,
    "/api/v1/cards/{card_id:int}": _card_group_body,
    "/api/v1/terminals/{terminal_id:int}/start": _terminal_start_body,
}

# Required query parameters of a route (path as Litestar spells it), so that it reaches its handler.
QUERIES: dict[str, str] = {
    "/roaming/partners/{partner_id:int}/log/rows": "after_id=0",
    "/operations/stations/{station_id:int}/log/rows": "after_id=0",
}


class MissingTarget(LookupError):
    pass


def factory_for(path: str, param: str) -> Factory:
    entry = TARGETS.get(param)
    if isinstance(entry, dict):
        prefixes = sorted((p for p in entry if path.startswith(p)), key=len, reverse=True)
        entry = entry[prefixes[0]] if prefixes else None
    if entry is None:
        raise MissingTarget(f"add {param} to tests/integration/security_targets.py (route {path})")
    return entry
