"""The Roaming menu entry and sub-navigation: only the pages the user's tenant kind can use
(core.roaming.areas), each at its portal address."""

from __future__ import annotations

from core.roaming.areas import RoamingPage, landing_page, roaming_pages
from core.tenancy.actor import Actor
from core.tenancy.permissions import Permission

URLS = {
    RoamingPage.PARTNERS: "/roaming/partners",
    RoamingPage.CONTRACT_GROUPS: "/roaming/contract-groups",
    RoamingPage.SETTINGS: "/roaming/settings",
    RoamingPage.SETTLEMENT: "/roaming/settlement",
}


def roaming_subnav(actor: Actor) -> list[tuple[str, str]]:
    """(page, address) in menu order."""
    return [
        (page.value, URLS[page])
        for page in roaming_pages(actor.tenant_kind)
        if page != RoamingPage.SETTLEMENT or actor.can(Permission.SESSIONS_VIEW)
    ]


def roaming_landing(actor: Actor) -> str:
    return URLS[landing_page(actor.tenant_kind)]
