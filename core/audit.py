"""Audit history: every change of an entity, by whom, field by field."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from core.context import Actor
from core.tables import AuditEntry


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


async def record(
    actor: Actor,
    tenant_id: int,
    entity_type: str,
    entity_id: int,
    action: str,
    changes: dict[str, Any] | None = None,
) -> None:
    await AuditEntry.insert(
        AuditEntry(
            tenant=tenant_id,
            actor=actor.user_id,
            actor_label=actor.label,
            entity_type=entity_type,
            entity_id=entity_id,
            action=action,
            changes={k: v for k, v in (changes or {}).items()},
        )
    )


async def history(actor: Actor, entity_type: str, entity_id: int, limit: int = 100) -> list[dict[str, Any]]:
    return await (
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
