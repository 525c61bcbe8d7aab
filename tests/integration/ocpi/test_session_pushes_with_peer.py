"""Sessions pushed to the partner whose token charges: a station (bare OCPP websocket) charges with a token of
extrawest-ocpi (the eMSP, its own process) at `csms serve` (embedded: its own scheduler and jobs; production: plus a
`csms worker` on Redis); the peer receives the session's PUT, PATCHes with growing kWh and cost at most once per
OCPI_SESSION_PATCH_SECONDS, and the final PATCH with csms's own CDR's totals, then the CDR's POST. A partner that is
down meanwhile gets nothing replayed and finds the session by GET."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from core.cdrs.tables import Cdr
from core.roaming import leases, session_push
from core.roaming.tables import Partner, SessionPush, SessionPushState
from core.settings import get_settings
from core.tariffs import assignments, tariffs
from tests.integration.ocpi.test_pushes_with_peer import eventually, partners_end, serve_with_worker
from tests.integration.ocpi.test_token_auth_with_peer import Roaming, roaming, token
from tests.ocpi_peer.peer import OcpiPeer
from tests.support import TenantCtx, free_port

__all__ = ["partners_end", "roaming"]  # fixtures of the neighbouring modules, used here

EVERY = 3  # OCPI_SESSION_PATCH_SECONDS of the csms under test


@pytest.fixture(scope="module")
def csms_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve_with_worker(tmp_path_factory, OCPI_SESSION_PATCH_SECONDS=str(EVERY)) as base:
        yield base


@pytest.fixture(autouse=True)
def same_patch_rate(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every node of a deployment has the same settings, and this process may be one: embedded, a server another
    module started here runs the periodic work on the shared database too, so its session push runs would wait
    the default 60 s between PATCHes where the serve under test waits EVERY."""
    monkeypatch.setenv("OCPI_SESSION_PATCH_SECONDS", str(EVERY))
    get_settings.cache_clear()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


def stamp() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


async def priced(r: Roaming) -> None:
    """0.40 EUR per kWh and a 1.00 EUR session fee at the station (19 % VAT)."""
    prices = {"name": "Roaming", "currency": "EUR", "ac_energy_per_kwh": "0.40", "ac_session_fee": "1.00"}
    tariff = await tariffs.create_tariff(r.cpo.actor, prices)
    await assignments.assign_tariff(r.cpo.actor, tariff["id"], [r.site.charge_point["id"]], datetime.now(UTC))


async def start(r: Roaming, uid: str) -> int:
    connector = r.site.charge_point["evse_number"]
    started = await r.station.call(
        "StartTransaction", {"connectorId": connector, "idTag": uid, "meterStart": 0, "timestamp": stamp()}
    )
    assert started["idTagInfo"]["status"] == "Accepted"
    return int(started["transactionId"])


async def meter(r: Roaming, session_id: int, wh: int) -> None:
    await r.station.call("MeterValues", {
        "connectorId": r.site.charge_point["evse_number"], "transactionId": session_id,
        "meterValue": [{"timestamp": stamp(), "sampledValue": [
            {"value": str(wh), "measurand": "Energy.Active.Import.Register", "unit": "Wh"}]}],
    })  # fmt: skip


async def stop(r: Roaming, session_id: int, uid: str, wh: int) -> None:
    await r.station.call("StopTransaction", {"transactionId": session_id, "idTag": uid, "meterStop": wh,
                                             "timestamp": stamp()})  # fmt: skip


async def requests(peer: OcpiPeer, session_id: int, method: str | None = None) -> list[dict[str, Any]]:
    """The peer's received session pushes of the session, in arrival order."""
    got = await peer.received("sessions", method) if method else await peer.received("sessions")
    return [q for q in got if q["method"] in ("PUT", "PATCH") and q["path"].rstrip("/").endswith(f"/{session_id}")]


async def cdr_of(session_id: int) -> dict[str, Any] | None:
    return await Cdr.select().where(Cdr.session == session_id).first()


async def resync(peer: OcpiPeer, session_id: int) -> dict[str, Any]:
    crawl = await peer.crawl("sessions")
    assert crawl["error"] is None, crawl
    found = [s for s in crawl["items"] if str(s["id"]) == str(session_id)]
    assert len(found) == 1, crawl["items"]
    return found[0]


