"""core.authorization.authorize: card state, tenant, expiry, auth types and concurrent transactions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.authorization import AuthSource, AuthStatus, authorize
from core.cards import normalize_uid
from core.tables_charging import ChargingCard
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
