"""core.access.driver_groups pure rules: tariff mode per kind, scope targets, how a session's CDR is priced."""

from __future__ import annotations

import pytest

from core.access.driver_groups import FREE_REMARK, check_terms, session_pricing, session_terms
from core.errors import ValidationError


def test_cards_only_groups_can_only_document() -> None:
    assert check_terms("CARDS_ONLY", 7, "", "ALL", []) == ("DOCUMENT", [])
    assert check_terms("CARDS_ONLY", 7, "DOCUMENT", "ALL", []) == ("DOCUMENT", [])
    with pytest.raises(ValidationError) as refused:
        check_terms("CARDS_ONLY", 7, "BILLED", "ALL", [])
    assert "only document" in str(refused.value.errors["tariff_mode"])


def test_other_kinds_say_how_the_tariff_is_used() -> None:
    assert check_terms("DRIVERS_VEHICLES", 7, "BILLED", "ALL", []) == ("BILLED", [])
    assert check_terms("DRIVERS_VEHICLES", 7, "DOCUMENT", "ALL", []) == ("DOCUMENT", [])
    with pytest.raises(ValidationError) as refused:
        check_terms("DRIVERS_VEHICLES", 7, "", "ALL", [])
    assert set(refused.value.errors) == {"tariff_mode"}
    # Without a tariff there is nothing to use: the mode is dropped.
    assert check_terms("DRIVERS_VEHICLES", None, "BILLED", "ALL", []) == ("", [])


def test_scope_targets() -> None:
    assert check_terms("CARDS_ONLY", None, "", "CHOSEN", [3, 1, 3]) == ("", [1, 3])
    assert check_terms("CARDS_ONLY", None, "", "ALL", [3]) == ("", [])  # the whole infrastructure needs none
    with pytest.raises(ValidationError) as refused:
        check_terms("DRIVERS_VEHICLES", 7, "", "CHOSEN", [])
    assert set(refused.value.errors) == {"tariff_mode", "location_ids"}  # every wrong field at once


def test_session_pricing_from_the_terms_recorded_at_start() -> None:
    no_group = session_pricing({"driver_group": None})
    assert no_group.use_charge_point_tariff and no_group.billable and no_group.tariff_id is None
    documented = session_pricing({"driver_group": 4, "driver_group_tariff": 9, "driver_group_tariff_mode": "DOCUMENT"})
    assert (documented.tariff_id, documented.use_charge_point_tariff, documented.billable) == (9, False, False)
    billed = session_pricing({"driver_group": 4, "driver_group_tariff": 9, "driver_group_tariff_mode": "BILLED"})
    assert (billed.tariff_id, billed.billable) == (9, True)
    free = session_pricing({"driver_group": 4, "driver_group_tariff": None, "driver_group_tariff_mode": ""})
    assert (free.tariff_id, free.use_charge_point_tariff, free.billable, free.remark) == (None, False, False,
                                                                                         FREE_REMARK)


def test_session_terms() -> None:
    assert session_terms(None) == {"driver_group": None, "driver_group_tariff": None, "driver_group_tariff_mode": ""}
    group = {"id": 4, "tariff": 9, "tariff_mode": "DOCUMENT"}
    assert session_terms(group) == {"driver_group": 4, "driver_group_tariff": 9, "driver_group_tariff_mode": "DOCUMENT"}
