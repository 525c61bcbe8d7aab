"""The marketing switches' rules (core.roaming.marketing): gating by the readiness checklist, name validation."""

from __future__ import annotations

from dataclasses import replace

import pytest

from core.errors import ValidationError
from core.roaming.marketing import (
    PLATFORM_NAME_MAX,
    Marketing,
    clean_platform_name,
    gate,
    parse_marketing,
    readiness,
)

OFF = Marketing(
    access_type="PUBLIC_PAID", show_as_poi=True, marketing=True, roaming=False, roaming_plus=False,
    direct_payment=False, platform_name="", auth_local_rfid=True, auth_remote=True,
)  # fmt: skip
ON = replace(OFF, roaming=True, roaming_plus=True, direct_payment=True, platform_name="Demo Company Altstadt")


def test_everything_may_go_on_when_nothing_is_missing() -> None:
    assert gate(ON, OFF, []) == ON


@pytest.mark.parametrize("switch", ["roaming", "roaming_plus"])
def test_roaming_switches_stay_off_while_an_item_is_missing(switch: str) -> None:
    with pytest.raises(ValidationError) as exc:
        gate(replace(OFF, **{switch: True}, platform_name="x"), OFF, ["coordinates"])
    assert set(exc.value.errors) == {switch}


def test_a_switch_already_on_is_kept_when_an_item_goes_missing_later() -> None:
    assert gate(ON, ON, ["hotline"]) == ON


def test_roaming_plus_needs_the_platform_name() -> None:
    with pytest.raises(ValidationError) as exc:
        gate(replace(OFF, roaming_plus=True), OFF, [])
    assert set(exc.value.errors) == {"platform_name"}


def test_direct_payment_needs_remote_authorisation() -> None:
    with pytest.raises(ValidationError) as exc:
        gate(replace(OFF, direct_payment=True, auth_remote=False), OFF, [])
    assert set(exc.value.errors) == {"direct_payment"}


@pytest.mark.parametrize("change", [{"marketing": False}, {"access_type": "PRIVATE"}])
def test_marketing_off_or_private_access_switches_everything_off(change: dict[str, object]) -> None:
    saved = gate(replace(ON, **change), ON, ["hotline"])  # also when items are missing: switching off always works
    assert (saved.roaming, saved.roaming_plus, saved.direct_payment) == (False, False, False)


def test_readiness_adds_own_operator_and_remote_authorisation() -> None:
    cps = [
        {"id": 1, "evse_id": "DE*ISE*E1*1", "auth_remote": True, "decommissioned_at": None},
        {"id": 2, "evse_id": "DE*XYZ*E1*2", "auth_remote": False, "decommissioned_at": None},
        {"id": 3, "evse_id": None, "auth_remote": False, "decommissioned_at": "gone"},  # does not count
    ]
    checks = {key: ok for key, _, ok in readiness([("evse_id", "EVSE-ID", True)], cps, "DE", "ISE")}
    assert checks == {"evse_id": True, "evse_own_operator": False, "remote_auth": False}
    checks = {key: ok for key, _, ok in readiness([], cps[:1], "DE", "ISE")}
    assert checks == {"evse_own_operator": True, "remote_auth": True}
    assert {key: ok for key, _, ok in readiness([], [], "DE", "ISE")} == {"evse_own_operator": False,
                                                                          "remote_auth": False}  # fmt: skip


def test_platform_name_is_trimmed_bounded_and_printable() -> None:
    def name(text: str) -> str:
        return parse_marketing({"access_type": "PUBLIC_PAID", "platform_name": text}).platform_name

    assert clean_platform_name("  Demo   Company \t Altstadt ") == "Demo Company Altstadt"
    assert name("x" * PLATFORM_NAME_MAX) == "x" * PLATFORM_NAME_MAX
    for bad in ("x" * (PLATFORM_NAME_MAX + 1), "Demo\u200bCompany"):  # too long; an invisible character
        with pytest.raises(ValidationError) as exc:
            name(bad)
        assert set(exc.value.errors) == {"platform_name"}


def test_form_values_become_switches() -> None:
    parsed = parse_marketing({"access_type": "PUBLIC_FREE", "marketing": "on", "roaming": "on", "platform_name": "A"})
    assert parsed.marketing and parsed.roaming and not parsed.roaming_plus and not parsed.show_as_poi
    with pytest.raises(ValidationError) as exc:
        parse_marketing({"access_type": "SOMEWHERE"})
    assert set(exc.value.errors) == {"access_type"}
