"""core.charging.authorization.authorize: card state, tenant, expiry, auth types and concurrent transactions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.access.cards import normalize_uid
from core.access.tables import ChargingCard
from core.charging.authorization import AuthSource, AuthStatus, authorize
from core.infrastructure import charge_points, locations, stations
from tests.support import TenantCtx

CP_ALL = {"auth_local_rfid": True, "auth_remote": True, "auth_direct_payment": False}


def test_normalize_uid() -> None:
    assert normalize_uid("04:a2-3b 4c") == "04A23B4C"


async def test_card_states(cpo: TenantCtx, other_cpo: TenantCtx, unique: str) -> None:
    now = datetime.now(UTC)
    uids = {k: f"{k}{unique[:6]}".upper() for k in ("A1", "B1", "E1", "F1", "O1")}
    await ChargingCard(tenant=cpo.id, uid=uids["A1"], valid_until=now + timedelta(days=1)).save()
    await ChargingCard(tenant=cpo.id, uid=uids["B1"], status="BLOCKED").save()
    await ChargingCard(tenant=cpo.id, uid=uids["E1"], valid_until=now - timedelta(seconds=1)).save()
    await ChargingCard(tenant=other_cpo.id, uid=uids["O1"]).save()
    ok = await authorize(cpo.id, CP_ALL, uids["A1"].lower(), AuthSource.RFID)
    assert ok.status is AuthStatus.ACCEPTED and ok.id_tag_info()["expiryDate"].endswith("Z")
    assert (await authorize(cpo.id, CP_ALL, uids["B1"])).status is AuthStatus.BLOCKED
    expired = await authorize(cpo.id, CP_ALL, uids["E1"])
    assert (expired.status, expired.reason) == (AuthStatus.EXPIRED, "expired")
    assert (await authorize(cpo.id, CP_ALL, uids["F1"])).reason == "unknown_card"
    # Another tenant's card is unknown here.
    assert (await authorize(cpo.id, CP_ALL, uids["O1"])).status is AuthStatus.INVALID


async def test_charge_point_auth_types(cpo: TenantCtx, unique: str) -> None:
    uid = f"C1{unique[:6]}".upper()
    await ChargingCard(tenant=cpo.id, uid=uid).save()
    no_rfid = {**CP_ALL, "auth_local_rfid": False}
    no_remote = {**CP_ALL, "auth_remote": False}
    assert (await authorize(cpo.id, no_rfid, uid, AuthSource.RFID)).reason == "auth_type_not_allowed"
    assert (await authorize(cpo.id, no_rfid, uid, AuthSource.REMOTE)).accepted
    assert (await authorize(cpo.id, no_remote, uid, AuthSource.REMOTE)).status is AuthStatus.INVALID
    assert (await authorize(cpo.id, CP_ALL, uid, AuthSource.DIRECT_PAYMENT)).reason == "auth_type_not_allowed"
    # Station-wide Authorize (no charge point) only looks at the card.
    assert (await authorize(cpo.id, None, uid)).accepted


async def test_driver_group_archive_and_scope(cpo: TenantCtx, unique: str) -> None:
    """Cards of an archived group are Blocked everywhere; outside the group's scope Invalid; without group as before."""
    from core.access import driver_groups
    from core.charging.tables import ChargingSession

    actor = cpo.actor
    here, there = [
        await locations.create_location(
            actor, {"name": f"{name} {unique}", "address": "Hauptstr. 1", "postal_code": "80331", "city": "München",
                    "country": "DEU", "latitude": "48.1", "longitude": "11.5"})  # fmt: skip
        for name in ("Here", "There")
    ]
    points = []
    for n, location in enumerate((here, there)):
        station, _ = await stations.create_station(
            actor, {"location_id": location["id"], "charge_box_id": f"AZ{n}-{unique}"})
        points.append(await charge_points.create_charge_point(actor, {"station_id": station["id"], "evse_number": 1}))
    cp_here, cp_there = [{**CP_ALL, "id": cp["id"]} for cp in points]
    group = await driver_groups.create_group(
        actor, {"name": "Gäste", "kind": "CARDS_ONLY", "scope": "CHOSEN", "location_ids": [str(here["id"])]})
    uid = f"D1{unique[:6]}".upper()
    card = ChargingCard(tenant=cpo.id, uid=uid)
    await card.save()
    await driver_groups.set_card_group(actor, card.id, group["id"])
    loner = f"D2{unique[:6]}".upper()
    await ChargingCard(tenant=cpo.id, uid=loner).save()

    accepted = await authorize(cpo.id, cp_here, uid)
    assert accepted.accepted and accepted.driver_group is not None
    assert accepted.session_terms()["driver_group"] == group["id"]
    outside = await authorize(cpo.id, cp_there, uid)
    assert (outside.status, outside.reason) == (AuthStatus.INVALID, "outside_driver_group_scope")
    assert outside.session_terms()["driver_group"] is None  # a refused start does not count as the group's use
    assert (await authorize(cpo.id, None, uid)).accepted  # station-wide Authorize: the scope waits for the start
    assert (await authorize(cpo.id, cp_there, loner)).accepted  # a card without group: as before

    await driver_groups.update_group(actor, group["id"], {"scope": "ALL"})
    assert (await authorize(cpo.id, cp_there, uid)).accepted

    await driver_groups.archive_group(actor, group["id"])
    for cp in (cp_here, None):
        archived = await authorize(cpo.id, cp, uid)
        assert (archived.status, archived.reason) == (AuthStatus.BLOCKED, "driver_group_archived")
    # Archiving does not count as use; no session was made here, so the group may still be deleted.
    assert not await ChargingSession.exists().where(ChargingSession.driver_group == group["id"])
