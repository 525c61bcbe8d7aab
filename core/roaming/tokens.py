"""Partners' tokens (OCPI 2.2.1 mod_tokens, csms as the CPO receiver): the EMP pushes its drivers' tokens, csms keeps
them per partner and checks them when a station asks to authorise an id tag (issue 14).

The rules of the Token object live here (required fields, enums, lengths, the URL and body agreeing, PATCH needing
``last_updated``, which parties a partner may push tokens for); hub/tokens.py only frames them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from core import bulk
from core.errors import Message, ValidationError
from core.roaming.tables import PartnerToken


class TokenType(StrEnum):
    AD_HOC_USER = "AD_HOC_USER"
    APP_USER = "APP_USER"
    OTHER = "OTHER"
    RFID = "RFID"


class WhitelistType(StrEnum):
    ALWAYS = "ALWAYS"
    ALLOWED = "ALLOWED"
    ALLOWED_OFFLINE = "ALLOWED_OFFLINE"
    NEVER = "NEVER"


PROFILE_TYPES = frozenset({"CHEAP", "FAST", "GREEN", "REGULAR"})

# field -> (max length, required in a PUT); CiString/string lengths of the Token object
_STRINGS: dict[str, tuple[int, bool]] = {
    "country_code": (2, True),
    "party_id": (3, True),
    "uid": (36, True),
    "contract_id": (36, True),
    "visual_number": (64, False),
    "issuer": (64, True),
    "group_id": (36, False),
    "language": (2, False),
}
_CI = frozenset({"country_code", "party_id", "uid", "contract_id", "group_id"})  # CiString: printable ASCII


@dataclass(frozen=True)
class TokenAddress:
    """What the URL names: ``/tokens/{country_code}/{party_id}/{uid}[?type=]`` (type RFID when omitted)."""

    country_code: str
    party_id: str
    uid: str
    type: str = TokenType.RFID

    @classmethod
    def of(cls, country_code: str, party_id: str, uid: str, type_: str | None) -> TokenAddress:
        address = cls(country_code.strip(), party_id.strip(), uid.strip(), (type_ or TokenType.RFID).strip().upper())
        errors = {}
        if len(address.country_code) != 2 or not address.country_code.isalpha():
            errors["country_code"] = Message("The country code in the URL must be two letters.")
        if not 1 <= len(address.party_id) <= 3 or not address.party_id.isalnum():
            errors["party_id"] = Message("The party id in the URL must be one to three letters or digits.")
        if not _is_cistring(address.uid, 36):
            errors["uid"] = Message("The token uid in the URL must be 1 to 36 printable ASCII characters.")
        if address.type not in TokenType.__members__:
            errors["type"] = Message("Unknown token type {value}.", {"value": address.type[:20]})
        if errors:
            raise ValidationError(errors)
        return address

    def key(self, partner_id: int) -> str:
        return f"{partner_id}|{self.country_code.upper()}|{self.party_id.upper()}|{self.type}|{self.uid.upper()}"


def _is_cistring(value: str, length: int) -> bool:
    # Printable ASCII (" " to "~"), checked in C: a PUT checks five of these, a million PUTs five million.
    return 1 <= len(value) <= length and value.isascii() and value.isprintable()


def parse_datetime(value: Any) -> datetime | None:
    """An OCPI DateTime (RFC 3339; without an offset it is UTC, as OCPI's timestamps are); None if it is not one."""
    if not isinstance(value, str) or not value or len(value) > 40:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _field_errors(body: dict[str, Any], partial: bool) -> dict[str, Message]:  # noqa: C901 - one check per field
    errors: dict[str, Message] = {}
    for name, (length, required) in _STRINGS.items():
        if name not in body or body[name] is None:
            if required and not partial:
                errors[name] = Message("{field} is missing.", {"field": name})
            continue
        value = body[name]
        ok = isinstance(value, str) and (_is_cistring(value, length) if name in _CI else len(value) <= length)
        if not ok:
            errors[name] = Message("{field} must be a text of at most {length} characters.",
                                   {"field": name, "length": length})  # fmt: skip
    for name, allowed in (("type", TokenType.__members__), ("whitelist", WhitelistType.__members__)):
        if name not in body or body[name] is None:
            if not partial:
                errors[name] = Message("{field} is missing.", {"field": name})
        elif body[name] not in allowed:
            errors[name] = Message("{field} has an unknown value.", {"field": name})
    if "valid" in body and not isinstance(body["valid"], bool) or ("valid" not in body and not partial):
        errors["valid"] = Message("valid must be true or false.")
    if body.get("default_profile_type") is not None and body["default_profile_type"] not in PROFILE_TYPES:
        errors["default_profile_type"] = Message("default_profile_type has an unknown value.")
    contract = body.get("energy_contract")
    if contract is not None and not (
        isinstance(contract, dict)
        and isinstance(contract.get("supplier_name"), str)
        and 0 < len(contract["supplier_name"]) <= 64
        and (contract.get("contract_id") is None or
             (isinstance(contract["contract_id"], str) and len(contract["contract_id"]) <= 64))
    ):  # fmt: skip
        errors["energy_contract"] = Message("energy_contract needs a supplier_name (at most 64 characters).")
    if parse_datetime(body.get("last_updated")) is None:
        # A PATCH too: OCPI requires last_updated in every PATCH (status 2001 without it).
        errors["last_updated"] = Message("last_updated is missing or not a date and time.")
    return errors


def _matches_url(body: dict[str, Any], address: TokenAddress) -> dict[str, Message]:
    wanted = {"country_code": address.country_code, "party_id": address.party_id, "uid": address.uid,
              "type": address.type}  # fmt: skip
    return {
        name: Message("{field} in the body does not match the URL.", {"field": name})
        for name, value in wanted.items()
        if isinstance(body.get(name), str) and body[name].upper() != value.upper()
    }


def parse_token(body: Any, address: TokenAddress, *, partial: bool = False) -> dict[str, Any]:
    """The row values of a pushed Token (PUT: the whole object; PATCH, ``partial``: the fields sent). Raises
    ValidationError (OCPI 2001) for a body that is not a valid Token or does not match the URL."""
    if not isinstance(body, dict):
        raise ValidationError({"body": Message("The body must be a Token object.")})
    errors = _field_errors(body, partial) | _matches_url(body, address)
    if errors:
        raise ValidationError(errors)
    values: dict[str, Any] = {}
    for name in (*_STRINGS, "type", "whitelist", "default_profile_type"):
        if name in body:
            values[name] = body[name] if body[name] is not None else ""
    for name in ("valid", "energy_contract"):
        if name in body:
            values[name] = body[name]
    values["last_updated"] = parse_datetime(body["last_updated"])
    return values


def may_push_for(partner: dict[str, Any], country_code: str, party_id: str) -> bool:
    """Whether the partner speaks for the eMSP party (country_code, party_id): an EMP partner only for the EMSP roles
    it registered with; a platform (a roaming hub) for the eMSPs behind it."""
    if partner["kind"] != "EMP":
        return True
    party = (country_code.upper(), party_id.upper())
    return any(
        (str(role.get("country_code", "")).upper(), str(role.get("party_id", "")).upper()) == party
        and role.get("role") == "EMSP"
        for role in partner.get("roles") or []
    )


def _check_party(partner: dict[str, Any], address: TokenAddress) -> None:
    if not may_push_for(partner, address.country_code, address.party_id):
        raise ValidationError({"party_id": Message(
            "This connection does not speak for the eMSP {country_code}/{party_id}.",
            {"country_code": address.country_code.upper(), "party_id": address.party_id.upper()})})  # fmt: skip


async def stored_token(partner: dict[str, Any], address: TokenAddress) -> dict[str, Any] | None:
    _check_party(partner, address)
    return (
        await PartnerToken.select().where(PartnerToken.key == address.key(partner["id"])).output(load_json=True).first()
    )


async def put_token(partner: dict[str, Any], address: TokenAddress, body: Any) -> None:
    """Stores the pushed Token, new or replacing the stored one (an EMP may push millions): one parametrised
    statement, and the PUTs arriving within a few milliseconds share a transaction; it returns once committed."""
    _check_party(partner, address)
    values = parse_token(body, address)
    row = {**_defaults(), **values, "country_code": address.country_code.upper(),
           "party_id": address.party_id.upper(), "uid": address.uid, "type": address.type}  # fmt: skip
    contract = row["energy_contract"]
    row["energy_contract"] = None if contract is None else json.dumps(contract)
    key = address.key(partner["id"])
    received = datetime.now(UTC)
    await put_batcher.submit((partner["id"], key, address.uid.upper(), received, *(row[name] for name in _PUT_FIELDS)))


_PUT_FIELDS = ("country_code", "party_id", "uid", "type", "contract_id", "visual_number", "issuer", "group_id", "valid",
               "whitelist", "language", "default_profile_type", "energy_contract", "last_updated")  # fmt: skip
_PUT_COLUMNS = ("partner", "key", "uid_key", "received_at", *_PUT_FIELDS)
# A replaced token keeps its row (id, received_at); every field of the Token object is the pushed one.
_NAMES = ", ".join(f'"{name}"' for name in _PUT_COLUMNS)
_REPLACE = ", ".join(f'"{name}" = EXCLUDED."{name}"' for name in _PUT_FIELDS)
_UPSERT = (
    f'INSERT INTO "partner_token" ({_NAMES}) VALUES ({", ".join("{}" for _ in _PUT_COLUMNS)}) '  # noqa: S608
    f'ON CONFLICT ("key") DO UPDATE SET {_REPLACE}'
)


async def _write_puts(items: list[tuple[Any, ...]]) -> None:
    await bulk.execute_many(_UPSERT, items)


async def _write_put(item: tuple[Any, ...]) -> None:
    await bulk.execute(_UPSERT, *item)


put_batcher: bulk.GroupCommit[tuple[Any, ...]] = bulk.GroupCommit("token PUT", _write_puts, _write_put)


async def patch_token(partner: dict[str, Any], address: TokenAddress, body: Any) -> bool:
    """Applies the fields of a PATCH to the stored token; False when there is no such token."""
    _check_party(partner, address)
    values = parse_token(body, address, partial=True)
    for name in ("country_code", "party_id", "uid", "type"):  # they name the token; the URL already does
        values.pop(name, None)
    changed = (
        await PartnerToken.update(_columns(values))
        .where(PartnerToken.key == address.key(partner["id"]))
        .returning(PartnerToken.id)
    )
    return bool(changed)


def _defaults() -> dict[str, Any]:
    return {"visual_number": "", "group_id": "", "language": "", "default_profile_type": "", "energy_contract": None}


def _columns(values: dict[str, Any]) -> dict[Any, Any]:
    return {getattr(PartnerToken, name): value for name, value in values.items()}
