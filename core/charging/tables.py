"""Tables of the charging process: sessions, meter values, status history, OCPP log, anomalies, unknown
stations, DataTransfer messages and staff reviews of flagged sessions.

Written by the OCPP central system (ocpp_cs) through core.charging; read by the operations pages and CDRs.
"""

from __future__ import annotations

from typing import Any

from piccolo.columns import (
    JSON,
    BigInt,
    Boolean,
    ForeignKey,
    Integer,
    OnDelete,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from core.access.tables import ChargingCard, DriverGroup
from core.infrastructure.tables import ChargePoint, ChargingStation
from core.tariffs.tables import Tariff
from core.tenancy.tables import StaffUser, Tenant


class ChargingSession(Table):
    """One OCPP transaction; its id is the OCPP transactionId."""

    id: Serial
    tenant = ForeignKey(references=Tenant, on_delete=OnDelete.cascade, index=True)
    station = ForeignKey(references=ChargingStation, on_delete=OnDelete.cascade, index=True)
    charge_point = ForeignKey(references=ChargePoint, on_delete=OnDelete.cascade, null=True, index=True)
    connector_id = Integer(default=1)  # OCPP 1.6 connectorId as sent
    id_tag = Varchar(length=20, default="", index=True)
    card = ForeignKey(references=ChargingCard, on_delete=OnDelete.set_null, null=True, default=None)
    auth_source = Varchar(length=20, default="RFID")  # core.charging.authorization.AuthSource
    auth_status = Varchar(length=20, default="")  # OCPP idTagInfo.status given at start
    # A roaming partner's token (core.roaming.token_auth): the partner (core.roaming.tables.Partner id; charging sits
    # below roaming, so no foreign key), the token's contract id (EMAID) and the eMSP's authorization reference,
    # which the OCPI session and CDR send back.
    roaming_partner_id = Integer(null=True, default=None, index=True)
    roaming_contract_id = Varchar(length=36, default="")
    authorization_reference = Varchar(length=36, default="")
    roaming_token = JSON(null=True, default=None)  # OCPI CdrToken: country_code, party_id, uid, type, contract_id
    # The card's driver group and its tariff and mode when the session started: later edits of the group
    # do not change how a past session is priced (core.access.driver_groups, core.cdrs).
    driver_group: ForeignKey[Any] = ForeignKey(
        references=DriverGroup, on_delete=OnDelete.set_null, null=True, default=None, index=True
    )
    driver_group_tariff: ForeignKey[Any] = ForeignKey(
        references=Tariff, on_delete=OnDelete.set_null, null=True, default=None
    )
    driver_group_tariff_mode = Varchar(length=10, default="")  # core.access.driver_groups.TariffMode or ""
    authorized_at = Timestamptz(null=True, default=None)
    started_at = Timestamptz(null=True, default=None, index=True)  # the station's timestamp
    stopped_at = Timestamptz(null=True, default=None)
    meter_start_wh = BigInt(default=0)
    meter_stop_wh = BigInt(null=True, default=None)
    energy_wh = BigInt(default=0)
    last_meter_wh = BigInt(null=True, default=None)
    last_meter_at = Timestamptz(null=True, default=None)
    reservation_id = Integer(null=True, default=None)
    status = Varchar(length=20, default="STARTED", index=True)  # core.charging.sessions.SessionStatus
    stop_reason = Varchar(length=40, default="")
    stop_id_tag = Varchar(length=20, default="")
    flags = JSON(default=[])
    # The session's current CDR (core.cdrs.tables.Cdr id; no foreign key: cdrs depends on charging, not the other
    # way round): its first CDR, and after a correction the new CDR that replaced it (core.cdrs.building).
    cdr_id = Integer(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class MeterValue(Table):
    """One OCPP MeterValue: a timestamp and the sampled values the station sent with it, verbatim (signed data
    stays verifiable). ``core.charging.meter_values.sampled_values`` reads them as one dict per sampled value."""

    id: Serial
    # No foreign keys on this append-only series: each one costs every inserted row a lookup and a lock (with
    # its WAL record) on the parent row, the largest part of the MeterValues write (docs/benchmarks.md). Stations
    # and sessions are never deleted by csms (they are decommissioned / closed), so nothing would cascade.
    station = Integer()
    session = Integer(null=True, default=None, index=True)
    connector_id = Integer(default=0)
    timestamp = Timestamptz()
    sampled_value = JSON(default=[])  # the OCPP sampledValue list as sent
    created_at = Timestamptz(default=TimestamptzNow())


class StatusEvent(Table):
    """Each StatusNotification, kept for the history and the error rate."""

    id: Serial
    tenant = ForeignKey(references=Tenant, on_delete=OnDelete.cascade, index=True)
    station = ForeignKey(references=ChargingStation, on_delete=OnDelete.cascade, index=True)
    charge_point = ForeignKey(references=ChargePoint, on_delete=OnDelete.cascade, null=True, index=True)
    connector_id = Integer(default=0)
    status = Varchar(length=20)  # OCPP status as sent
    error_code = Varchar(length=50, default="NoError")
    info = Varchar(length=50, default="")
    vendor_id = Varchar(length=255, default="")
    vendor_error_code = Varchar(length=50, default="")
    timestamp = Timestamptz(index=True)
    created_at = Timestamptz(default=TimestamptzNow())


class OcppMessage(Table):
    """Every OCPP frame both directions, verbatim.

    Every reader goes by station, newest first (core.charging.monitoring), so one index on (station, id) serves them all
    (migration 2026-11-25T18:19:46); one index per filter column cost each logged frame four more index entries."""

    id: Serial
    station = ForeignKey(references=ChargingStation, on_delete=OnDelete.cascade, null=True, index=False)
    charge_box_id = Varchar(length=64)
    direction = Varchar(length=3)  # "in" station->CSMS, "out" CSMS->station
    message_type = Integer()  # 2 CALL, 3 CALLRESULT, 4 CALLERROR, 0 unparseable
    unique_id = Varchar(length=64, default="")
    action = Varchar(length=50, default="")
    payload = Text()  # the whole frame text
    created_at = Timestamptz(default=TimestamptzNow())


class Anomaly(Table):
    """Something a station sent that does not fit: unknown transaction, stale session, ..."""

    id: Serial
    tenant = ForeignKey(references=Tenant, on_delete=OnDelete.cascade, null=True, index=True)
    station = ForeignKey(references=ChargingStation, on_delete=OnDelete.cascade, null=True, index=True)
    session = ForeignKey(references=ChargingSession, on_delete=OnDelete.set_null, null=True, default=None)
    kind = Varchar(length=40, index=True)  # core.charging.sessions.AnomalyKind
    detail = JSON(default={})
    resolved = Boolean(default=False)
    created_at = Timestamptz(default=TimestamptzNow(), index=True)


class UnknownStation(Table):
    """A charge box id that tried to connect without being configured; the CPO can adopt it."""

    id: Serial
    charge_box_id = Varchar(length=64, unique=True, index=True)
    tenant = ForeignKey(references=Tenant, on_delete=OnDelete.cascade, null=True, default=None, index=True)
    remote_addr = Varchar(length=64, default="")
    attempts = Integer(default=1)
    boot_info = JSON(default={})
    first_seen_at = Timestamptz(default=TimestamptzNow())
    last_seen_at = Timestamptz(default=TimestamptzNow())
    adopted = Boolean(default=False)


class DataTransferMessage(Table):
    """An incoming OCPP DataTransfer.req: vendorId, messageId and data as sent, and the status answered."""

    id: Serial
    tenant = ForeignKey(references=Tenant, on_delete=OnDelete.cascade, index=True)
    station = ForeignKey(references=ChargingStation, on_delete=OnDelete.cascade, index=True)
    vendor_id = Varchar(length=255)
    message_id = Varchar(length=50, default="")
    data = Text(default="")  # verbatim: a string as sent, anything else as JSON text
    status = Varchar(length=20, default="")  # DataTransfer.conf status answered
    created_at = Timestamptz(default=TimestamptzNow(), index=True)


class SessionReview(Table):
    """Staff marked a flagged session (meter backwards, timestamps out of order, ...) as resolved."""

    id: Serial
    tenant = ForeignKey(references=Tenant, on_delete=OnDelete.cascade, index=True)
    session = ForeignKey(references=ChargingSession, on_delete=OnDelete.cascade, unique=True, index=True)
    reviewed_by = ForeignKey(references=StaffUser, on_delete=OnDelete.set_null, null=True, default=None)
    note = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())
