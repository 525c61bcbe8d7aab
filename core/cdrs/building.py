
from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from core import outbox
from core.access.driver_groups import session_pricing
from core.cdrs.tables import Cdr
from core.charging.meter_values import session_sampled_values
from core.charging.sessions import FAILED_STOP_REASONS, SessionStatus, StaleReason
from core.charging.tables import ChargingSession
from core.dashboard import buckets as dashboard
from core.db import transaction
from core.eichrecht import ocmf
from core.infrastructure.stations import SIGNATURE_CHECK_TOPIC
from core.infrastructure.tables import ChargePoint, ChargingStation, Location
from core.tariffs import pricing
from core.tenancy.tables import Tenant

TOPIC = "session.stopped"
JOB = "cdrs.build"
outbox.route(TOPIC, JOB)
# A new CDR of a roaming partner's driver; core.roaming routes it to the job that sends it to the partner.
ROAMING_CDR_TOPIC = "cdr.roaming"


def roaming_cdr_key(cdr_id: int) -> str:
    """The outbox dedupe key of the message that sends a CDR to its roaming partner."""
    return f"cdr-roaming:{cdr_id}"


# Published by core.infrastructure when a station's meter public key changes or the CPO asks: its CDRs are checked.
CHECK_JOB = "cdrs.check_signatures"
outbox.route(SIGNATURE_CHECK_TOPIC, CHECK_JOB)
CHECK_BATCH = 500

NO_TARIFF_REMARK = "no tariff"
HOUR = Decimal(3600)
ZERO = Decimal(0)


class CdrStatus(StrEnum):
    ACTIVE = "ACTIVE"  # a running session, listed with the CDRs; never stored on a CDR
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"  # closed by csms as stale, or stopped by the station for a fault


# core.charging.authorization.AuthSource -> OCPI AuthMethod and OCPI TokenType
AUTH_METHODS = {"RFID": "WHITELIST", "REMOTE": "COMMAND", "DIRECT_PAYMENT": "AUTH_REQUEST", "TERMINAL": "AUTH_REQUEST"}
TOKEN_TYPES = {"RFID": "RFID", "REMOTE": "APP_USER", "DIRECT_PAYMENT": "AD_HOC_USER", "TERMINAL": "AD_HOC_USER"}
AUTH_SOURCES = tuple(AUTH_METHODS)
SIGNED_NATURE = {"Transaction.Begin": "Start", "Transaction.End": "End"}


# --- pure parts -------------------------------------------------------------------------------------------


def power_type_of(ocpi_power_type: str | None) -> str:
    """OCPI PowerType (AC_1_PHASE, AC_3_PHASE, DC) -> the CDR's AC | DC."""
    return "DC" if (ocpi_power_type or "").upper() == "DC" else "AC"


def hours(seconds: float | Decimal) -> Decimal:
    return (Decimal(str(seconds)) / HOUR).quantize(Decimal("0.000001"))


def cdr_status(session_status: str, stop_reason: str) -> CdrStatus:
    if session_status == SessionStatus.CLOSED_STALE.value or stop_reason in FAILED_STOP_REASONS:
        return CdrStatus.FAILED
    return CdrStatus.COMPLETED


def signed_data_of(meter_values: list[dict[str, Any]]) -> dict[str, Any] | None:
    """OCPI SignedData from the session's signed meter values, kept verbatim (OCMF strings stay untouched)."""
    signed = [m for m in meter_values if m.get("format") == "SignedData" and m.get("value")]
    if not signed:
        return None
    values = [
        {
            "nature": SIGNED_NATURE.get(m.get("context", ""), "Intermediate"),
            "plain_data": "",
            "signed_data": m["value"],
            "timestamp": m["timestamp"].isoformat() if isinstance(m.get("timestamp"), datetime) else m.get("timestamp"),
            "context": m.get("context", ""),
        }
        for m in signed
    ]
    is_ocmf = all(str(v["signed_data"]).startswith(ocmf.PREFIX) for v in values)
    return {"encoding_method": "OCMF" if is_ocmf else "", "signed_values": values}


