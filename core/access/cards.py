"""Charging cards (Ladekarten): RFID id tags of a tenant, checked by core.charging.authorization."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from enum import StrEnum
from typing import Any

from core.access.tables import ChargingCard
from core.db import transaction
from core.errors import Message, NotFound, ValidationError
from core.tenancy import audit
from core.tenancy.actor import Actor
from core.tenancy.permissions import Permission
from core.validation import Field, FormSpec


class CardStatus(StrEnum):
    ACTIVE = "ACTIVE"
    BLOCKED = "BLOCKED"


_SEPARATORS = re.compile(r"[\s:\-]")
_HEX = re.compile(r"^[0-9A-F]{1,20}$")


def normalize_uid(value: str) -> str:
    """RFID uids arrive as ``04:a2:...``, ``04 A2 ...`` or ``04a2...``; stored and compared as uppercase hex.

    An id tag that is not hex (some stations send free text) is kept uppercase so that it still matches.
    """
    return _SEPARATORS.sub("", value or "").upper()[:20]


def _check_uid(value: str) -> Message | None:
    if not _HEX.match(normalize_uid(value)):
        return Message("Enter the card uid as hexadecimal digits (at most 20).")
    return None


def parse_valid_until(value: str) -> datetime | None:
    """A date means valid through the end of that day (UTC); an ISO timestamp is taken as is."""
    text = (value or "").strip()
    if not text:
        return None
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time.max, tzinfo=UTC)
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _check_valid_until(value: str) -> Message | None:
    if value and parse_valid_until(value) is None:
        return Message("Enter a date as YYYY-MM-DD.")
    return None


CARD_SPEC = FormSpec(
    "card",
    (
        Field("uid", required=True, max_length=40, checks=(_check_uid,), label="Card uid (RFID, hex)"),
        Field("label", max_length=120, label="Label"),
        Field("visual_number", max_length=64, label="Printed number"),
        Field("status", kind="choice", choices=tuple(CardStatus), default=CardStatus.ACTIVE.value, label="Status"),
        Field("valid_until", max_length=32, checks=(_check_valid_until,), label="Valid until"),
        Field("owner_note", kind="text", max_length=500, label="Owner note"),
    ),
)


async def list_cards(actor: Actor, *, limit: int = 500, search: str = "") -> list[dict[str, Any]]:
    actor.require(Permission.CARDS_VIEW)
    query = ChargingCard.select(
        *ChargingCard.all_columns(), ChargingCard.driver_group.name.as_alias("driver_group_name")
    ).where(ChargingCard.tenant.is_in(actor.scope))
    if search:
        uid = normalize_uid(search)
        query = query.where((ChargingCard.uid.like(f"{uid}%")) | (ChargingCard.label.ilike(f"%{search.strip()}%")))
    return await query.order_by(ChargingCard.uid).limit(limit)


async def get_card(actor: Actor, card_id: int) -> dict[str, Any]:
    actor.require(Permission.CARDS_VIEW)
    row = (
        await ChargingCard.select().where((ChargingCard.id == card_id) & ChargingCard.tenant.is_in(actor.scope)).first()
    )
    if row is None:
        raise NotFound("card")
    return row


async def create_card(actor: Actor, raw: dict[str, Any]) -> dict[str, Any]:
    actor.require(Permission.CARDS_MANAGE)
    actor.require(Permission.CARDS_VIEW)  # the answer is the card, owner note included
    data = CARD_SPEC.parse(raw)
    data["uid"] = normalize_uid(data["uid"])
    data["valid_until"] = parse_valid_until(data.get("valid_until") or "")
    tenant_id = actor.tenant_id
    async with transaction():
        if await ChargingCard.exists().where((ChargingCard.tenant == tenant_id) & (ChargingCard.uid == data["uid"])):
            raise ValidationError({"uid": Message("A card with this uid exists.")})
        card = ChargingCard(tenant=tenant_id, **data)
        await card.save()
        await audit.record(actor, tenant_id, "card", card.id, "create", audit.diff({}, data))
    return await get_card(actor, card.id)
