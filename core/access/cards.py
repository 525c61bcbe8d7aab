"""Charging cards (Ladekarten): RFID id tags of a tenant, checked by core.charging.authorization."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from enum import StrEnum
from typing import Any

from core.access import driver_groups
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


def _clean(raw: dict[str, Any]) -> dict[str, Any]:
    data = CARD_SPEC.parse(raw)
    data["uid"] = normalize_uid(data["uid"])
    data["valid_until"] = parse_valid_until(data.get("valid_until") or "")
    return data


async def _group_into(actor: Actor, value: Any, errors: dict[str, Message]) -> dict[str, Any] | None:
    """The driver group new cards join (core.access.driver_groups); its field error is added to ``errors``."""
    try:
        return await driver_groups.group_for_new_cards(actor, value)
    except ValidationError as exc:
        errors.update(exc.errors)
        return None


async def create_card(actor: Actor, raw: dict[str, Any], driver_group_id: Any = None) -> dict[str, Any]:
    """A card of the actor's tenant; with ``driver_group_id`` straight into that group (needs the right to manage
    driver groups; only the tenant's own active groups that hold cards)."""
    actor.require(Permission.CARDS_MANAGE)
    actor.require(Permission.CARDS_VIEW)  # the answer is the card, owner note included
    errors: dict[str, Message] = {}
    group = await _group_into(actor, driver_group_id, errors)
    try:
        data = _clean(raw)
    except ValidationError as exc:
        raise ValidationError({**exc.errors, **errors}) from None
    if errors:
        raise ValidationError(errors)
    tenant_id = actor.tenant_id
    async with transaction():
        if await ChargingCard.exists().where((ChargingCard.tenant == tenant_id) & (ChargingCard.uid == data["uid"])):
            raise ValidationError({"uid": Message("A card with this uid exists.")})
        card = ChargingCard(tenant=tenant_id, driver_group=group["id"] if group else None, **data)
        await card.save()
        changes = {**data, "driver_group": group["id"]} if group else data
        await audit.record(actor, tenant_id, "card", card.id, "create", audit.diff({}, changes))
        if group:
            await driver_groups.record_cards_joined(actor, group, [data["uid"]])
    return await get_card(actor, card.id)


# --- many cards at once -----------------------------------------------------------------------------------------

MAX_BULK_LINES = 1000
# The columns of a list with a header line (case, spaces and hyphens do not matter); without a header the values
# of a line are taken in the order of ``_POSITIONS``.
BULK_COLUMNS = {
    "uid": "uid", "rfid": "uid", "id_tag": "uid", "idtag": "uid",
    "label": "label", "name": "label", "bezeichnung": "label",
    "visual_number": "visual_number", "printed_number": "visual_number", "kartennummer": "visual_number",
    "status": "status",
    "valid_until": "valid_until", "gueltig_bis": "valid_until", "gültig_bis": "valid_until",
    "owner_note": "owner_note", "note": "owner_note", "notiz": "owner_note",
}  # fmt: skip
_POSITIONS = ("uid", "label", "visual_number", "status", "valid_until", "owner_note")
_DELIMITERS = (";", "\t", ",")


class BulkOutcome(StrEnum):
    CREATED = "CREATED"
    EXISTS = "EXISTS"  # a card of the tenant has the uid already: skipped, left as it is
    DUPLICATE = "DUPLICATE"  # the uid came earlier in the same list: skipped
    INVALID = "INVALID"  # the line breaks a rule of the card form: skipped


# Labels are msgids; the portal shows them translated.
OUTCOME_LABELS = {
    BulkOutcome.CREATED: "Created",
    BulkOutcome.EXISTS: "Skipped: the card exists",
    BulkOutcome.DUPLICATE: "Skipped: duplicate in the list",
    BulkOutcome.INVALID: "Skipped: invalid",
}
FIELD_LABELS = {f.name: f.label for f in CARD_SPEC.fields}


@dataclass(frozen=True)
class CardLine:
    line: int  # the line number in the pasted text or file
    values: dict[str, str]  # the card form's fields
    problem: Message | None = None  # the line cannot be split into the columns


@dataclass(frozen=True)
class LineResult:
    line: int
    uid: str  # normalised; as given when it is not a valid uid
    label: str
    outcome: BulkOutcome
    errors: dict[str, Message] = field(default_factory=dict)
    card: dict[str, Any] = field(default_factory=dict)  # the clean fields of a card to create


