"""Tables of dynamic load management: a location's grid limit and each charge point's current allocation.

Written by core.load_management (settings from the portal, allocations by the service after each
recomputation); read by the location page's live card.
"""

from __future__ import annotations

from decimal import Decimal

from piccolo.columns import (
    Boolean,
    ForeignKey,
    Integer,
    Numeric,
    OnDelete,
    Serial,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from core.infrastructure.tables import ChargePoint, Location
from core.tenancy.tables import Tenant


class LoadLimit(Table):
    """A location's grid connection limit and the minimum current per charge point."""

    id: Serial
    tenant = ForeignKey(references=Tenant, on_delete=OnDelete.cascade, index=True)
    location = ForeignKey(references=Location, on_delete=OnDelete.cascade, unique=True, index=True)
    enabled = Boolean(default=False, index=True)
    limit_value = Numeric(digits=(10, 1), default=Decimal("32"))
    limit_unit = Varchar(length=2, default="A")  # "A" (per phase) or "kW"
    phases = Integer(default=3)  # phases of the grid connection: 1 or 3
    min_current_a = Numeric(digits=(6, 1), default=Decimal("6"))  # per charge point while charging
    computed_at = Timestamptz(null=True, default=None)
    over_limit = Boolean(default=False)  # the last recomputation could not keep the limit (unsteerable draw)
    # One recomputation at a time across all nodes (core.load_management.service): its holder and until when, and
    # whether another node asked for one meanwhile (the holder then runs once more).
    lease_token = Varchar(length=32, default="")
    lease_until = Timestamptz(null=True, default=None)
    recompute_again = Boolean(default=False)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class LoadAllocation(Table):
    """A charge point's share: what the rule gave it, what the station confirmed and what counts at the grid."""

    id: Serial
    tenant = ForeignKey(references=Tenant, on_delete=OnDelete.cascade, index=True)
    location = ForeignKey(references=Location, on_delete=OnDelete.cascade, index=True)
    charge_point = ForeignKey(references=ChargePoint, on_delete=OnDelete.cascade, unique=True, index=True)
    target_a = Numeric(digits=(6, 1), default=Decimal("0"))  # the last allocation computed
    applied_a = Numeric(digits=(6, 1), null=True, default=None)  # the limit the station last confirmed
    counted_a = Numeric(digits=(6, 1), default=Decimal("0"))  # what the allocation counted it at
    reason = Varchar(length=10, default="idle")  # core.load_management.allocation.Reason
    state = Varchar(length=12, default="pending")  # core.load_management.service.ProfileState
    draw_a = Numeric(digits=(6, 1), null=True, default=None)  # measured current per phase (MeterValues)
    draw_at = Timestamptz(null=True, default=None)
    confirmed_at = Timestamptz(null=True, default=None)
    updated_at = Timestamptz(default=TimestamptzNow())
