"""The dashboard's pre-aggregate: finished sessions, energy and revenue per tenant and hour of the tenant's local
time, so that the start page never reads the sessions table (core.dashboard.buckets keeps it)."""

from __future__ import annotations

from decimal import Decimal

from piccolo.columns import BigInt, ForeignKey, Integer, Numeric, OnDelete, Serial, Timestamptz, Varchar
from piccolo.table import Table

from core.tenancy.tables import Tenant


class DashboardHour(Table):
    """One hour of one tenant: the sessions that started in it and have a CDR (credits count minus one), their
    energy and their net revenue (billable CDRs only, in the tenant's currency).

    ``hour_start`` is the UTC instant at which the local hour began: a local day is a range of instants whatever
    its length (23 or 25 hours at a DST change), and the repeated hour of an autumn night stays two hours.
    """

    id: Serial
    # "<tenant>:<hour_start as Unix seconds>": one row per tenant and hour, the key of the upsert
    bucket = Varchar(length=40, unique=True)
    tenant = ForeignKey(references=Tenant, on_delete=OnDelete.cascade, index=True)
    hour_start = Timestamptz(index=True)
    sessions = Integer(default=0)
    energy_wh = BigInt(default=0)
    revenue = Numeric(digits=(14, 2), default=Decimal("0"))
