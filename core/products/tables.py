"""Tables of products: the platform catalogue and the assignments of products to stations.

Rules in core.products.rules (pure month arithmetic) and core.products.assignments (who may assign what where).
"""

from __future__ import annotations

from piccolo.columns import JSON, BigInt, Boolean, ForeignKey, OnDelete, Serial, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from core.infrastructure.tables import ChargingStation
from core.tenancy.tables import StaffUser, Tenant


class Product(Table):
    """A product of the platform catalogue; the same for every tenant (prices net, in the catalogue's currency)."""

    id: Serial
    code = Varchar(length=40, unique=True)  # stable, e.g. SUPPORT_360; core.products.catalogue.ProductCode
    name = Varchar(length=120)  # as sold, e.g. "360.SUPPORT" (a name, not translated)
    monthly_net_cents = BigInt(default=0)
    currency = Varchar(length=3, default="EUR")
    billing_rule = Varchar(length=20, default="PRO_RATA")  # core.products.rules.BillingRule
    features = JSON(default=[])  # core.products.catalogue.Feature values it unlocks
    power_type = Varchar(length=2, default="")  # "AC" / "DC": only for stations of that kind; "" for any
    active = Boolean(default=True)  # an inactive product keeps its assignments but is no longer offered
    created_at = Timestamptz(default=TimestamptzNow())


class ProductAssignment(Table):
    """A product on a station from ``starts_at`` until ``ends_at`` (open while null). Never deleted: billing and
    the audit trail read the history; ending sets ``ends_at``."""

    id: Serial
    tenant = ForeignKey(references=Tenant, on_delete=OnDelete.cascade, index=True)
    station = ForeignKey(references=ChargingStation, on_delete=OnDelete.cascade, index=True)
    product = ForeignKey(references=Product, on_delete=OnDelete.restrict, index=True)
    starts_at = Timestamptz()
    ends_at = Timestamptz(null=True, default=None)
    # The price confirmed at assignment (Kostenfreigabe): a later catalogue change does not change what was approved.
    monthly_net_cents = BigInt(default=0)
    assigned_by = ForeignKey(references=StaffUser, on_delete=OnDelete.set_null, null=True)
    ended_by = ForeignKey(references=StaffUser, on_delete=OnDelete.set_null, null=True)
    created_at = Timestamptz(default=TimestamptzNow())
