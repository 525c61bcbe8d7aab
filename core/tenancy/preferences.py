"""What a staff user's pages remember between visits (``UserPreference``): one JSON value per key and user."""

from __future__ import annotations

from typing import Any

from core.tenancy.actor import Actor
from core.tenancy.tables import UserPreference


async def load(actor: Actor, key: str) -> Any:
    """The stored value, or None (also for actors without a user: API keys, jobs)."""
    if actor.user_id is None:
        return None
    row = (
        await UserPreference.select(UserPreference.value)
        .where((UserPreference.user == actor.user_id) & (UserPreference.key == key))
        .output(load_json=True)
        .first()
    )
    return None if row is None else row["value"]


async def save(actor: Actor, key: str, value: Any) -> None:
    if actor.user_id is None:
        return
    updated = (
        await UserPreference.update({UserPreference.value: value})
        .where((UserPreference.user == actor.user_id) & (UserPreference.key == key))
        .returning(UserPreference.id)
    )
    if not updated:
        await UserPreference(user=actor.user_id, key=key, value=value).save()
