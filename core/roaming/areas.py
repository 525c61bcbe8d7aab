"""Which pages of the Roaming area a tenant can use, by its kind.

A CPO (or reseller) has no OCPI connection of its own: it decides who sees its stations (contract groups, the hub
switch) and sees the partners of the hub. An EMP tenant has its one connection; the hub operator its connections to
external platforms. Contract groups and the hub switch mean nothing to either.
"""

from __future__ import annotations

from enum import StrEnum

from core.tenancy.tenants import TenantKind


class RoamingPage(StrEnum):
    PARTNERS = "partners"
    CONTRACT_GROUPS = "contract_groups"
    SETTINGS = "settings"
    SETTLEMENT = "settlement"  # what each partner's drivers charged, per month (needs the charging data permission)


_CPO_PAGES = (RoamingPage.PARTNERS, RoamingPage.CONTRACT_GROUPS, RoamingPage.SETTINGS, RoamingPage.SETTLEMENT)
_PAGES: dict[str, tuple[RoamingPage, ...]] = {
    TenantKind.EMP: (RoamingPage.PARTNERS,),
    TenantKind.HUB: (RoamingPage.PARTNERS,),
}


def roaming_pages(tenant_kind: str) -> tuple[RoamingPage, ...]:
    """The pages in menu order."""
    return _PAGES.get(tenant_kind, _CPO_PAGES)


def landing_page(tenant_kind: str) -> RoamingPage:
    """Where the Roaming menu leads: a CPO to its contract groups (the partners page only lists the hub's), the
    others to their connections."""
    pages = roaming_pages(tenant_kind)
    return RoamingPage.CONTRACT_GROUPS if RoamingPage.CONTRACT_GROUPS in pages else pages[0]
