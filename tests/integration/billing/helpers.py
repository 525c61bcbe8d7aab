"""A small installation for the billing tests: the platform operator (HUB), a CPO, a reseller in the RESELLER model
and one in the AFFILIATE model with a sub-CPO each, products on their stations, roaming revenue of the affiliate's
sub-CPO in two currencies. Each test bills a month of its own (``fresh_month``): a run bills every tenant of the
database, and a final month stays final for the rest of the session."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from core.billing.tables import InvoiceLine
from core.cdrs.tables import Cdr
from core.charging.tables import ChargingSession
from core.months import Month
from core.products import assignments
from core.products.catalogue import ProductCode, ensure_catalogue, product_by_code
from core.roaming.tables import Partner
from core.tenancy.tables import Tenant
from tests.integration.infrastructure.conftest import make_site
from tests.support import TenantCtx, make_tenant

BERLIN = ZoneInfo("Europe/Berlin")
_months = itertools.count()


def fresh_month(first_year: int) -> Month:
    """A month no other test of the session bills: ``first_year`` names the test module's own years."""
    n = next(_months)
    return Month(first_year + n // 12, n % 12 + 1)


@dataclass
class Installation:
    hub: TenantCtx
    cpo: TenantCtx
    reseller: TenantCtx  # RESELLER model: bills its sub-CPO itself
    sub: TenantCtx  # the reseller's sub-CPO
    affiliate: TenantCtx  # AFFILIATE model: earns commission
    affiliated: TenantCtx  # the affiliate's sub-CPO, billed directly
    stations: dict[str, int]  # by tenant role

    @property
    def ids(self) -> set[int]:
        return {self.cpo.id, self.reseller.id, self.sub.id, self.affiliate.id, self.affiliated.id}


async def product_id(code: ProductCode) -> int:
    await ensure_catalogue()
    product = await product_by_code(code)
    assert product is not None
    return int(product["id"])


async def roaming_cdr(tenant_id: int, at: datetime, net: str, currency: str) -> None:
    """A billable CDR of a roaming partner's driver (net amount as given; a negative one is a credit)."""
    session = ChargingSession(tenant=tenant_id, id_tag="ROAM01", started_at=at, stopped_at=at + timedelta(hours=1),
                              status="STOPPED")  # fmt: skip
    await session.save()
    amount = Decimal(net)
    partner = Partner(tenant=tenant_id, kind="PLATFORM", name="Billing test platform", state="REGISTERED")
    await partner.save()  # its own: another test's partner (the demo EMP's) must not see these CDRs
    await Cdr(tenant=tenant_id, session=session.id, start_date_time=at, end_date_time=at + timedelta(hours=1),
              currency=currency, vat_rate=Decimal(19), total_cost_excl_vat=amount,
              total_vat=(amount * Decimal("0.19")).quantize(Decimal("0.01")), total_cost_incl_vat=amount,
              billable=True, roaming_partner_id=partner.id, credit=amount < 0).save()  # fmt: skip


async def installation(month: Month, unique: str) -> Installation:
    """Everyone above; eOperate AC on every station from before ``month``, 360.SUPPORT on the CPO's station from
    the 20th of ``month``; the affiliated sub-CPO's roaming revenue in ``month``: EUR 100.00 + 23.45 and CHF 10.25;
    and EUR 50.00 in the month after (not this month's)."""
    hub = await make_tenant(kind="HUB")
    cpo = await make_tenant()
    reseller = await make_tenant(kind="RESELLER")
    sub = await make_tenant(parent_id=reseller.id)
    affiliate = await make_tenant(kind="RESELLER")
    affiliated = await make_tenant(parent_id=affiliate.id)
    await Tenant.update({Tenant.reseller_model: "AFFILIATE"}).where(Tenant.id == affiliate.id)
    for n, ctx in enumerate((cpo, reseller, sub, affiliate, affiliated)):
        await Tenant.update({Tenant.debtor_number: f"D-{unique}-{n}"}).where(Tenant.id == ctx.id)
    stations: dict[str, int] = {}
    start, end = month.bounds(BERLIN)
    ac = await product_id(ProductCode.EOPERATE_AC)
    for role, ctx in (("cpo", cpo), ("sub", sub), ("affiliated", affiliated)):
        site = await make_site(ctx, f"{role}-{unique}")
        stations[role] = int(site.station["id"])
        await assignments.assign(ctx.actor, ac, [stations[role]], at=start - timedelta(days=40))
    support = await product_id(ProductCode.SUPPORT_360)
    await assignments.assign(cpo.actor, support, [stations["cpo"]], at=start + timedelta(days=19))
    for net, currency in (("100.00", "EUR"), ("23.45", "EUR"), ("10.25", "CHF")):
        await roaming_cdr(affiliated.id, start + timedelta(days=3), net, currency)
    await roaming_cdr(affiliated.id, end + timedelta(hours=1), "50.00", "EUR")
    return Installation(hub, cpo, reseller, sub, affiliate, affiliated, stations)


LINE_FIELDS = ("tenant", "concerns", "kind", "station", "product_code", "quantity_days", "net_cents", "vat_rate",
               "vat_cents", "gross_cents", "currency", "basis_cents")  # fmt: skip


async def lines_of(setup: Installation, month: Month) -> list[tuple[Any, ...]]:
    """The month's lines billed to the installation's tenants, as comparable tuples."""
    rows = await InvoiceLine.select().where(
        (InvoiceLine.run.period == month.period) & InvoiceLine.tenant.is_in(sorted(setup.ids))
    )  # fmt: skip
    return sorted(tuple(row[name] for name in LINE_FIELDS) for row in rows)


def at_utc(year: int, month: int, day: int, hour: int = 12) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)
