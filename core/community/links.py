"""Magic links and driver sessions: how an invited driver reaches its page without a password.

* A link is a random token (256 bits) in a URL; only its SHA-256 is stored. It is single-use and expires:
  invitations after ``INVITE_DAYS``, login links after ``LOGIN_MINUTES``. Opening a link (a POST from the page the
  link shows, so that a mail scanner fetching the URL does not use it up) marks it used in one conditional update
  and starts a driver session; a used, expired, unknown or revoked link gives an outcome the page names.
* A driver session is another random token in the cookie ``csms_driver`` (hashed on the server, ``SESSION_DAYS``,
  revoked by logging out or by removing the member); it is not a staff session and opens nothing but the driver
  page of its member.
* "Request a link by e-mail": every member with that address (one per community) gets a login link; the answer
  is the same whether or not the address is a member. Requests are counted per address and per source address
  (core.attempts), and so are failed link openings per source address.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from core import attempts, outbox
from core.community.tables import Community, CommunityMember, DriverLink, DriverSession
from core.db import transaction
from core.errors import Throttled
from core.mail import queue_mail
from core.settings import get_settings
from core.tenancy.tables import Tenant

INVITE_DAYS = 7
LOGIN_MINUTES = 30
SESSION_DAYS = 30
COOKIE = "csms_driver"
REQUESTS_PER_ADDRESS = 5  # link requests per e-mail address and window
REQUESTS_PER_SOURCE = 20  # link requests per source address and window
FAILED_OPENS_PER_SOURCE = 20  # unknown, used or expired links opened per source address and window
WINDOW_SECONDS = 3600


class LinkPurpose(StrEnum):
    INVITE = "INVITE"
    LOGIN = "LOGIN"


class LinkOutcome(StrEnum):
    OK = "OK"
    USED = "USED"
    EXPIRED = "EXPIRED"
    INVALID = "INVALID"  # unknown token, or its member was removed


def _now() -> datetime:
    return datetime.now(UTC)


def token_hash(token: str) -> str:
    return hashlib.sha256((token or "").encode()).hexdigest()


def link_url(token: str) -> str:
    return f"{get_settings().public_url.rstrip('/')}/driver/link/{token}"


def lifetime(purpose: LinkPurpose) -> timedelta:
    return timedelta(days=INVITE_DAYS) if purpose is LinkPurpose.INVITE else timedelta(minutes=LOGIN_MINUTES)


def link_state(link: dict[str, Any] | None, member_status: str | None, now: datetime) -> LinkOutcome:
    """What opening this link gives (the pure rule; ``use_link`` applies it atomically)."""
    if link is None or member_status in (None, "REMOVED"):
        return LinkOutcome.INVALID
    if link["used_at"] is not None:
        return LinkOutcome.USED
    expires = link["expires_at"] if link["expires_at"].tzinfo else link["expires_at"].replace(tzinfo=UTC)
    return LinkOutcome.EXPIRED if expires <= now else LinkOutcome.OK


async def send_link(member_id: int, purpose: LinkPurpose) -> str:
    """A new link for the member, mailed in its language, inside the caller's transaction; returns the token
    (only the tests and the mail see it). Call core.outbox.kick() after the commit."""
    member = await CommunityMember.select().where(CommunityMember.id == member_id).first()
    if member is None:
        raise LookupError(member_id)
    community = await Community.select(Community.driver_group.name.as_alias("name")).where(
        Community.id == member["community"]).first()  # fmt: skip
    tenant = await Tenant.select(Tenant.name).where(Tenant.id == member["tenant"]).first()
    token = secrets.token_urlsafe(32)
    expires = _now() + lifetime(purpose)
    link = DriverLink(member=member_id, token_hash=token_hash(token), purpose=purpose.value, expires_at=expires)
    await link.save()
    context = {
        "name": member["name"], "community_name": (community or {}).get("name", ""),
        "operator_name": (tenant or {}).get("name", ""), "link_url": link_url(token),
        "valid_days": INVITE_DAYS, "valid_minutes": LOGIN_MINUTES,
    }  # fmt: skip
    kind = "community_invite" if purpose is LinkPurpose.INVITE else "community_login"
    await queue_mail(tenant_id=member["tenant"], recipient=member["email"], language=member["language"], kind=kind,
                     context=context, dedupe_key=f"community-link:{link.id}")  # fmt: skip
    return token


@dataclass(frozen=True)
class Opened:
    outcome: LinkOutcome
    session_token: str = ""  # the driver session's cookie value when OK
    member_id: int | None = None


async def _throttle(keys: list[str], limit: int) -> None:
    counts = await attempts.store().counts(keys)
    if any(count.count >= limit for count in counts):
        raise Throttled(max(count.seconds_left for count in counts))


async def _outcome(hashed: str, now: datetime) -> LinkOutcome:
    link = await DriverLink.select().where(DriverLink.token_hash == hashed).first()
    status = None
    if link is not None:
        row = await CommunityMember.select(CommunityMember.status).where(CommunityMember.id == link["member"]).first()
        status = row["status"] if row else None
    return link_state(link, status, now)


async def peek_link(token: str, source: str) -> LinkOutcome:
    """What opening the link would give, without using it (the page that shows the "continue" button)."""
    await _throttle([f"driver-link-open:{source}"], FAILED_OPENS_PER_SOURCE)
    outcome = await _outcome(token_hash(token), _now())
    if outcome is not LinkOutcome.OK:
        await attempts.store().add([f"driver-link-open:{source}"], WINDOW_SECONDS)
    return outcome


async def use_link(token: str, source: str) -> Opened:
    """Use the link once: a driver session for its member (INVITED becomes ACTIVE). Throttled per source address
    after ``FAILED_OPENS_PER_SOURCE`` failures (core.errors.Throttled)."""
    await _throttle([f"driver-link-open:{source}"], FAILED_OPENS_PER_SOURCE)
    now = _now()
    hashed = token_hash(token)
    async with transaction():
        used = (
            await DriverLink.update({DriverLink.used_at: now})
            .where((DriverLink.token_hash == hashed) & DriverLink.used_at.is_null() & (DriverLink.expires_at > now))
            .returning(DriverLink.member)
        )
        member = None
        if used:
            member = await CommunityMember.select().where(CommunityMember.id == used[0]["member"]).first()
        if member is not None and member["status"] != "REMOVED":
            session = secrets.token_urlsafe(32)
            await DriverSession(member=member["id"], token_hash=token_hash(session),
                                expires_at=now + timedelta(days=SESSION_DAYS)).save()  # fmt: skip
            if member["status"] == "INVITED":
                activated: dict[Any, Any] = {CommunityMember.status: "ACTIVE", CommunityMember.activated_at: now}
                await CommunityMember.update(activated).where(CommunityMember.id == member["id"])
            return Opened(LinkOutcome.OK, session, int(member["id"]))
    await attempts.store().add([f"driver-link-open:{source}"], WINDOW_SECONDS)
    outcome = await _outcome(hashed, now)
    return Opened(LinkOutcome.INVALID if outcome is LinkOutcome.OK else outcome)


async def request_login_links(email: str, source: str) -> None:
    """Mail a login link to every member (not removed) with this address; silent otherwise. Throttled per address
    and per source address (core.errors.Throttled), whether or not the address is a member."""
    address = (email or "").strip().lower()
    keys = [f"driver-link-request:{address}", f"driver-link-request-source:{source}"]
    counts = await attempts.store().counts(keys)
    if counts[0].count >= REQUESTS_PER_ADDRESS or counts[1].count >= REQUESTS_PER_SOURCE:
        raise Throttled(max(c.seconds_left for c in counts))
    await attempts.store().add(keys, WINDOW_SECONDS)
    members = await CommunityMember.select(CommunityMember.id).where(
        (CommunityMember.email == address) & (CommunityMember.status != "REMOVED")
    )
    if not members:
        return
    async with transaction():
        for member in members:
            await send_link(int(member["id"]), LinkPurpose.LOGIN)
    outbox.kick()


async def member_of_session(session_token: str) -> dict[str, Any] | None:
    """The member a driver-session cookie belongs to (not revoked, not expired, not removed), else None."""
    if not session_token:
        return None
    session = await DriverSession.select().where(DriverSession.token_hash == token_hash(session_token)).first()
    if session is None or session["revoked_at"] is not None:
        return None
    expires = session["expires_at"] if session["expires_at"].tzinfo else session["expires_at"].replace(tzinfo=UTC)
    if expires <= _now():
        return None
    member = await CommunityMember.select().where(CommunityMember.id == session["member"]).first()
    if member is None or member["status"] == "REMOVED":
        return None
    return dict(member)


async def end_session(session_token: str) -> None:
    """Log out: the session is revoked on the server."""
    await DriverSession.update({DriverSession.revoked_at: _now()}).where(
        (DriverSession.token_hash == token_hash(session_token)) & DriverSession.revoked_at.is_null()
    )


async def revoke_member(member_id: int) -> None:
    """A removed member: its unused links and its sessions end now."""
    now = _now()
    await DriverLink.update({DriverLink.expires_at: now}).where(
        (DriverLink.member == member_id) & DriverLink.used_at.is_null() & (DriverLink.expires_at > now)
    )
    await DriverSession.update({DriverSession.revoked_at: now}).where(
        (DriverSession.member == member_id) & DriverSession.revoked_at.is_null()
    )
