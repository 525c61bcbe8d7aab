"""Tables of the operations views: DataTransfer messages and staff reviews of flagged sessions.

Written by core.monitoring (DataTransfer from the OCPP handler, reviews from the anomaly list).
"""

from __future__ import annotations

from piccolo.columns import ForeignKey, OnDelete, Serial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from core.tables import ChargingStation, StaffUser, Tenant
from core.tables_charging import ChargingSession


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
