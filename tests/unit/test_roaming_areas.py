"""core.roaming.areas: the Roaming pages each tenant kind can use, and where its menu lands."""

from __future__ import annotations

from core.roaming.areas import RoamingPage, landing_page, roaming_pages

P, G, S, B = RoamingPage.PARTNERS, RoamingPage.CONTRACT_GROUPS, RoamingPage.SETTINGS, RoamingPage.SETTLEMENT


def test_emp_and_hub_tenants_have_only_their_connections() -> None:
    assert roaming_pages("EMP") == (P,) and landing_page("EMP") == P
    assert roaming_pages("HUB") == (P,) and landing_page("HUB") == P


def test_cpos_and_resellers_have_every_page_and_land_on_their_contract_groups() -> None:
    for kind in ("CPO", "RESELLER", ""):
        assert roaming_pages(kind) == (P, G, S, B)
        assert landing_page(kind) == G