def money(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


async def test_the_partner_gets_the_start_patches_at_a_bounded_rate_and_the_end_with_the_cdrs_totals(
    roaming: Roaming, ocpi_emsp: OcpiPeer, emp_exw: TenantCtx
) -> None:
    await priced(roaming)
    await ocpi_emsp.seed_tokens([token("5E550001", "NEVER")])
    session_id = await start(roaming, "5E550001")

    put = (await eventually(lambda: requests(ocpi_emsp, session_id, "PUT"), "the session's PUT"))[0]
    assert put["body"]["status"] == "ACTIVE" and float(put["body"]["kwh"]) == 0
    assert put["body"]["cdr_token"]["uid"].upper() == "5E550001" and put["body"]["authorization_reference"]
    assert put["headers"]["ocpi-from-party-id"] == roaming.cpo.tenant["party_id"]
    assert put["headers"]["ocpi-to-party-id"] == "EXW"

    # Meter values every half second for a while: PATCHes with growing kWh and cost, no more than one per rate.
    for wh in range(500, 12_500, 500):
        await meter(roaming, session_id, wh)
        await asyncio.sleep(0.5)

    async def a_patch_with_energy() -> list[dict[str, Any]]:
        return [q for q in await requests(ocpi_emsp, session_id, "PATCH") if float(q["body"].get("kwh", 0)) > 0]

    await eventually(a_patch_with_energy, "a PATCH while charging")
    await stop(roaming, session_id, "5E550001", 15_000)
    cdr = await eventually(lambda: cdr_of(session_id), "csms's CDR", timeout=30)

    async def the_end() -> list[dict[str, Any]]:
        return [q for q in await requests(ocpi_emsp, session_id, "PATCH") if q["body"].get("status") == "COMPLETED"]

    end = (await eventually(the_end, "the final PATCH", timeout=30))[0]
    patches = await requests(ocpi_emsp, session_id, "PATCH")
    assert patches[-1] is not None and patches[-1]["body"] == end["body"]  # nothing after the end
    assert all("last_updated" in p["body"] for p in patches)
    running = patches[:-1]
    assert running, patches
    kwhs = [float(p["body"]["kwh"]) for p in running]
    assert kwhs == sorted(kwhs) and len(set(kwhs)) == len(kwhs)  # growing, each state once
    costs = [money(p["body"]["total_cost"]["excl_vat"]) for p in running if "total_cost" in p["body"]]
    assert costs and costs == sorted(costs) and costs[0] >= Decimal("1.00")
    # at most one PATCH per rate while charging (the 24 meter values were coalesced)
    arrivals = [float(q["at"]) for q in [put, *running]]  # the peer's clock, in seconds
    assert all(b - a >= EVERY - 0.05 for a, b in zip(arrivals, arrivals[1:], strict=False)), arrivals
    assert len(running) < 24

    # The end: COMPLETED, the end time, csms's own CDR's energy and totals, to the cent.
    body = end["body"]
    assert body["end_date_time"] and Decimal(str(body["kwh"])) == cdr["total_energy"] == Decimal("15")
    assert money(body["total_cost"]["excl_vat"]) == cdr["total_cost_excl_vat"] == Decimal("7.00")
    assert money(body["total_cost"]["incl_vat"]) == cdr["total_cost_incl_vat"]

    # What the partner was sent, put together, is what the GET list answers.
    assembled = dict(put["body"])
    for patch in patches:
        assembled.update(patch["body"])
    assert await resync(ocpi_emsp, session_id) == assembled

    # The CDR still goes its own way (the outbox): POSTed to the partner's CDRs receiver.
    async def posted() -> list[dict[str, Any]]:
        return [c for c in await ocpi_emsp.objects("cdrs") if str(c.get("id")) == str(cdr["id"])]

    await eventually(posted, "the CDR's POST", timeout=30)
    shown = await session_push.overview(emp_exw.actor, roaming.partner["id"])
    assert shown.receives and shown.sent >= 3 and shown.failed == 0


async def charging_while_down(r: Roaming, peer: OcpiPeer, uid: str) -> list[dict[str, Any]]:
    """A priced station, the peer's token ``uid``, and the partner's sessions receiver down (nothing listens at its
    address); returns the partner's endpoints to bring it back with."""
    await priced(r)
    await peer.seed_tokens([token(uid, "NEVER")])
    endpoints: list[dict[str, Any]] = r.partner["endpoints"]
    down = [{**e, "url": f"http://127.0.0.1:{free_port()}/down/"} if e["identifier"] == "sessions" else e
            for e in endpoints]  # fmt: skip
    await Partner.update({Partner.endpoints: down}).where(Partner.id == r.partner["id"])
    return endpoints


async def test_a_partner_down_during_the_session_gets_nothing_replayed_and_finds_it_by_get(
    roaming: Roaming, ocpi_emsp: OcpiPeer, emp_exw: TenantCtx
) -> None:
    endpoints = await charging_while_down(roaming, ocpi_emsp, "5E550002")

    session_id = await start(roaming, "5E550002")
    await meter(roaming, session_id, 4_000)
    await stop(roaming, session_id, "5E550002", 9_000)
    cdr = await eventually(lambda: cdr_of(session_id), "csms's CDR", timeout=30)

    async def given_up() -> bool:
        row = await SessionPush.select().where(SessionPush.session_id == session_id).first()
        return row is not None and row["final"] and row["sent"] is None

    await eventually(given_up, "the end given up", timeout=40)

    # Back: nothing of the session is replayed, however long it waits.
    await Partner.update({Partner.endpoints: endpoints}).where(Partner.id == roaming.partner["id"])
    await asyncio.sleep(EVERY + 3)
    assert await requests(ocpi_emsp, session_id) == []
    # ... and its GET finds the session as it ended, with csms's CDR's totals.
    found = await resync(ocpi_emsp, session_id)
    assert found["status"] == "COMPLETED" and Decimal(str(found["kwh"])) == cdr["total_energy"] == Decimal("9")
    assert money(found["total_cost"]["excl_vat"]) == cdr["total_cost_excl_vat"]
    assert money(found["total_cost"]["incl_vat"]) == cdr["total_cost_incl_vat"]
    shown = await session_push.overview(emp_exw.actor, roaming.partner["id"])
    assert shown.failed >= 1 and shown.last_error


async def test_a_partner_that_lost_a_session_gets_it_whole_again(roaming: Roaming, ocpi_emsp: OcpiPeer) -> None:
    endpoints = await charging_while_down(roaming, ocpi_emsp, "5E550003")
    session_id = await start(roaming, "5E550003")

    async def tried() -> bool:
        row = await SessionPush.select().where(SessionPush.session_id == session_id).first()
        return row is not None and row["attempted_at"] is not None

    await eventually(tried, "the first PUT tried")
    # The test holds the partner's session pushes while it changes their state: a retry of the PUT already under way
    # (the serve's run read the record before) would otherwise PUT to the partner that is back.
    lease = uuid.uuid4().hex

    async def at_rest() -> bool:
        now = datetime.now(UTC)
        return await leases.take_lease(SessionPushState, roaming.partner["id"], lease, now, timedelta(minutes=1))

    await eventually(at_rest, "no run of the partner's session pushes")
    # csms's record says the partner took the session (as a partner that lost it since, e.g. restored a backup)
    held = await resync(ocpi_emsp, session_id)
    await SessionPush.update({SessionPush.sent: held}).where(SessionPush.session_id == session_id)
    await Partner.update({Partner.endpoints: endpoints}).where(Partner.id == roaming.partner["id"])
    await leases.end_run(SessionPushState, roaming.partner["id"], lease)
    await meter(roaming, session_id, 3_000)

    async def put_after_patch() -> list[dict[str, Any]]:
        got = await requests(ocpi_emsp, session_id)
        return got if [q["method"] for q in got][:2] == ["PATCH", "PUT"] else []

    patch, put = (await eventually(put_after_patch, "a PATCH refused, then the PUT", timeout=30))[:2]
    assert patch["status"] == 404 and set(patch["body"]) == {"kwh", "total_cost", "last_updated"}
    assert put["body"]["status"] == "ACTIVE" and float(put["body"]["kwh"]) == 3
    stored = [s for s in await ocpi_emsp.objects("sessions") if str(s["id"]) == str(session_id)]
    assert stored and float(stored[0]["kwh"]) == 3
    await stop(roaming, session_id, "5E550003", 3_000)
