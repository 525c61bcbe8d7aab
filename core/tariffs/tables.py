"""Tariffs and their assignment to charge points (rules in core.tariffs, prices in core.tariffs.pricing).

All prices are net (VAT is added from the tenant's VAT rate). A tariff's prices never change once it has been
assigned, so the assignment history is also the price history of a charge point.
"""

from __future__ import annotations

from decimal import Decimal

from piccolo.columns import ForeignKey, Integer, Numeric, OnDelete, Serial, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from core.infrastructure.tables import ChargePoint
from core.tenancy import audit
from core.tenancy.tables import StaffUser, Tenant

_PRICE = (10, 4)  # the form's precision: 0,4000


class Tariff(Table):
    """A CPO tariff (OCPI Tariff): net prices for AC and DC, an optional blocking fee and parking price."""

    id: Serial
    tenant = ForeignKey(references=Tenant, on_delete=OnDelete.cascade, index=True)
    code = Varchar(length=32, index=True)  # "CPO" + UTC timestamp, unique per tenant (core.tariffs)
    name = Varchar(length=120)
    currency = Varchar(length=3)  # ISO 4217; fixed for the tenant by its first tariff
    ac_energy_per_kwh = Numeric(digits=_PRICE, default=Decimal("0"))
    ac_time_per_minute = Numeric(digits=_PRICE, default=Decimal("0"))
    ac_time_from_minute = Integer(default=0)
    ac_session_fee = Numeric(digits=_PRICE, default=Decimal("0"))
    dc_energy_per_kwh = Numeric(digits=_PRICE, default=Decimal("0"))
    dc_time_per_minute = Numeric(digits=_PRICE, default=Decimal("0"))
    dc_time_from_minute = Integer(default=0)
    dc_session_fee = Numeric(digits=_PRICE, default=Decimal("0"))
    parking_per_minute = Numeric(digits=_PRICE, default=Decimal("0"))
    parking_from_minute = Integer(default=0)
    archived_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class TariffAssignment(Table):
    """A tariff valid on a charge point from ``valid_from`` until the next assignment's ``valid_from``.

    Rows are never updated or deleted (only a scheduled one may be cancelled), so the history stays.
    """

    id: Serial
    tenant = ForeignKey(references=Tenant, on_delete=OnDelete.cascade, index=True)
    tariff = ForeignKey(references=Tariff, on_delete=OnDelete.restrict, index=True)
    charge_point = ForeignKey(references=ChargePoint, on_delete=OnDelete.cascade, index=True)
    valid_from = Timestamptz(index=True)
    created_by = ForeignKey(references=StaffUser, null=True, on_delete=OnDelete.set_null)
    created_by_label = Varchar(length=254, default="")
    created_at = Timestamptz(default=TimestamptzNow())
    cancelled_at = Timestamptz(null=True, default=None)


audit.show_name(Tariff.name, "tariff", "tariff_id")
