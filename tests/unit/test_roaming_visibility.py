"""The visibility rule of core.roaming.visibility, every combination of its facts."""

from __future__ import annotations

import itertools

import pytest

from core.roaming.visibility import PartnerKind, PartnerRef, VisibilityFacts, is_visible

FLAGS = ("hub_enabled", "hub_authorised", "in_enabled_contract_group", "roaming", "roaming_plus", "published",
         "roaming_product")  # fmt: skip
COMBINATIONS = list(itertools.product((False, True), repeat=len(FLAGS)))


def _facts(kind: PartnerKind, values: tuple[bool, ...]) -> VisibilityFacts:
    return VisibilityFacts(partner_kind=kind, **dict(zip(FLAGS, values, strict=True)))


@pytest.mark.parametrize("values", COMBINATIONS, ids=lambda v: "".join("1" if x else "0" for x in v))
def test_emp_tenant_sees_only_with_every_condition(values: tuple[bool, ...]) -> None:
    facts = _facts(PartnerKind.EMP_TENANT, values)
    needed = dict(zip(FLAGS, values, strict=True))
    # Roaming+ is irrelevant for an EMP tenant of the hub; each of the six others is necessary.
    expected = all(needed[k] for k in ("hub_enabled", "hub_authorised", "in_enabled_contract_group", "roaming",
                                       "published", "roaming_product"))  # fmt: skip
    assert is_visible(facts) is expected


@pytest.mark.parametrize("values", COMBINATIONS, ids=lambda v: "".join("1" if x else "0" for x in v))
def test_platform_sees_roaming_plus_stations_with_a_roaming_product_only(values: tuple[bool, ...]) -> None:
    facts = _facts(PartnerKind.PLATFORM, values)
    needed = dict(zip(FLAGS, values, strict=True))
    assert is_visible(facts) is (needed["roaming_plus"] and needed["published"] and needed["roaming_product"])


def test_one_missing_condition_hides_the_charge_point() -> None:
    everything = dict.fromkeys(FLAGS, True)
    assert is_visible(VisibilityFacts(partner_kind=PartnerKind.EMP_TENANT, **everything))
    for flag in (
        "hub_enabled",
        "hub_authorised",
        "in_enabled_contract_group",
        "roaming",
        "published",
        "roaming_product",
    ):
        facts = VisibilityFacts(partner_kind=PartnerKind.EMP_TENANT, **{**everything, flag: False})
        assert not is_visible(facts), flag


def test_partner_names_its_tenant_exactly_when_it_is_an_emp_tenant() -> None:
    PartnerRef(PartnerKind.EMP_TENANT, emp_tenant_id=3)
    PartnerRef(PartnerKind.PLATFORM)
    with pytest.raises(ValueError):
        PartnerRef(PartnerKind.EMP_TENANT)
    with pytest.raises(ValueError):
        PartnerRef(PartnerKind.PLATFORM, emp_tenant_id=3)