def signature_check_of(
    signed_data: dict[str, Any] | None, public_key: str | None, meter_start_wh: int | None, meter_stop_wh: int | None
) -> dict[str, Any]:
    """The Eichrecht result of a CDR's signed data (core.eichrecht.ocmf.check_session) against the station's key."""
    texts = [str(v.get("signed_data") or "") for v in (signed_data or {}).get("signed_values", [])]
    return ocmf.check_session(texts, public_key, meter_start_wh=meter_start_wh, meter_stop_wh=meter_stop_wh)


def parking_hours(
    started_at: datetime,
    stopped_at: datetime,
    meter_start_wh: int,
    meter_stop_wh: int,
    readings: list[tuple[datetime, int]],
) -> Decimal:
    """Plugged in without charging: from the first reading that reached the final meter value until the stop.

    ``readings`` are (timestamp, Wh) of the import register. A session that never charged was parked all along.
    """
    full_at = started_at if meter_stop_wh <= meter_start_wh else None
    for at, wh in sorted(readings):
        if full_at is None and wh >= meter_stop_wh and at >= started_at:
            full_at = at
    if full_at is None or full_at >= stopped_at:
        return ZERO
    return hours((stopped_at - full_at).total_seconds())


def price_of(tariff: pricing.TariffSnapshot | None, facts: pricing.SessionFacts) -> tuple[pricing.Price | None, str]:
    """The price and a remark: no tariff -> no price and "no tariff"; a session the engine refuses -> its reason."""
    if tariff is None:
        return None, NO_TARIFF_REMARK
    try:
        return pricing.price_session(tariff, facts), ""
    except ValueError as exc:
        return None, f"not priced: {exc}"[:255]


def cdr_values(
    session: dict[str, Any],
    charge_point: dict[str, Any] | None,
    station: dict[str, Any],
    location: dict[str, Any],
    meter_values: list[dict[str, Any]],
    tariff: pricing.TariffSnapshot | None,
    *,
    currency: str,
    billable: bool = True,
) -> dict[str, Any]:
    """The CDR's columns for a finished session (pure: every input is a row already loaded)."""
    started_at: datetime = session["started_at"] or session["authorized_at"] or session["created_at"]
    stopped_at: datetime = max(session["stopped_at"] or started_at, started_at)
    meter_start = int(session["meter_start_wh"] or 0)
    final = session["meter_stop_wh"] if session["meter_stop_wh"] is not None else session["last_meter_wh"]
    meter_stop = int(final or 0)
    energy_wh = max(0, meter_stop - meter_start)
    power_type = power_type_of(charge_point["power_type"] if charge_point else None)
    readings = [
        (m["timestamp"], int(Decimal(str(m["value"])) * (1000 if m.get("unit") == "kWh" else 1)))
        for m in meter_values
        if m.get("measurand") == "Energy.Active.Import.Register" and m.get("format") != "SignedData"
        and not m.get("phase") and _is_number(m.get("value"))
    ]  # fmt: skip
    parking = parking_hours(started_at, stopped_at, meter_start, meter_stop, readings)
    facts = pricing.SessionFacts(
        energy_wh=energy_wh, started_at=started_at, stopped_at=stopped_at, power_type=power_type,
        idle_minutes=parking * 60, time_zone=location.get("time_zone") or "Europe/Berlin",
    )  # fmt: skip
    price, remark = price_of(tariff, facts)
    auth_source = session["auth_source"] or "RFID"
    flags = session.get("flags") or []
    signed_data = signed_data_of(meter_values)
    # The stop of a session closed as stale is a guess, not a reading to compare the signed end with.
    check = signature_check_of(signed_data, station.get("meter_public_key"), meter_start, session["meter_stop_wh"])
    return {
        "tenant": session["tenant"],
        "session": session["id"],
        "charge_point": charge_point["id"] if charge_point else None,
        "station": station["id"],
        "location": location["id"],
        "location_name": (location.get("name") or "")[:255],
        "address": location.get("address") or "",
        "city": location.get("city") or "",
        "postal_code": location.get("postal_code") or "",
        "country": location.get("country") or "",
        "evse_id": (charge_point or {}).get("evse_id") or "",
        "charge_box_id": station["charge_box_id"],
        "connector_id": int(session.get("connector_id") or 0),
        "power_type": power_type,
        "start_date_time": started_at,
        "end_date_time": stopped_at,
        "total_energy": (Decimal(energy_wh) / 1000).quantize(Decimal("0.001")),
        "total_time": hours((stopped_at - started_at).total_seconds()),
        "total_parking_time": parking,
        "auth_method": auth_method_of(auth_source, session.get("authorization_reference") or ""),
        "auth_source": auth_source,
        "token_uid": session.get("id_tag") or "",
        "token_type": TOKEN_TYPES.get(auth_source, "OTHER"),
        "card": session.get("card"),
        "roaming_partner_id": session.get("roaming_partner_id"),
        "roaming_contract_id": session.get("roaming_contract_id") or "",
        "authorization_reference": session.get("authorization_reference") or "",
        "roaming_token": session.get("roaming_token"),
        "driver_group": session.get("driver_group"),
        "tariff": tariff.to_json() if tariff else None,
        "tariff_code": tariff.code if tariff else "",
        "price_components": [c.to_json() for c in price.components] if price else [],
        "currency": price.currency if price else currency,
        "vat_rate": price.vat_rate if price else ZERO,
        "total_cost_excl_vat": price.net if price else ZERO,
        "total_vat": price.vat if price else ZERO,
        "total_cost_incl_vat": price.gross if price else ZERO,
        "billable": billable,
        "remark": remark,
        "eichrecht_compliant": bool(charge_point and charge_point.get("eichrecht_compliant")),
        "signed_data": signed_data,
        "signature_status": check["status"],
        "signature_check": check,
        "status": cdr_status(session["status"], session.get("stop_reason") or "").value,
        "stop_reason": session.get("stop_reason") or "",
        "flags": list(flags) if isinstance(flags, list) else [],
    }


