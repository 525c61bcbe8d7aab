"""EVSE-ID syntax (ISO 15118-2 Annex H / eMI3): ``DE*ISE*E12345*1``.

Country code (2 letters), operator id (3 alphanumerics), the type letter ``E`` and a power
outlet id (1-30 alphanumerics and ``*``). The separators ``*`` between the first three
parts are optional on input; the normalised form always has them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from core.errors import Message

_EVSE_ID = re.compile(r"^(?P<country>[A-Z]{2})\*?(?P<operator>[A-Z0-9]{3})\*?E(?P<outlet>[A-Z0-9][A-Z0-9*]{0,29})$")
MAX_LENGTH = 48  # OCPI EVSE.evse_id


class InvalidEvseId(ValueError):
    pass


def normalize_evse_id(raw: str) -> str:
    """Return the canonical ``CC*OOO*E...`` form or raise InvalidEvseId."""
    text = raw.strip().upper().replace(" ", "")
    match = _EVSE_ID.match(text)
    if match is None or text.endswith("*") or "**" in text:
        raise InvalidEvseId(raw)
    normalised = f"{match['country']}*{match['operator']}*E{match['outlet']}"
    if len(normalised) > MAX_LENGTH:
        raise InvalidEvseId(raw)
    return normalised


def compact_evse_id(raw: str) -> str:
    """An EVSE-ID as a person may type it, reduced for comparison: upper case, without ``*``, ``-``, ``.``,
    ``_`` and spaces (``de ise e12345 1`` and ``DE*ISE*E12345*1`` are the same charge point)."""
    return re.sub(r"[\s*._-]", "", raw).upper()


def is_valid_evse_id(raw: str) -> bool:
    try:
        normalize_evse_id(raw)
    except InvalidEvseId:
        return False
    return True


def operator_of(evse_id: str) -> tuple[str, str]:
    """(country code, operator id) of a normalised EVSE-ID."""
    country, operator, _ = evse_id.split("*", 2)
    return country, operator


def suggest_evse_id(country_code: str, party_id: str, station_number: str, evse_number: int) -> str:
    """A syntactically valid EVSE-ID for a new charge point of a tenant."""
    local = re.sub(r"[^A-Z0-9]", "", station_number.upper())[:20] or "0"
    return normalize_evse_id(f"{country_code}*{party_id}*E{local}*{evse_number}")


def evse_id_is_own(evse_id: str | None, tenant: Mapping[str, Any]) -> bool:
    """Whether the EVSE-ID carries the tenant's own operator id (``country_code`` and ``party_id`` of its row).

    Roaming publishes only such charge points: an EVSE-ID is the operator's (ISO 15118-2 Annex H), and an OCPI
    partner refuses one that names another operator. No EVSE-ID, or a tenant without a party id, is never own.
    """
    party_id = str(tenant.get("party_id") or "").upper()
    if not evse_id or not party_id or not is_valid_evse_id(evse_id):
        return False
    return operator_of(normalize_evse_id(evse_id)) == (str(tenant.get("country_code") or "").upper(), party_id)


def foreign_operator_warning(evse_id: str | None, tenant: Mapping[str, Any]) -> Message | None:
    """What to tell staff who save an EVSE-ID that is not their own (it is saved all the same: it may be a
    charge point they run for another operator, but roaming will not publish it)."""
    if not evse_id or not is_valid_evse_id(evse_id) or evse_id_is_own(evse_id, tenant):
        return None
    if not tenant.get("party_id"):
        return Message(
            "Your company has no operator id (party id) yet, so the EVSE-ID %(evse_id)s cannot be checked: "
            "roaming needs EVSE-IDs with your own operator id.",
            {"evse_id": evse_id},
        )
    country, operator = operator_of(normalize_evse_id(evse_id))
    return Message(
        "The EVSE-ID %(evse_id)s names the operator %(theirs)s, not your operator id %(ours)s: roaming partners "
        "will not receive this charge point.",
        {
            "evse_id": evse_id,
            "theirs": f"{country}*{operator}",
            "ours": f"{tenant.get('country_code')}*{tenant['party_id']}",
        },
    )