@dataclass(frozen=True)
class BulkResult:
    lines: list[LineResult]
    saved: bool  # False: only checked, nothing was created
    group: dict[str, Any] | None

    def count(self, outcome: BulkOutcome) -> int:
        return sum(1 for line in self.lines if line.outcome == outcome)


def _column(name: str) -> str:
    return BULK_COLUMNS.get(re.sub(r"[\s\-]+", "_", name.strip().lower()), "")


def read_card_list(text: str) -> list[CardLine]:
    """Lines of a pasted list or CSV file: one uid per line, or separated values (``;``, tab or ``,``: the one most
    lines hold). A first line that names a uid column is the header; an unknown or repeated column there refuses
    the whole list (field ``cards``). Every other problem belongs to its line."""
    raw_lines = [(number, line) for number, line in enumerate(text.lstrip("\ufeff").splitlines(), 1) if line.strip()]
    if not raw_lines:
        raise ValidationError({"cards": Message("Enter at least one card uid.")})
    first = raw_lines[0][1]
    # The separator is the one most lines hold; a plain list of uids has none.
    used = {d: sum(1 for _, line in raw_lines if d in line) for d in _DELIMITERS}
    delimiter = max(_DELIMITERS, key=lambda d: used[d]) if any(used.values()) else ""
    split = (lambda line: next(csv.reader([line], delimiter=delimiter))) if delimiter else (lambda line: [line])
    columns: list[str] = list(_POSITIONS)
    header = [cell.strip() for cell in split(first)]
    if any(_column(cell) == "uid" for cell in header):  # a header names the uid column (no uid is "uid")
        columns = [_column(cell) for cell in header]
        unknown = [cell for cell, name in zip(header, columns, strict=True) if not name]
        if unknown:
            raise ValidationError({"cards": Message("Unknown columns: %(columns)s", {"columns": ", ".join(unknown)})})
        if len(set(columns)) != len(columns):
            raise ValidationError({"cards": Message("A column appears twice in the header.")})
        raw_lines = raw_lines[1:]
    if len(raw_lines) > MAX_BULK_LINES:
        raise ValidationError({"cards": Message("At most %(max)s cards at once.", {"max": MAX_BULK_LINES})})
    if not raw_lines:
        raise ValidationError({"cards": Message("Enter at least one card uid.")})
    lines = []
    for number, line in raw_lines:
        cells = [cell.strip() for cell in split(line)]
        problem = None
        if len(cells) > len(columns):
            problem = Message("The line has %(found)s values, at most %(expected)s are known (check the separator).",
                              {"found": len(cells), "expected": len(columns)})  # fmt: skip
        lines.append(CardLine(number, {name: value for name, value in zip(columns, cells, strict=False) if value},
                              problem))  # fmt: skip
    return lines


def check_lines(lines: list[CardLine], existing: set[str]) -> list[LineResult]:
    """Each line's outcome: invalid, a duplicate of an earlier line, a card that ``existing`` holds, or new."""
    results: list[LineResult] = []
    first_line: dict[str, int] = {}
    for line in lines:
        given = line.values.get("uid", "")
        label = line.values.get("label", "")
        if line.problem is not None:
            results.append(LineResult(line.line, given, label, BulkOutcome.INVALID, {"__all__": line.problem}))
            continue
        try:
            data = _clean(line.values)
        except ValidationError as exc:
            results.append(LineResult(line.line, given, label, BulkOutcome.INVALID, dict(exc.errors)))
            continue
        uid = data["uid"]
        if uid in first_line:
            message = Message("The uid is on line %(line)s already.", {"line": first_line[uid]})
            results.append(LineResult(line.line, uid, label, BulkOutcome.DUPLICATE, {"uid": message}))
            continue
        first_line[uid] = line.line
        if uid in existing:
            message = Message("A card with this uid exists.")
            results.append(LineResult(line.line, uid, label, BulkOutcome.EXISTS, {"uid": message}))
            continue
        results.append(LineResult(line.line, uid, label, BulkOutcome.CREATED, card=data))
    return results


async def _existing_uids(tenant_id: int, uids: list[str]) -> set[str]:
    found: set[str] = set()
    for first in range(0, len(uids), 500):
        rows = await ChargingCard.select(ChargingCard.uid).where(
            (ChargingCard.tenant == tenant_id) & ChargingCard.uid.is_in(uids[first : first + 500])
        )
        found.update(row["uid"] for row in rows)
    return found