# What a CDR bills and shows: when one of these differs, the CDR is corrected (credit CDR + new CDR).
CONTENT_COLUMNS = (
    "start_date_time", "end_date_time", "total_energy", "total_time", "total_parking_time", "currency",
    "total_cost_excl_vat", "total_vat", "total_cost_incl_vat", "tariff_code", "price_components", "billable",
    "status", "stop_reason", "remark", "signed_data", "auth_method", "authorization_reference", "token_uid",
)  # fmt: skip
# Negated on a credit CDR. OCPI 2.2.1 mod_cdrs: "Only the values in the total_cost field SHALL contain the negative
# amounts of the original CDR" (total_cost is excl. and incl. VAT; the VAT between them goes with it). Energy,
# times, price components and the signed data stay as in the original: the credit CDR repeats it.
CREDIT_NEGATED = ("total_cost_excl_vat", "total_vat", "total_cost_incl_vat")
_NOT_COPIED = ("id", "created_at", "credit", "credit_reference_id", "corrects_cdr_id")


def credit_values(original: dict[str, Any]) -> dict[str, Any]:
    """The credit CDR of ``original`` (a stored CDR row): all its data, ``credit`` true, ``credit_reference_id`` its
    id, the total cost negated (``CREDIT_NEGATED``); its own id comes with the insert."""
    if original.get("credit"):
        raise ValueError("a credit CDR is not credited again")
    values = {key: value for key, value in original.items() if key not in _NOT_COPIED}
    for key in CREDIT_NEGATED:
        values[key] = -Decimal(str(original[key] or 0))
    return {**values, "credit": True, "credit_reference_id": original["id"], "corrects_cdr_id": None}


def needs_correction(current: dict[str, Any], values: dict[str, Any]) -> bool:
    """Whether the session's CDR columns as they stand now (``cdr_values``) differ from its current CDR in what
    it bills and shows (``CONTENT_COLUMNS``)."""
    return any(_comparable(current.get(key)) != _comparable(values.get(key)) for key in CONTENT_COLUMNS)


def _comparable(value: Any) -> Any:
    """Decimals by value (7.000 == 7), datetimes by instant, JSON as loaded: a row read back equals what was written."""
    if isinstance(value, float | int) and not isinstance(value, bool):
        return Decimal(str(value)).normalize()
    if isinstance(value, Decimal):
        return value.normalize()
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def auth_method_of(auth_source: str, authorization_reference: str) -> str:
    """OCPI AuthMethod: a partner's token the eMSP authorised in real time carries its reference (AUTH_REQUEST)."""
    return "AUTH_REQUEST" if authorization_reference else AUTH_METHODS.get(auth_source, "WHITELIST")


