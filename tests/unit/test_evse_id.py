import pytest

from core.infrastructure.evse_id import InvalidEvseId, is_valid_evse_id, normalize_evse_id, operator_of, suggest_evse_id


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("DE*ISE*E12345*1", "DE*ISE*E12345*1"),
        ("de*ise*e12345*1", "DE*ISE*E12345*1"),
        ("DEISEE123451", "DE*ISE*E123451"),
        ("DE*ISEE12345*1", "DE*ISE*E12345*1"),
        (" AT*C4O*E1 ", "AT*C4O*E1"),
        ("CH*CCI*E22162", "CH*CCI*E22162"),
        ("DE*A1B*E" + "X" * 30, "DE*A1B*E" + "X" * 30),
    ],
)
def test_valid_ids_are_normalised(raw: str, expected: str) -> None:
    assert normalize_evse_id(raw) == expected
    assert is_valid_evse_id(raw)


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "DE",
        "D*ISE*E1",  # country has two letters
        "DE*IS*E1",  # operator id has three characters
        "DE*ISE*1234",  # the E is missing
        "DE*ISE*E",  # no outlet id
        "DE*ISE*E12345*",  # trailing separator
        "DE*ISE*E12**3",  # empty part
        "DE-ISE-E12345",  # wrong separator
        "DE*ISE*E" + "X" * 31,  # outlet id longer than 30
        "DE*IS?*E1",
        "12*ISE*E1",
    ],
)
def test_invalid_ids_are_refused(raw: str) -> None:
    assert not is_valid_evse_id(raw)
    with pytest.raises(InvalidEvseId):
        normalize_evse_id(raw)


def test_operator_and_suggestion() -> None:
    assert operator_of("DE*ISE*E12345*1") == ("DE", "ISE")
    assert suggest_evse_id("DE", "ISE", "demo-ac-001", 2) == "DE*ISE*EDEMOAC001*2"