async def import_cards(actor: Actor, text: str, driver_group_id: Any = None, *, save: bool = True) -> BulkResult:
    """Many cards of the actor's tenant from a pasted list or CSV (``read_card_list``), optionally into a driver
    group. Every line gets its outcome; the new cards are written in one transaction, so either all new lines are
    created or (on a database error) none. Idempotent: the same list again creates nothing, it reports the cards
    as existing. ``save=False`` only reports what would happen."""
    actor.require(Permission.CARDS_MANAGE)
    actor.require(Permission.CARDS_VIEW)
    errors: dict[str, Message] = {}
    group = await _group_into(actor, driver_group_id, errors)
    try:
        lines = read_card_list(text)
    except ValidationError as exc:
        raise ValidationError({**exc.errors, **errors}) from None
    if errors:
        raise ValidationError(errors)
    tenant_id = actor.tenant_id
    uids = sorted({normalize_uid(line.values.get("uid", "")) for line in lines} - {""})
    async with transaction():
        results = check_lines(lines, await _existing_uids(tenant_id, uids))
        new = [result.card for result in results if result.outcome == BulkOutcome.CREATED]
        if save and new:
            await _insert(actor, new, group)
    return BulkResult(results, save, group)


async def create_cards(actor: Actor, rows: list[dict[str, Any]], driver_group_id: Any = None) -> list[dict[str, Any]]:
    """Many cards from structured rows (the REST API's bulk call), all or nothing, optionally into a driver group:
    the same rules as the list import (``check_lines``), but a row that is invalid, repeats an earlier row's uid or
    names an existing card refuses the whole call with each row's errors (``cards[<index>].<field>``, index from
    0). Returns the created cards in the order of ``rows``."""
    actor.require(Permission.CARDS_MANAGE)
    actor.require(Permission.CARDS_VIEW)
    errors: dict[str, Message] = {}
    group = await _group_into(actor, driver_group_id, errors)
    if not rows:
        errors["cards"] = Message("Enter at least one card uid.")
    elif len(rows) > MAX_BULK_LINES:
        errors["cards"] = Message("At most %(max)s cards at once.", {"max": MAX_BULK_LINES})
    if errors:
        raise ValidationError(errors)
    lines = [CardLine(index, {key: str(value) for key, value in row.items() if value is not None})
             for index, row in enumerate(rows)]  # fmt: skip
    tenant_id = actor.tenant_id
    uids = sorted({normalize_uid(line.values.get("uid", "")) for line in lines} - {""})
    async with transaction():
        results = check_lines(lines, await _existing_uids(tenant_id, uids))
        refused = {f"cards[{result.line}].{name}": message for result in results
                   if result.outcome != BulkOutcome.CREATED for name, message in result.errors.items()}  # fmt: skip
        if refused:
            raise ValidationError(refused)
        await _insert(actor, [result.card for result in results], group)
    created = {row["uid"]: row for row in await list_cards_by_uid(actor, [r.uid for r in results])}
    return [created[result.uid] for result in results]


async def list_cards_by_uid(actor: Actor, uids: list[str]) -> list[dict[str, Any]]:
    actor.require(Permission.CARDS_VIEW)
    found: list[dict[str, Any]] = []
    for first in range(0, len(uids), 500):
        found += await ChargingCard.select().where(
            (ChargingCard.tenant == actor.tenant_id) & ChargingCard.uid.is_in(uids[first : first + 500])
        )
    return found


async def _insert(actor: Actor, new: list[dict[str, Any]], group: dict[str, Any] | None) -> None:
    tenant_id = actor.tenant_id
    group_id = group["id"] if group else None
    for first in range(0, len(new), 500):
        chunk = new[first : first + 500]
        await ChargingCard.insert(*(ChargingCard(tenant=tenant_id, driver_group=group_id, **card) for card in chunk))
    uids = [card["uid"] for card in new]
    ids: dict[str, int] = {}
    for first in range(0, len(uids), 500):
        rows = await ChargingCard.select(ChargingCard.id, ChargingCard.uid).where(
            (ChargingCard.tenant == tenant_id) & ChargingCard.uid.is_in(uids[first : first + 500])
        )
        ids.update({row["uid"]: row["id"] for row in rows})
    extra = {"driver_group": group_id} if group_id else {}
    entries = [("card", ids[card["uid"]], "create", audit.diff({}, {**card, **extra})) for card in new]
    await audit.record_many(actor, tenant_id, entries)
    if group:
        await driver_groups.record_cards_joined(actor, group, uids)
