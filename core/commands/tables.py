"""CSMS->station commands: one row per command sent (or attempted), with its result.

Written by core.commands; read by the control / operations tabs, the bulk job page and the REST API.
"""

from __future__ import annotations

from piccolo.columns import (
    JSON,
    BigInt,
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

from core.infrastructure.tables import ChargePoint, ChargingStation
from core.tenancy.tables import Tenant


class CommandRecord(Table):
    """An OCPP command to a station: what was asked, by whom, and what came back."""

    id: Serial
    tenant = ForeignKey(references=Tenant, on_delete=OnDelete.cascade, index=True)
    station = ForeignKey(references=ChargingStation, on_delete=OnDelete.cascade, index=True)
    charge_point = ForeignKey(references=ChargePoint, on_delete=OnDelete.set_null, null=True, default=None)
    action = Varchar(length=40, index=True)  # OCPP action, e.g. RemoteStartTransaction
    payload = JSON(default={})  # the OCPP request payload as sent
    status = Varchar(length=10, default="pending", index=True)  # core.commands.catalogue.CommandStatus
    result = JSON(default={})  # the station's reply, or {"errorCode", "description"} of a CALLERROR
    message = Text(default="")  # why it failed, in English (shown translated)
    requested_by = Varchar(length=200, default="")
    user_id = Integer(null=True, default=None)
    job = Varchar(length=32, default="", index=True)  # bulk job this command belongs to
    duration_ms = Integer(null=True, default=None)  # round trip to the station
    upload_token = Varchar(length=64, default="", index=True)  # GetDiagnostics: where the station uploads
    upload_name = Varchar(length=255, default="")
    upload_size = BigInt(null=True, default=None)
    uploaded_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow(), index=True)
    finished_at = Timestamptz(null=True, default=None)
