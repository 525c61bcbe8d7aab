"""Invitations of staff users: a set-password link mailed to a new user (the first administrator of a sub-CPO that
a reseller onboards, core.resellers.sub_cpos), instead of a password shown once to whoever created the account.

* The link carries a random token of 256 bits; only its SHA-256 is stored (``StaffInvitation``). It expires after
  ``INVITE_DAYS`` and works once. A new invitation of the same user ends the user's unused ones.
* Opening the link (GET) only shows the set-password form (``peek``); the form's POST (``accept``) uses the token in
  one conditional update, so a mail scanner fetching the address does not use it up. A password the rules refuse
  (core.tenancy.users.check_password, repeated the same) leaves the token unused.
* Unknown, used and expired tokens are counted per source address (core.attempts, shared by all nodes): after
  ``FAILED_OPENS_PER_SOURCE`` within ``WINDOW_SECONDS`` the address gets core.errors.Throttled, as a login does.

The mail itself is queued by the caller (core.mail sits above tenancy), in the same transaction as ``issue``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from core import attempts
from core.db import transaction
from core.errors import Message, Throttled, ValidationError
from core.settings import get_settings
from core.tenancy import audit
from core.tenancy.logins import actor_for_user
from core.tenancy.passwords import sha256_hex
from core.tenancy.tables import StaffInvitation, StaffUser
from core.tenancy.users import check_password, set_password

INVITE_DAYS = 7
FAILED_OPENS_PER_SOURCE = 20
WINDOW_SECONDS = 3600
PATH = "/invitation/"


class InvitationOutcome(StrEnum):
    OK = "OK"
    USED = "USED"
    EXPIRED = "EXPIRED"
    INVALID = "INVALID"  # unknown token, or its user was deactivated


def _now() -> datetime:
    return datetime.now(UTC)


def invitation_url(token: str) -> str:
    return f"{get_settings().public_url.rstrip('/')}{PATH}{token}"


def invitation_state(row: dict[str, Any] | None, user_active: bool, now: datetime) -> InvitationOutcome:
    """What using this invitation gives (the pure rule; ``accept`` applies it atomically)."""
    if row is None or not user_active:
        return InvitationOutcome.INVALID
    if row["used_at"] is not None:
        return InvitationOutcome.USED
    expires = row["expires_at"] if row["expires_at"].tzinfo else row["expires_at"].replace(tzinfo=UTC)
    return InvitationOutcome.EXPIRED if expires <= now else InvitationOutcome.OK


async def issue(user_id: int) -> str:
    """A new invitation of the user (its unused earlier ones end now), inside the caller's transaction; returns the
    token once, for the mail."""
    now = _now()
    await StaffInvitation.update({StaffInvitation.expires_at: now}).where(
        (StaffInvitation.user == user_id) & StaffInvitation.used_at.is_null() & (StaffInvitation.expires_at > now)
    )
    token = secrets.token_urlsafe(32)
    expires = now + timedelta(days=INVITE_DAYS)
    await StaffInvitation(user=user_id, token_hash=sha256_hex(token), expires_at=expires).save()
    return token


async def _throttle(source: str) -> None:
    (count,) = await attempts.store().counts([f"staff-invitation:{source}"])
    if count.count >= FAILED_OPENS_PER_SOURCE:
        raise Throttled(count.seconds_left)


async def _failed(source: str) -> None:
    await attempts.store().add([f"staff-invitation:{source}"], WINDOW_SECONDS)


@dataclass(frozen=True)
class Invitation:
    outcome: InvitationOutcome
    email: str = ""  # the invited user's address when OK (the form shows it)
    user: dict[str, Any] | None = None  # after ``accept``: the user, now with its password


async def _lookup(hashed: str, now: datetime) -> Invitation:
    row = await StaffInvitation.select().where(StaffInvitation.token_hash == hashed).first()
    user = None
    if row is not None:
        user = await StaffUser.select().where(StaffUser.id == row["user"]).first()
    outcome = invitation_state(row, bool(user and user["active"]), now)
    return Invitation(outcome, user["email"] if user and outcome is InvitationOutcome.OK else "")


async def peek(token: str, source: str) -> Invitation:
    """What the link would give, without using it (the page with the set-password form)."""
    await _throttle(source)
    found = await _lookup(sha256_hex(token or ""), _now())
    if found.outcome is not InvitationOutcome.OK:
        await _failed(source)
    return found


async def accept(token: str, source: str, password: str, repeated: str) -> Invitation:
    """Set the invited user's password and use the invitation up, once. ValidationError (the token stays unused)
    for a password the rules refuse; Throttled after too many failed tokens from ``source``."""
    await _throttle(source)
    errors: dict[str, Message] = {}
    problem = check_password(password)
    if problem is not None:
        errors["password"] = problem
    elif password != repeated:
        errors["repeat_password"] = Message("The passwords do not match.")
    now = _now()
    hashed = sha256_hex(token or "")
    if errors:
        found = await _lookup(hashed, now)
        if found.outcome is InvitationOutcome.OK:
            raise ValidationError(errors)
        await _failed(source)
        return found
    async with transaction():
        used = (
            await StaffInvitation.update({StaffInvitation.used_at: now})
            .where((StaffInvitation.token_hash == hashed) & StaffInvitation.used_at.is_null()
                   & (StaffInvitation.expires_at > now))
            .returning(StaffInvitation.user)
        )  # fmt: skip
        user = None
        if used:
            user = await StaffUser.select().where(StaffUser.id == used[0]["user"]).first()
        if user is not None and user["active"]:
            await set_password(int(user["id"]), password)
            await audit.record(await actor_for_user(user), user["tenant"], "user", user["id"], "password_change",
                               {"password": ["***", "***"]})  # fmt: skip
            return Invitation(InvitationOutcome.OK, user["email"], user)
    await _failed(source)
    found = await _lookup(hashed, now)
    return Invitation(InvitationOutcome.INVALID if found.outcome is InvitationOutcome.OK else found.outcome)