def _is_number(value: Any) -> bool:
    """A reading usable as a number: stations send anything, and "NaN" or "Infinity" parse as Decimals that break
    the arithmetic (the CDR would never be built)."""
    try:
        return Decimal(str(value)).is_finite()
    except (InvalidOperation, ValueError):
        return False


# --- making CDRs --------------------------------------------------------------------------------------------


async def create_cdr(session_id: int) -> int | None:
    """The current CDR of a finished session (made now, or the one made before); None while the session runs.

    A CDR is never changed once made: when the station's own stop arrives for a session csms had closed as stale,
    its final reading corrects the CDR made at the time by a credit CDR plus a new one (``correct_cdr``)."""
    session = await ChargingSession.select().where(ChargingSession.id == session_id).output(load_json=True).first()
    if session is None or session["status"] not in (SessionStatus.STOPPED.value, SessionStatus.CLOSED_STALE.value):
        return None
    current = await _current_cdr(session)
    if current is not None:
        return await correct_cdr(session_id) if _superseded(current, session) else int(current["id"])
    values = await _values(session)
    if values is None:  # pragma: no cover - sessions cascade with their station
        return None
    async with transaction():
        inserted = await Cdr.insert(Cdr(**values)).returning(Cdr.id)
        cdr_id = int(inserted[0]["id"])
        if not await _claim(session_id, None, cdr_id):
            # another run made the session's CDR meanwhile: this one is not kept
            await Cdr.delete().where(Cdr.id == cdr_id)
            return await _current_cdr_id(session_id)
        await dashboard.record_cdr(values)
        await _publish_roaming(values, [cdr_id])
    return cdr_id


async def correct_cdr(session_id: int) -> int | None:
    """Correct the session's current CDR from the session as it stands now; returns the (new) current CDR's id.

    The rule of OCPI 2.2.1 mod_cdrs for every CDR that exists (sent to a partner, exported, or not yet): the CDR
    stays as it is, a credit CDR cancels it (``credit_values``) and a new CDR carries the corrected values, written
    in one transaction with the session pointing to the new one. Idempotent: when nothing billed differs
    (``needs_correction``), or another run corrected it first, nothing is written.
    """
    session = await ChargingSession.select().where(ChargingSession.id == session_id).output(load_json=True).first()
    if session is None:
        return None
    current = await _current_cdr(session)
    if current is None:
        return await create_cdr(session_id)
    values = await _values(session)
    if values is None or not needs_correction(current, values):
        return int(current["id"])
    async with transaction():
        credit = await Cdr.insert(Cdr(**credit_values(current))).returning(Cdr.id)
        new = await Cdr.insert(Cdr(**{**values, "corrects_cdr_id": current["id"]})).returning(Cdr.id)
        ids = [int(credit[0]["id"]), int(new[0]["id"])]
        if not await _claim(session_id, int(current["id"]), ids[1]):
            await Cdr.delete().where(Cdr.id.is_in(ids))  # corrected by another run meanwhile
            return await _current_cdr_id(session_id)
        await dashboard.record_cdr(current, -1)
        await dashboard.record_cdr(values)
        # the partner gets the credit CDR first, then the new one (the same outbox topic as every CDR)
        await _publish_roaming(current, ids[:1])
        await _publish_roaming(values, ids[1:])
    return ids[1]


async def _current_cdr(session: dict[str, Any]) -> dict[str, Any] | None:
    if session.get("cdr_id") is None:
        return None
    return await Cdr.select().where(Cdr.id == session["cdr_id"]).output(load_json=True).first()


async def _current_cdr_id(session_id: int) -> int | None:
    row = await ChargingSession.select(ChargingSession.cdr_id).where(ChargingSession.id == session_id).first()
    return None if row is None or row["cdr_id"] is None else int(row["cdr_id"])


async def _claim(session_id: int, current_id: int | None, new_id: int) -> bool:
    """Point the session to its new current CDR if it still points to ``current_id`` (compare and set: of two runs
    at the same time only one wins; PostgreSQL makes the second wait for the first's commit, SQLite writes one at a
    time). The session's updated_at stays: nothing a partner's session shows changed."""
    same = ChargingSession.cdr_id.is_null() if current_id is None else ChargingSession.cdr_id == current_id
    claimed = (
        await ChargingSession.update({ChargingSession.cdr_id: new_id})
        .where((ChargingSession.id == session_id) & same)
        .returning(ChargingSession.id)
    )
    return bool(claimed)


