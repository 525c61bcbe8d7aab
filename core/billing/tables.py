"""Tables of the monthly billing run (core.billing.runs): one run per month, its per-tenant progress and its
invoice lines. Amounts in cents; the currency and VAT rate are stored on each line."""

from __future__ import annotations

from decimal import Decimal

from piccolo.columns import BigInt, ForeignKey, Integer, Numeric, OnDelete, Serial, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from core.tenancy.tables import StaffUser, Tenant


class BillingRun(Table):
    """The billing run of one month (local calendar month of each tenant): a preview until the platform operator
    finalises it."""

    id: Serial
    period = Varchar(length=7, unique=True)  # YYYY-MM
    status = Varchar(length=10, default="PREVIEW")  # core.billing.rules.RunStatus
    started_at = Timestamptz(default=TimestamptzNow())
    finished_at = Timestamptz(null=True, default=None)  # every tenant written; null while running or after a crash
    finalised_at = Timestamptz(null=True, default=None)
    finalised_by = ForeignKey(references=StaffUser, on_delete=OnDelete.set_null, null=True)
    tenant_count = Integer(default=0)  # tenants written
    line_count = Integer(default=0)


class BillingProgress(Table):
    """One tenant of a run written (its product lines and commission, in one transaction): a resumed run skips it."""

    id: Serial
    key = Varchar(length=40, unique=True)  # "<run id>:<tenant id>"
    run = ForeignKey(references=BillingRun, on_delete=OnDelete.cascade, index=True)
    tenant = ForeignKey(references=Tenant, on_delete=OnDelete.cascade)
    line_count = Integer(default=0)
    written_at = Timestamptz(default=TimestamptzNow())


class InvoiceLine(Table):
    """One line of a tenant's monthly invoice: a product on a station (PRODUCT) or a commission credit (COMMISSION,
    negative). ``tenant`` is billed; ``concerns`` is the tenant whose stations or roaming revenue the line is about
    (a sub-CPO when it is not the billed tenant itself).

    A line is a record of what was billed: the station and the tenant it concerns are kept as ids with the names
    they had, not as references (which would also cost a lookup per line when a run writes 15,000 of them)."""

    id: Serial
    run = ForeignKey(references=BillingRun, on_delete=OnDelete.cascade, index=True)
    line_key = Varchar(length=120, unique=True)  # core.billing.rules.line_key, prefixed with the run
    tenant = ForeignKey(references=Tenant, on_delete=OnDelete.cascade, index=True)
    concerns = Integer()
    concerns_name = Varchar(length=200, default="")
    kind = Varchar(length=12, default="PRODUCT")  # core.billing.rules.LineKind
    station = Integer(null=True, default=None)
    station_name = Varchar(length=120, default="")  # as it was named when the line was written
    product_code = Varchar(length=40, default="")
    quantity_days = Integer(default=0)  # days billed (PRO_RATA: assigned days; FULL_MONTH: the month's days)
    month_days = Integer(default=0)
    net_cents = BigInt(default=0)
    vat_rate = Numeric(digits=(5, 2), default=Decimal("19.00"))
    vat_cents = BigInt(default=0)
    gross_cents = BigInt(default=0)
    currency = Varchar(length=3, default="EUR")
    text = Varchar(length=300, default="")  # what the line says (product and station, or the commission's basis)
    basis_cents = BigInt(default=0)  # COMMISSION: the sub-CPO's net roaming revenue it is computed from
