"""Portal sessions kept on the server: the session cookie carries a random id, the database only its SHA-256, so
that ending a session takes effect at once on every node, in embedded mode as in production.

Which events end which sessions (the rules; the portal only calls them):
- logging out: this session;
- the user's own password change: every other session of the user (the one that changed it carries on);
- a password reset or a new password set by a user manager, deactivating the user: every session of the user;
- the profile's "end" and "end all others": the chosen session(s) of the acting user;
- losing a permission (a group loses a switch, the user leaves a group or loses administrator rights) ends no
  session: the actor is built from the database on every request (core.tenancy.logins.actor_for_user), so the
  permission is gone with the user's next request, on every node.
A session also ends after SESSION_MAX_AGE seconds without a request.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from core.errors import NotFound
from core.settings import get_settings
from core.tenancy.actor import Actor
from core.tenancy.passwords import new_secret, sha256_hex
from core.tenancy.tables import StaffSession

# "Last seen" is written at most once a minute per session, not on every request.
TOUCH_EVERY = timedelta(minutes=1)


def _idle_limit() -> timedelta:
    return timedelta(seconds=get_settings().session_max_age)


async def start(user_id: int, remote_addr: str = "", user_agent: str = "") -> str:
    """A new session of ``user_id``; returns its id for the cookie (stored only as a hash)."""
    now = datetime.now(UTC)
    # Sessions idle for longer than the limit are dead anyway; dropping them here keeps the table small.
    await StaffSession.delete().where(StaffSession.last_seen_at < now - _idle_limit())
    token = new_secret(32)
    await StaffSession.insert(
        StaffSession(
            user=user_id,
            token_hash=sha256_hex(token),
            remote_addr=remote_addr[:64],
            user_agent=user_agent[:400],
            created_at=now,
            last_seen_at=now,
        )
    )
    return token


async def resolve(token: str, remote_addr: str = "") -> tuple[dict[str, Any], int] | None:
    """The active user of a live session and the session's row id, or None.

    One indexed lookup (the session joined with its user) per request.
    """
    if not token:
        return None
    row = (
        await StaffSession.select(
            StaffSession.id, StaffSession.last_seen_at, StaffSession.remote_addr, *StaffSession.user.all_columns()
        )
        .where(StaffSession.token_hash == sha256_hex(token))
        .output(nested=True)
        .first()
    )
    if row is None:
        return None
    now = datetime.now(UTC)
    idle = now - row["last_seen_at"]
    if idle > _idle_limit():
        await StaffSession.delete().where(StaffSession.id == row["id"])
        return None
    user: dict[str, Any] = row["user"]
    if not user["active"]:
        return None
    if idle > TOUCH_EVERY:
        changes: dict[Any, Any] = {StaffSession.last_seen_at: now}
        if remote_addr:
            changes[StaffSession.remote_addr] = remote_addr[:64]
        await StaffSession.update(changes).where(StaffSession.id == row["id"])
    return user, int(row["id"])


async def end(token: str) -> None:
    """Logging out: the session of this cookie ends."""
    if token:
        await StaffSession.delete().where(StaffSession.token_hash == sha256_hex(token))


async def end_all(user_id: int, *, keep: int | None = None) -> None:
    """Every session of the user, but ``keep`` (the session that made the change)."""
    query = StaffSession.delete().where(StaffSession.user == user_id)
    if keep is not None:
        query = query.where(StaffSession.id != keep)
    await query


async def list_own(actor: Actor) -> list[dict[str, Any]]:
    """The acting user's live sessions, the current one first, then by last request; never the hashes."""
    if actor.user_id is None:
        return []
    since = datetime.now(UTC) - _idle_limit()
    rows: list[dict[str, Any]] = (
        await StaffSession.select(
            StaffSession.id,
            StaffSession.remote_addr,
            StaffSession.user_agent,
            StaffSession.created_at,
            StaffSession.last_seen_at,
        )  # fmt: skip
        .where((StaffSession.user == actor.user_id) & (StaffSession.last_seen_at >= since))
        .order_by(StaffSession.last_seen_at, ascending=False)
    )
    for row in rows:
        row["current"] = row["id"] == actor.session_id
    return sorted(rows, key=lambda r: not r["current"])


async def end_own(actor: Actor, session_id: int) -> None:
    """One of the acting user's sessions; anybody else's is NotFound."""
    if actor.user_id is None or not await StaffSession.exists().where(
        (StaffSession.id == session_id) & (StaffSession.user == actor.user_id)
    ):
        raise NotFound("session")
    await StaffSession.delete().where(StaffSession.id == session_id)


async def end_others(actor: Actor) -> None:
    """Every session of the acting user but the one making the request."""
    if actor.user_id is not None:
        await end_all(actor.user_id, keep=actor.session_id)
