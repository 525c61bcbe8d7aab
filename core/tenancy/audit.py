"""Audit history: every change of an entity, by whom, field by field."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from piccolo.columns import Column
from piccolo.table import Table

from core.tenancy.actor import Actor
from core.tenancy.tables import AuditEntry

# Fields that hold the id of another object: the history shows that object's name instead (the id if it is gone
# or belongs to another tenant). Each domain names its own next to its tables (``show_name``), so the audit trail
# needs no import of the domains above tenancy; loading the tables (core.piccolo_app) registers them all.
_REFERENCES: dict[str, tuple[type[Table], Column]] = {}


def show_name(column: Column, *fields: str) -> None:
    """History fields ``fields`` hold ids of ``column``'s table: show the row's ``column`` (its name) instead.
    Rows of a tenant's own table are looked up in the reader's scope only; a table without a tenant (the tenants
    themselves, e.g. the EMP tenants of a contract group) is named for fields that only ever hold ids the reader
    was offered to choose from."""
    for field in fields:
        _REFERENCES[field] = (column._meta.table, column)


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def diff(old: dict[str, Any], new: dict[str, Any]) -> dict[str, list[Any]]:
    """Fields whose value changed, as {field: [old, new]}; secrets are never written out."""
    changes: dict[str, list[Any]] = {}
    for key, value in new.items():
        before = old.get(key)
        if _plain(before) != _plain(value):
            if "password" in key:
                changes[key] = ["***", "***"]
            else:
                changes[key] = [_plain(before), _plain(value)]
    return changes


def _entry(
    actor: Actor, tenant_id: int, entity_type: str, entity_id: int, action: str, changes: Mapping[str, Any] | None
) -> AuditEntry:
    return AuditEntry(
        tenant=tenant_id,
        actor=actor.user_id,
        actor_label=actor.label,
        entity_type=entity_type,
        entity_id=entity_id,
        action=action,
        changes={k: v for k, v in (changes or {}).items()},
    )


async def record(
    actor: Actor,
    tenant_id: int,
    entity_type: str,
    entity_id: int,
    action: str,
    changes: dict[str, Any] | None = None,
) -> None:
    await AuditEntry.insert(_entry(actor, tenant_id, entity_type, entity_id, action, changes))


async def record_many(
    actor: Actor, tenant_id: int, entries: Sequence[tuple[str, int, str, Mapping[str, Any] | None]]
) -> None:
    """Several entries (entity type, id, action, changes) in one statement (a bulk import's cards)."""
    for first in range(0, len(entries), _ENTRIES_PER_INSERT):
        chunk = entries[first : first + _ENTRIES_PER_INSERT]
        await AuditEntry.insert(*(_entry(actor, tenant_id, *entry) for entry in chunk))


_ENTRIES_PER_INSERT = 500  # x 7 parameters stays below SQLite's limit


async def history(actor: Actor, entity_type: str, entity_id: int, limit: int = 100) -> list[dict[str, Any]]:
    """The entity's changes, newest first; ids of referenced objects replaced by their names."""
    entries: list[dict[str, Any]] = await (
        AuditEntry.select()
        .where(
            (AuditEntry.entity_type == entity_type)
            & (AuditEntry.entity_id == entity_id)
            & AuditEntry.tenant.is_in(actor.scope)
        )
        .order_by(AuditEntry.created_at, ascending=False)
        .order_by(AuditEntry.id, ascending=False)
        .limit(limit)
        .output(load_json=True)
    )
    await _name_references(actor, entries)
    return entries


async def _name_references(actor: Actor, entries: list[dict[str, Any]]) -> None:
    wanted: dict[str, set[int]] = {}
    for entry in entries:
        changes = entry.get("changes")
        for key, pair in changes.items() if isinstance(changes, dict) else ():
            if key not in _REFERENCES or not isinstance(pair, list):
                continue
            if ids := {v for v in _flat(pair) if isinstance(v, int) and not isinstance(v, bool)}:
                wanted.setdefault(key, set()).update(ids)
    names: dict[str, dict[int, str]] = {}
    for key, ids in wanted.items():
        table, column = _REFERENCES[key]
        where = table._meta.primary_key.is_in(list(ids))
        if hasattr(table, "tenant"):
            where &= table.tenant.is_in(actor.scope)
        rows = await table.select(table._meta.primary_key, column).where(where)
        names[key] = {row["id"]: row[column._meta.name] for row in rows}
    for entry in entries:
        changes = entry.get("changes")
        if not isinstance(changes, dict):
            continue
        for key, pair in changes.items():
            if key in names and isinstance(pair, list):
                changes[key] = [_named(v, names[key]) for v in pair]


def _flat(values: list[Any]) -> list[Any]:
    """The values of a change, and the items of a value that is a list (a group's chosen locations)."""
    return [item for value in values for item in (value if isinstance(value, list) else [value])]


def _named(value: Any, names: dict[int, str]) -> Any:
    if isinstance(value, list):
        return [_named(item, names) for item in value]
    return names.get(value, value) if isinstance(value, int) and not isinstance(value, bool) else value
