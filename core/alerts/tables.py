"""Tables of alerts: notification groups and their members, the alerts, and the tick's cursor.

Rules in core.alerts.cases, .rules; the tick in core.alerts.detect; the mails in core.alerts.notify.
"""

from __future__ import annotations

from piccolo.columns import JSON, BigInt, Boolean, ForeignKey, OnDelete, Serial, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from core.infrastructure.tables import ChargePoint, ChargingStation, Location
from core.tenancy.tables import StaffUser, Tenant


class NotificationGroup(Table):
    """Who is told about what: recipients, the cases they want, and the charge points (members, or all)."""

    id: Serial
    tenant = ForeignKey(references=Tenant, on_delete=OnDelete.cascade, index=True)
    name = Varchar(length=120)
    recipients = JSON(default=[])  # e-mail addresses, lower case
    cases = JSON(default=[])  # core.alerts.cases.Case values
    all_charge_points = Boolean(default=False)
    language = Varchar(length=5, default="")  # the mails' language; empty: the tenant's
    created_at = Timestamptz(default=TimestamptzNow())


class NotificationGroupMember(Table):
    """A location, a station or a charge point of a group (exactly one of the three)."""

    id: Serial
    group = ForeignKey(references=NotificationGroup, on_delete=OnDelete.cascade, index=True)
    location = ForeignKey(references=Location, on_delete=OnDelete.cascade, null=True, default=None)
    station = ForeignKey(references=ChargingStation, on_delete=OnDelete.cascade, null=True, default=None)
    charge_point = ForeignKey(references=ChargePoint, on_delete=OnDelete.cascade, null=True, default=None)


class Alert(Table):
    """Something wrong with a charge point (or a whole station: ``charge_point`` null) from one source: its
    StatusNotifications (``status``), its connection (``offline``) or an anomaly csms found (``anomaly``). At most one
    open alert per station, charge point and source (``open_key``, unique while open)."""

    id: Serial
    tenant = ForeignKey(references=Tenant, on_delete=OnDelete.cascade, index=True)
    station = ForeignKey(references=ChargingStation, on_delete=OnDelete.cascade, index=True)
    charge_point = ForeignKey(references=ChargePoint, on_delete=OnDelete.cascade, null=True, default=None)
    source = Varchar(length=10)  # core.alerts.rules.Source
    case = Varchar(length=20)  # core.alerts.cases.Case
    code = Varchar(length=50, default="")  # the OCPP error code or status, or the anomaly's kind
    detail = JSON(default={})
    # "<station>:<charge point or 0>:<source>" while open (an anomaly: its own id), null once closed: one open each
    open_key = Varchar(length=60, null=True, default=None, unique=True)
    opened_at = Timestamptz()
    last_event_at = Timestamptz()
    closed_at = Timestamptz(null=True, default=None, index=True)
    acknowledged_at = Timestamptz(null=True, default=None)
    acknowledged_by = ForeignKey(references=StaffUser, on_delete=OnDelete.set_null, null=True, default=None)
    notified_at = Timestamptz(null=True, default=None, index=True)  # the problem mail went out (or was not due)
    recovery_notified_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class AlertCursor(Table):
    """How far the tick has read (status events, anomalies), and its lease: one tick at a time across processes."""

    id: Serial
    name = Varchar(length=40, unique=True)
    last_status_event = BigInt(default=0)
    last_anomaly = BigInt(default=0)
    lease_token = Varchar(length=32, default="")
    lease_until = Timestamptz(null=True, default=None)
