"""Pure rules of the monthly billing run: who is billed for what, VAT, the affiliate commission. No database.

- Who is billed (seed 003): a tenant without a parent (a CPO, a reseller's own stations) for its own stations'
  products. A reseller's sub-CPO in the RESELLER model is billed through its reseller (the line names the sub-CPO):
  the reseller bills its sub-CPOs itself. In the AFFILIATE model the platform bills the sub-CPO directly and credits
  the reseller a commission.
- Commission: 2 % of each affiliate sub-CPO's roaming revenue of the month, net (excluding VAT), per currency,
  rounded half up to the cent (a half cent away from zero), as a credit (negative line) to the reseller. No revenue,
  no line; a month whose net roaming revenue is negative (credits for earlier sessions exceed new sessions) claws the
  commission on them back (a positive line).
- VAT: the billed tenant's rate on the net amount, rounded half up to the cent (away from zero, so a credit mirrors
  a charge); gross = net + VAT.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from core.tenancy.tenants import ResellerModel

COMMISSION_RATE = Decimal("0.02")  # seed 003: "2 % Provision auf die Roaming-Umsätze"


class RunStatus(StrEnum):
    PREVIEW = "PREVIEW"  # computed, may be replaced; not shown to the billed tenants
    FINAL = "FINAL"  # finalised ("Abschließen") by the platform operator: never written again


class LineKind(StrEnum):
    PRODUCT = "PRODUCT"
    COMMISSION = "COMMISSION"


def half_up(value: Decimal) -> int:
    """Whole cents, half a cent away from zero (-0.5 -> -1, as 0.5 -> 1)."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class Amounts:
    net_cents: int
    vat_rate: Decimal
    vat_cents: int
    gross_cents: int


@functools.lru_cache(maxsize=4096)  # a run prices thousands of lines at a handful of prices
def amounts(net_cents: int, vat_rate: Decimal | str | int) -> Amounts:
    rate = Decimal(str(vat_rate)).quantize(Decimal("0.01"))
    vat = half_up(Decimal(net_cents) * rate / 100)
    return Amounts(net_cents, rate, vat, net_cents + vat)


def commission_cents(revenue_net_cents: int) -> int:
    """The commission line's net amount for a sub-CPO's net roaming revenue in one currency: a credit (negative)
    of 2 % rounded half up; 0 means no line."""
    return -half_up(Decimal(revenue_net_cents) * COMMISSION_RATE)


@dataclass(frozen=True)
class TenantRef:
    """What the run needs to know about a tenant to bill it."""

    id: int
    parent_id: int | None
    parent_model: str  # the parent reseller's ResellerModel ("" without a parent)


def product_debtor(tenant: TenantRef) -> int:
    """Who pays for the products on ``tenant``'s stations."""
    if tenant.parent_id is not None and tenant.parent_model != ResellerModel.AFFILIATE:
        return tenant.parent_id  # RESELLER model: the reseller bills its sub-CPO itself
    return tenant.id


def commission_receiver(tenant: TenantRef) -> int | None:
    """The reseller credited with commission on ``tenant``'s roaming revenue (AFFILIATE model only)."""
    if tenant.parent_id is not None and tenant.parent_model == ResellerModel.AFFILIATE:
        return tenant.parent_id
    return None


def line_key(period: str, concerns: int, kind: LineKind, *, station_id: int | None = None, product: str = "",
             currency: str = "") -> str:  # fmt: skip
    """A line's natural key, unique in the table: writing a tenant's month twice writes each line once."""
    if kind is LineKind.PRODUCT:
        return f"{period}:{concerns}:P:{station_id}:{product}"
    return f"{period}:{concerns}:C:{currency}"