async def _publish_roaming(values: dict[str, Any], cdr_ids: list[int]) -> None:
    """The partner whose token charged gets the CDRs (core.roaming.cdr_push), reliably: it bills by them."""
    if values.get("roaming_partner_id") is None:
        return
    for cdr_id in cdr_ids:
        await outbox.publish(ROAMING_CDR_TOPIC, roaming_cdr_key(cdr_id), {"cdr_id": cdr_id})


async def _values(session: dict[str, Any]) -> dict[str, Any] | None:
    """The CDR columns of a session as it stands (a running one as if it stopped at its last reading)."""
    station = await ChargingStation.select().where(ChargingStation.id == session["station"]).first()
    if station is None:
        return None
    location = await Location.select().where(Location.id == station["location"]).first() or {"id": None}
    charge_point = None
    if session["charge_point"] is not None:
        charge_point = await ChargePoint.select().where(ChargePoint.id == session["charge_point"]).first()
    meter_values = await session_sampled_values(session["id"])
    from core.tariffs.assignments import tariff_snapshot, tariff_snapshot_for

    terms = session_pricing(session)
    tariff = None
    if terms.tariff_id is not None:
        tariff = await tariff_snapshot(terms.tariff_id)
    elif terms.use_charge_point_tariff and charge_point is not None:
        tariff = await tariff_snapshot_for(charge_point["id"], session["started_at"] or session["created_at"])
    tenant = await Tenant.select(Tenant.currency).where(Tenant.id == session["tenant"]).first()
    values = cdr_values(
        session, charge_point, station, location, meter_values, tariff, currency=(tenant or {}).get("currency", ""),
        billable=terms.billable,
    )
    if terms.remark:
        values["remark"] = terms.remark
    return values


async def priced_so_far(session: dict[str, Any], at: datetime) -> dict[str, Any] | None:
    """A running session priced by csms's pricing engine as if it stopped at ``at`` with its last reading (the OCPI
    Session's kwh and total_cost while charging); None when its station is gone."""
    stopped = session["stopped_at"] or max(at, session["started_at"] or at)
    return await _values({**session, "stopped_at": stopped})


def _superseded(cdr: dict[str, Any], session: dict[str, Any]) -> bool:
    """A CDR made when csms closed the session as stale, and the station has sent the real stop since."""
    stale_reasons = {reason.value for reason in StaleReason}
    return cdr["stop_reason"] in stale_reasons and session["status"] == SessionStatus.STOPPED.value


async def on_session_stopped(payload: dict[str, Any]) -> None:
    """The outbox handler of ``session.stopped``."""
    await create_cdr(int(payload["session_id"]))


async def check_signatures(station_id: int) -> int:
    """Check the signed data of the station's CDRs again with its current key; returns how many were checked.

    Runs in the outbox handler's transaction; reads in id order by keyset so that a station with many CDRs is
    never loaded at once.
    """
    station = await ChargingStation.select(ChargingStation.meter_public_key).where(
        ChargingStation.id == station_id
    ).first()
    if station is None:
        return 0
    checked, after = 0, 0
    while True:
        rows = (
            await Cdr.select(
                Cdr.id, Cdr.signed_data, Cdr.session.meter_start_wh.as_alias("meter_start_wh"),
                Cdr.session.meter_stop_wh.as_alias("meter_stop_wh"),
            )
            .where((Cdr.station == station_id) & (Cdr.id > after) & Cdr.signed_data.is_not_null())
            .order_by(Cdr.id)
            .limit(CHECK_BATCH)
            .output(load_json=True)
        )  # fmt: skip
        for row in rows:
            check = signature_check_of(
                row["signed_data"], station["meter_public_key"], row["meter_start_wh"], row["meter_stop_wh"]
            )
            await Cdr.update({Cdr.signature_status: check["status"], Cdr.signature_check: check}).where(
                Cdr.id == row["id"]
            )
        checked += len(rows)
        if len(rows) < CHECK_BATCH:
            return checked
        after = rows[-1]["id"]


async def on_check_signatures(payload: dict[str, Any]) -> None:
    """The outbox handler of ``station.check_signatures``."""
    await check_signatures(int(payload["station_id"]))
