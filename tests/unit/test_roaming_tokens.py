"""core.roaming.tokens: the Token object's rules for a CPO receiver (OCPI 2.2.1 mod_tokens)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from core.errors import ValidationError
from core.roaming.tokens import TokenAddress, may_push_for, parse_datetime, parse_token

EXAMPLES = Path(__file__).resolve().parents[3] / "shared/spec/ocpi-2.2.1/examples"


def example(name: str) -> dict[str, Any]:
    path = EXAMPLES / name
    if not path.exists():  # the spec copy sits beside the repository; the same object written out otherwise
        return {"country_code": "NL", "party_id": "TNM", "uid": "012345678", "type": "RFID",
                "contract_id": "NL8ACC12E46L89", "visual_number": "DF000-2001-8999-1", "issuer": "TheNewMotion",
                "group_id": "DF000-2001-8999", "valid": True, "whitelist": "ALWAYS",
                "last_updated": "2015-06-29T22:39:09Z"}  # fmt: skip
    return dict(json.loads(path.read_text()))


NL_TNM = TokenAddress.of("NL", "TNM", "012345678", None)


def errors_of(body: Any, address: TokenAddress = NL_TNM, partial: bool = False) -> set[str]:
    with pytest.raises(ValidationError) as caught:
        parse_token(body, address, partial=partial)
    return set(caught.value.errors)


def test_the_specifications_put_example_parses() -> None:
    values = parse_token(example("token_put_example.json"), NL_TNM)
    assert values["contract_id"] == "NL8ACC12E46L89"
    assert values["whitelist"] == "ALWAYS" and values["valid"] is True
    assert values["last_updated"].isoformat() == "2015-06-29T22:39:09+00:00"


def test_the_specifications_patch_example_parses_as_a_patch_only() -> None:
    body = {"valid": False, "last_updated": "2019-06-19T02:11:11Z"}
    assert parse_token(body, NL_TNM, partial=True)["valid"] is False
    assert errors_of(body) >= {"uid", "contract_id", "issuer", "whitelist", "type"}


def test_a_patch_without_last_updated_is_refused() -> None:
    assert errors_of({"valid": False}, partial=True) == {"last_updated"}
    assert errors_of({"valid": False, "last_updated": "yesterday"}, partial=True) == {"last_updated"}


def test_the_body_must_match_the_url() -> None:
    body = example("token_put_example.json")
    assert errors_of({**body, "uid": "OTHER"}) == {"uid"}
    assert errors_of({**body, "party_id": "XYZ"}) == {"party_id"}
    assert errors_of({**body, "type": "APP_USER"}) == {"type"}
    assert errors_of(body, TokenAddress.of("NL", "TNM", "012345678", "APP_USER")) == {"type"}
    # CiString: the case does not matter
    assert parse_token({**body, "party_id": "tnm", "uid": "012345678"}, NL_TNM)["party_id"] == "tnm"


def test_field_rules() -> None:
    body = example("token_put_example.json")
    assert errors_of({**body, "whitelist": "SOMETIMES"}) == {"whitelist"}
    assert errors_of({**body, "valid": "yes"}) == {"valid"}
    assert errors_of({**body, "contract_id": "x" * 37}) == {"contract_id"}
    assert errors_of({**body, "issuer": 5}) == {"issuer"}
    assert errors_of({**body, "default_profile_type": "TURBO"}) == {"default_profile_type"}
    assert errors_of({**body, "energy_contract": {"contract_id": "1"}}) == {"energy_contract"}
    assert errors_of([body]) == {"body"}
    ok = parse_token({**body, "energy_contract": {"supplier_name": "Stadtwerke"}, "default_profile_type": "GREEN",
                      "language": "de"}, NL_TNM)  # fmt: skip
    assert ok["energy_contract"] == {"supplier_name": "Stadtwerke"} and ok["default_profile_type"] == "GREEN"


@pytest.mark.parametrize("uid", ["DE8ACC1234567-8", "049F4E8A2B6C80", "app-user:42/ä"[:11], "a b"])
def test_token_uids_are_what_the_emp_sends_not_only_hex(uid: str) -> None:
    address = TokenAddress.of("DE", "EMP", uid, "APP_USER")
    assert address.uid == uid
    assert address.key(7) == f"7|DE|EMP|APP_USER|{uid.upper()}"


@pytest.mark.parametrize(("country", "party", "uid", "type_", "field"), [
    ("DEU", "EMP", "1", None, "country_code"),
    ("DE", "EMPX", "1", None, "party_id"),
    ("DE", "EMP", "x" * 37, None, "uid"),
    ("DE", "EMP", "tab\there", None, "uid"),
    ("DE", "EMP", "1", "CARD", "type"),
])  # fmt: skip
def test_bad_addresses(country: str, party: str, uid: str, type_: str | None, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        TokenAddress.of(country, party, uid, type_)
    assert set(caught.value.errors) == {field}


def test_datetimes_without_offset_are_utc() -> None:
    assert parse_datetime("2019-06-19T02:11:11").isoformat() == "2019-06-19T02:11:11+00:00"  # type: ignore[union-attr]
    assert parse_datetime("2019-06-19T02:11:11.5+02:00").isoformat() == "2019-06-19T02:11:11.500000+02:00"  # type: ignore[union-attr]
    assert parse_datetime(20190619) is None


def test_which_parties_a_partner_speaks_for() -> None:
    emp = {"kind": "EMP", "roles": [{"role": "EMSP", "country_code": "DE", "party_id": "EMQ"},
                                    {"role": "CPO", "country_code": "DE", "party_id": "CPQ"}]}  # fmt: skip
    assert may_push_for(emp, "de", "emq")
    assert not may_push_for(emp, "DE", "CPQ")  # a CPO role is not an eMSP
    assert not may_push_for(emp, "NL", "TNM")
    assert may_push_for({"kind": "PLATFORM", "roles": []}, "NL", "TNM")  # a hub speaks for the eMSPs behind it
