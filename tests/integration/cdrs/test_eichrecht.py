"""Eichrecht end to end: an OCPP station sends signed OCMF readings, the CDR worker verifies them with the station's
public key; saving a key (portal form or REST API) checks the station's CDRs again through the outbox."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from ocpp.v16 import ChargePoint as ClientChargePoint
from ocpp.v16 import call

from core.cdrs.tables import Cdr
from core.infrastructure import stations
from core.infrastructure.stations import SIGNATURE_CHECK_TOPIC
from core.infrastructure.tables import ChargingStation
from core.outbox import OutboxMessage
from core.tenancy import api_keys
from tests.integration.cdrs.conftest import deliver, deliver_session_stopped
from tests.integration.ocpp.conftest import Station
from tests.ocmf_signing import payload, public_hex, sign
from tests.support import TenantCtx, app_client, login, post_form

METER = ec.generate_private_key(ec.SECP256R1())


def ts(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


async def charge(client: ClientChargePoint, begin: str, end: str) -> int:
    """A session from 1.0 to 23.0 kWh: the begin document in MeterValues, the end one in StopTransaction."""
    start = datetime.now(UTC)
    started = await client.call(call.StartTransaction(connector_id=1, id_tag="EICH01", meter_start=1000,
                                                      timestamp=ts(start)))  # fmt: skip
    tx = int(started.transaction_id)
    await client.call(call.MeterValues(connector_id=1, transaction_id=tx, meter_value=[
        {"timestamp": ts(start), "sampledValue": [
            {"value": begin, "format": "SignedData", "context": "Transaction.Begin"}]}]))  # fmt: skip
    stop = start + timedelta(minutes=30)
    await client.call(call.StopTransaction(
        meter_stop=23_000, timestamp=ts(stop), transaction_id=tx, id_tag="EICH01",
        transaction_data=[{"timestamp": ts(stop), "sampledValue": [
            {"value": end, "format": "SignedData", "context": "Transaction.End"}]}],
    ))  # fmt: skip
    await deliver_session_stopped(tx)
    return tx


def documents(key: ec.EllipticCurvePrivateKey = METER) -> tuple[str, str]:
    return sign(key, payload(("B", 1.0), page="T41")), sign(key, payload(("E", 23.0), page="T42"))


async def cdr_of_session(tx: int) -> dict[str, Any]:
    row = await Cdr.select().where(Cdr.session == tx).output(load_json=True).first()
    assert row is not None
    return row


async def deliver_signature_check(station_id: int) -> None:
    rows = await OutboxMessage.select().where(OutboxMessage.topic == SIGNATURE_CHECK_TOPIC).order_by(
        OutboxMessage.id, ascending=False
    ).output(load_json=True).limit(20)  # fmt: skip
    mine = [r for r in rows if r["payload"]["station_id"] == station_id]
    assert mine, "a check of the station's CDRs was published"
    await deliver(mine[0]["dedupe_key"])


async def test_signed_session_with_the_station_key_is_valid(
    client: ClientChargePoint, cpo: TenantCtx, station: Station
) -> None:
    await stations.update_station(cpo.actor, station.id, {"meter_public_key": public_hex(METER)})
    tx = await charge(client, *documents())
    cdr = await cdr_of_session(tx)
    assert cdr["signature_status"] == "VALID"
    check = cdr["signature_check"]
    assert check["problems"] == [] and len(check["documents"]) == 2
    assert check["begin"]["value"] == "1.0" and check["end"]["value"] == "23.0" and check["end"]["unit"] == "kWh"
    assert check["meter"]["serial"] == "MTR-1" and check["identification"]["id"] == "04A1B2C3"


async def test_tampered_document_is_invalid(client: ClientChargePoint, cpo: TenantCtx, station: Station) -> None:
    await stations.update_station(cpo.actor, station.id, {"meter_public_key": public_hex(METER)})
    begin, end = documents()
    tx = await charge(client, begin, end.replace('"RV":23.0', '"RV":2.3'))
    cdr = await cdr_of_session(tx)
    assert cdr["signature_status"] == "INVALID_SIGNATURE"
    assert [d["status"] for d in cdr["signature_check"]["documents"]] == ["VALID", "INVALID_SIGNATURE"]
    assert "end_differs_from_meter_stop" in cdr["signature_check"]["problems"]


async def test_without_key_then_saving_the_key_checks_again(
    client: ClientChargePoint, cpo: TenantCtx, station: Station
) -> None:
    tx = await charge(client, *documents())
    assert (await cdr_of_session(tx))["signature_status"] == "NO_PUBLIC_KEY"

    # the CPO pastes the key as PEM in the station form; it is stored as hex and the CDRs are checked again
    pem = METER.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    pem_text = pem.decode()
    async with app_client() as portal:
        await login(portal, cpo.admin["email"])
        await post_form(portal, "/lang", {"language": "en", "next": "/"})
        edit = await portal.get(f"/infrastructure/stations/{station.id}/edit")
        assert edit.status_code == 200 and 'name="meter_public_key"' in edit.text
        form = {"location_id": str(station.row["location"]), "charge_box_id": station.charge_box_id,
                "installation_status": "COMMISSIONED", "ocpp_version": "1.6", "access_type": "PUBLIC_PAID"}  # fmt: skip
        bad = await post_form(portal, f"/infrastructure/stations/{station.id}", {**form, "meter_public_key": "3059zz"})
        assert bad.status_code == 400 and "Not a valid public key" in bad.text
        url = f"/infrastructure/stations/{station.id}"
        saved = await post_form(portal, url, {**form, "meter_public_key": pem_text})
        assert saved.status_code in (200, 302, 303), saved.text
    stored = await stations.get_station(cpo.actor, station.id)
    assert stored["meter_public_key"] == public_hex(METER)
    await deliver_signature_check(station.id)
    assert (await cdr_of_session(tx))["signature_status"] == "VALID"

    # a wrong key (another meter's) through the REST API: the same CDR is now invalid
    other = ec.generate_private_key(ec.SECP256R1())
    key, _ = await api_keys.create_api_key(cpo.id, "eichrecht")
    async with app_client() as api:
        headers = {"Authorization": f"Bearer {key}"}
        refused = await api.patch(f"/api/v1/stations/{station.id}", json={"meter_public_key": "nonsense"},
                                  headers=headers)  # fmt: skip
        assert refused.status_code == 400 and "meter_public_key" in refused.text
        patched = await api.patch(f"/api/v1/stations/{station.id}", json={"meter_public_key": public_hex(other)},
                                  headers=headers)  # fmt: skip
        assert patched.status_code == 200 and patched.json()["meter_public_key"] == public_hex(other)
        await deliver_signature_check(station.id)
        cdr = await cdr_of_session(tx)
        assert cdr["signature_status"] == "INVALID_SIGNATURE"
        one = await api.get(f"/api/v1/cdrs/{cdr['id']}", headers=headers)
        assert one.json()["signature_status"] == "INVALID_SIGNATURE"
        assert one.json()["signature_check"]["end"]["value"] == "23.0"
        listed = await api.get("/api/v1/cdrs", params={"signature": "INVALID_SIGNATURE", "from": "2020-01-01"},
                               headers=headers)  # fmt: skip
        assert [item["session_id"] for item in listed.json()["items"]] == [tx]


@pytest.mark.parametrize("signature", ["", "VALID"])
async def test_unsigned_session_and_the_eka_column(
    client: ClientChargePoint, cpo: TenantCtx, station: Station, signature: str
) -> None:
    start = datetime.now(UTC)
    started = await client.call(call.StartTransaction(connector_id=1, id_tag="EICH02", meter_start=0,
                                                      timestamp=ts(start)))  # fmt: skip
    tx = int(started.transaction_id)
    await client.call(call.StopTransaction(meter_stop=500, timestamp=ts(start + timedelta(minutes=5)),
                                           transaction_id=tx))  # fmt: skip
    await deliver_session_stopped(tx)
    assert (await cdr_of_session(tx))["signature_status"] == "NOT_SIGNED"
    async with app_client() as portal:
        await login(portal, cpo.admin["email"])
        await post_form(portal, "/lang", {"language": "en", "next": "/"})
        page = await portal.get("/charging-data", params={"signature": signature} if signature else {})
        assert page.status_code == 200
        if signature:  # the filter leaves the unsigned session out
            assert f'data-session="{tx}"' not in page.text
        else:
            assert f'data-session="{tx}"' in page.text and 'data-signature="NOT_SIGNED"' in page.text
            assert ">not signed<" in page.text


async def test_check_signatures_button(client: ClientChargePoint, cpo: TenantCtx, station: Station) -> None:
    """CDRs made before the check existed (status "") are checked when the CPO presses the button."""
    tx = await charge(client, *documents())
    await Cdr.update({Cdr.signature_status: "", Cdr.signature_check: None}).where(Cdr.session == tx)
    await ChargingStation.update({ChargingStation.meter_public_key: public_hex(METER)}).where(
        ChargingStation.id == station.id
    )
    async with app_client() as portal:
        await login(portal, cpo.admin["email"])
        await post_form(portal, "/lang", {"language": "en", "next": "/"})
        tab = await portal.get(f"/infrastructure/stations/{station.id}/tab/device")
        assert 'data-testid="check-signatures"' in tab.text
        pressed = await post_form(portal, f"/infrastructure/stations/{station.id}/check-signatures", {})
        assert pressed.status_code in (200, 302, 303)
    await deliver_signature_check(station.id)
    assert (await cdr_of_session(tx))["signature_status"] == "VALID"
