"""Communities and their members (what CPO staff do): create a community on a new driver group with a billed
tariff, rename it or change its tariff, invite drivers by e-mail, resend an invitation, give a member cards, remove a
member.

Decisions (docs/community-charging.md):

* One idea, one name: a community *is* a driver group of kind "drivers and vehicles" whose tariff bills (its name,
  tariff, scope and cards are the group's; core.access.driver_groups prices the sessions with it). The community
  row adds the members, their driver page and the monthly statements. Staff need the driver-group switches:
  viewing (driver_groups.view) shows members' names and addresses; inviting, cards and removing need
  driver_groups.manage; members' sessions need sessions.view as well.
* A member is one e-mail address in one community: INVITED until it opens a link for the first time, then ACTIVE;
  REMOVED revokes its links and driver sessions and takes its cards out of the group (the member row stays for
  its statements). Inviting a removed address again makes it INVITED again.
* Invitations are magic links (core.community.links) mailed in the member's language.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from core import outbox
from core.access import driver_groups
from core.access.driver_groups import GroupKind, TariffMode
from core.access.tables import ChargingCard
from core.community import links
from core.community.tables import Community, CommunityMember, MemberCard
from core.db import transaction
from core.errors import Conflict, Message, NotFound, ValidationError
from core.mail import mail_language
from core.tariffs.tables import Tariff
from core.tenancy import audit
from core.tenancy.actor import Actor
from core.tenancy.permissions import Permission
from core.validation import is_email

MAX_INVITES = 200  # addresses in one paste
NAME_LENGTH = 120


class MemberStatus(StrEnum):
    INVITED = "INVITED"
    ACTIVE = "ACTIVE"
    REMOVED = "REMOVED"


STATUS_LABELS = {MemberStatus.INVITED: "Invited", MemberStatus.ACTIVE: "Active", MemberStatus.REMOVED: "Removed"}
LANGUAGES = ("de", "en")


def _now() -> datetime:
    return datetime.now(UTC)


# --- pure rules -------------------------------------------------------------------------------------------------

_SEPARATORS = re.compile(r"[,;\n\r]+")
_NAMED = re.compile(r"^(?P<name>[^<>]*)<(?P<email>[^<>]+)>$")


def parse_invitees(text: str) -> list[tuple[str, str]]:
    """The (name, e-mail) pairs of pasted text: addresses separated by line breaks, commas or semicolons, each
    either ``anna@example.org`` or ``Anna Berg <anna@example.org>``; e-mail in lower case, each address once.
    ValidationError (field ``emails``) naming the entries that are not addresses."""
    pairs: list[tuple[str, str]] = []
    wrong: list[str] = []
    seen: set[str] = set()
    for part in _SEPARATORS.split(text or ""):
        entry = part.strip()
        if not entry:
            continue
        named = _NAMED.match(entry)
        name, email = (named.group("name").strip().strip('"'), named.group("email").strip()) if named else ("", entry)
        email = email.lower()
        if not is_email(email) or len(name) > NAME_LENGTH:
            wrong.append(entry[:80])
            continue
        if email not in seen:
            seen.add(email)
            pairs.append((name, email))
    if wrong:
        raise ValidationError({"emails": Message("Not an e-mail address: %(entries)s", {"entries": ", ".join(wrong)})})
    if not pairs:
        raise ValidationError({"emails": Message("Enter at least one e-mail address.")})
    if len(pairs) > MAX_INVITES:
        raise ValidationError({"emails": Message("At most %(max)s addresses at once.", {"max": MAX_INVITES})})
    return pairs


# --- communities ------------------------------------------------------------------------------------------------


def _query() -> Any:
    group = Community.driver_group
    return Community.select(
        *Community.all_columns(),
        group.name.as_alias("name"),
        group.tariff.as_alias("tariff_id"),
        group.archived_at.as_alias("archived_at"),
    )


async def _with_tariffs(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows with their tariff's name and currency."""
    ids = [row["tariff_id"] for row in rows if row["tariff_id"] is not None]
    found = {t["id"]: t for t in await Tariff.select(Tariff.id, Tariff.name, Tariff.currency).where(
        Tariff.id.is_in(ids or [0]))}  # fmt: skip
    for row in rows:
        tariff = found.get(row["tariff_id"], {})
        row["tariff_name"], row["currency"] = tariff.get("name", ""), tariff.get("currency", "")
    return rows


async def list_communities(actor: Actor) -> list[dict[str, Any]]:
    """The communities of the actor's tenants with their member counts (not removed)."""
    actor.require(Permission.DRIVER_GROUPS_VIEW)
    rows = await _with_tariffs(list(await _query().where(Community.tenant.is_in(actor.scope))))
    for row in rows:
        row["member_count"] = await CommunityMember.count().where(
            (CommunityMember.community == row["id"]) & (CommunityMember.status != MemberStatus.REMOVED.value)
        )
    return sorted(rows, key=lambda r: (r["name"] or "").lower())


async def get_community(actor: Actor, community_id: int) -> dict[str, Any]:
    actor.require(Permission.DRIVER_GROUPS_VIEW)
    row = await _query().where((Community.id == community_id) & Community.tenant.is_in(actor.scope)).first()
    if row is None:
        raise NotFound("community")
    return (await _with_tariffs([dict(row)]))[0]


def _terms(raw: dict[str, Any]) -> dict[str, Any]:
    """The driver-group fields of a community form: a name and a tariff that bills."""
    values: dict[str, Any] = {"name": raw.get("name", "")}
    if not str(raw.get("tariff_id") or "").strip():
        raise ValidationError({"tariff_id": Message("Choose the community's tariff.")})
    values["tariff_id"] = raw.get("tariff_id")
    values["tariff_mode"] = TariffMode.BILLED.value
    return values


async def create_community(actor: Actor, raw: dict[str, Any]) -> dict[str, Any]:
    """A new community on a new driver group ("drivers and vehicles", the tariff billed, whole infrastructure)."""
    actor.require(Permission.DRIVER_GROUPS_MANAGE)
    async with transaction():
        group = await driver_groups.create_group(actor, {**_terms(raw), "kind": GroupKind.DRIVERS_VEHICLES.value})
        community = Community(tenant=group["tenant"], driver_group=group["id"])
        await community.save()
        change = {"community": [None, True]}
        await audit.record(actor, group["tenant"], "driver_group", group["id"], "community", change)
    return await get_community(actor, int(community.id))


async def update_community(actor: Actor, community_id: int, raw: dict[str, Any]) -> dict[str, Any]:
    """Rename the community or change its tariff (sessions keep the tariff they started with)."""
    community = await get_community(actor, community_id)
    await driver_groups.update_group(actor, int(community["driver_group"]), _terms(raw))
    return await get_community(actor, community_id)


# --- members ----------------------------------------------------------------------------------------------------


async def list_members(actor: Actor, community_id: int, *, removed: bool = False) -> list[dict[str, Any]]:
    """The members with their cards (uids, labels); without the removed ones unless ``removed``."""
    community = await get_community(actor, community_id)
    query = CommunityMember.select().where(CommunityMember.community == community["id"])
    if not removed:
        query = query.where(CommunityMember.status != MemberStatus.REMOVED.value)
    rows: list[dict[str, Any]] = await query.order_by(CommunityMember.email)
    cards = await cards_of_members([row["id"] for row in rows])
    for row in rows:
        row["cards"] = cards.get(row["id"], [])
    return rows


async def cards_of_members(member_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    if not member_ids:
        return {}
    rows = await MemberCard.select(
        MemberCard.member, MemberCard.card.id.as_alias("id"), MemberCard.card.uid.as_alias("uid"),
        MemberCard.card.label.as_alias("label"), MemberCard.card.visual_number.as_alias("visual_number"),
        MemberCard.card.status.as_alias("status"),
    ).where(MemberCard.member.is_in(member_ids)).order_by(MemberCard.card.uid)  # fmt: skip
    result: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        result.setdefault(int(row.pop("member")), []).append(row)
    return result


async def get_member(actor: Actor, community_id: int, member_id: int) -> dict[str, Any]:
    community = await get_community(actor, community_id)
    row = (
        await CommunityMember.select()
        .where((CommunityMember.id == member_id) & (CommunityMember.community == community["id"]))
        .first()
    )
    if row is None:
        raise NotFound("member")
    row["cards"] = (await cards_of_members([member_id])).get(member_id, [])
    row["community_name"] = community["name"]
    return dict(row)


async def invite(actor: Actor, community_id: int, text: str, language: str = "de") -> dict[str, list[str]]:
    """Invite every address of ``text`` (see ``parse_invitees``): a new member, or a removed one again, gets an
    invitation link by mail. Returns the addresses ``invited`` and those ``skipped`` (already members)."""
    actor.require(Permission.DRIVER_GROUPS_MANAGE)
    community = await get_community(actor, community_id)
    if community["archived_at"] is not None:
        raise Conflict(Message("The community's driver group is archived; nobody can be invited."))
    pairs = parse_invitees(text)
    language = mail_language(language)
    invited: list[str] = []
    skipped: list[str] = []
    async with transaction():
        for name, email in pairs:
            existing = (
                await CommunityMember.select()
                .where((CommunityMember.community == community["id"]) & (CommunityMember.email == email))
                .first()
            )
            if existing is not None and existing["status"] != MemberStatus.REMOVED.value:
                skipped.append(email)
                continue
            if existing is None:
                member = CommunityMember(tenant=community["tenant"], community=community["id"], name=name,
                                         email=email, language=language, status=MemberStatus.INVITED.value)  # fmt: skip
                await member.save()
                member_id = int(member.id)
            else:
                member_id = int(existing["id"])
                await CommunityMember.update({
                    CommunityMember.status: MemberStatus.INVITED.value, CommunityMember.removed_at: None,
                    CommunityMember.invited_at: _now(), CommunityMember.name: name or existing["name"],
                }).where(CommunityMember.id == member_id)  # fmt: skip
            await links.send_link(member_id, links.LinkPurpose.INVITE)
            invited.append(email)
        if invited:
            change = {"invited": [None, ", ".join(invited)]}
            await audit.record(actor, community["tenant"], "driver_group", community["driver_group"], "invite", change)
    outbox.kick()
    return {"invited": invited, "skipped": skipped}


async def resend_invitation(actor: Actor, community_id: int, member_id: int) -> None:
    """A new invitation link for a member who has not opened one yet (earlier links stay valid until they expire)."""
    actor.require(Permission.DRIVER_GROUPS_MANAGE)
    member = await get_member(actor, community_id, member_id)
    if member["status"] != MemberStatus.INVITED.value:
        raise Conflict(Message("Only invited members who have not joined yet get the invitation again."))
    async with transaction():
        await links.send_link(member_id, links.LinkPurpose.INVITE)
    outbox.kick()


async def remove_member(actor: Actor, community_id: int, member_id: int) -> None:
    """REMOVED: its links and driver sessions end and its cards leave the community's group."""
    actor.require(Permission.DRIVER_GROUPS_MANAGE)
    member = await get_member(actor, community_id, member_id)
    if member["status"] == MemberStatus.REMOVED.value:
        return
    community = await get_community(actor, community_id)
    async with transaction():
        for card in member["cards"]:
            await driver_groups.set_card_group(actor, card["id"], None)
        await MemberCard.delete().where(MemberCard.member == member_id)
        await CommunityMember.update(
            {CommunityMember.status: MemberStatus.REMOVED.value, CommunityMember.removed_at: _now()}
        ).where(CommunityMember.id == member_id)
        await links.revoke_member(member_id)
        change = {"member": [member["email"], None]}
        await audit.record(actor, community["tenant"], "driver_group", community["driver_group"], "remove", change)


async def assignable_cards(actor: Actor, community_id: int) -> list[dict[str, Any]]:
    """Cards of the tenant no member holds (in no group, or in the community's own), for the card picker."""
    community = await get_community(actor, community_id)
    held = [row["card"] for row in await MemberCard.select(MemberCard.card).where(
        MemberCard.member.tenant == community["tenant"])]  # fmt: skip
    query = ChargingCard.select(ChargingCard.id, ChargingCard.uid, ChargingCard.label).where(
        (ChargingCard.tenant == community["tenant"])
        & (ChargingCard.driver_group.is_null() | (ChargingCard.driver_group == community["driver_group"]))
    )
    if held:
        query = query.where(ChargingCard.id.not_in(held))
    return list(await query.order_by(ChargingCard.uid).limit(500))


async def assign_card(actor: Actor, community_id: int, member_id: int, card_id: int) -> None:
    """Give a member a card: it joins the community's driver group (and so charges at its tariff)."""
    actor.require(Permission.DRIVER_GROUPS_MANAGE)
    member = await get_member(actor, community_id, member_id)
    if member["status"] == MemberStatus.REMOVED.value:
        raise Conflict(Message("The member was removed."))
    community = await get_community(actor, community_id)
    card = (
        await ChargingCard.select(ChargingCard.id, ChargingCard.driver_group)
        .where((ChargingCard.id == card_id) & (ChargingCard.tenant == community["tenant"]))
        .first()
    )
    if card is None:
        raise NotFound("card")
    holder = await MemberCard.select(MemberCard.member).where(MemberCard.card == card_id).first()
    if holder is not None:
        if holder["member"] == member_id:
            return
        raise Conflict(Message("Another member holds this card."))
    if card["driver_group"] not in (None, community["driver_group"]):
        raise Conflict(Message("The card belongs to another driver group; take it out there first."))
    async with transaction():
        await driver_groups.set_card_group(actor, card_id, int(community["driver_group"]))
        await MemberCard(member=member_id, card=card_id).save()


async def unassign_card(actor: Actor, community_id: int, member_id: int, card_id: int) -> None:
    actor.require(Permission.DRIVER_GROUPS_MANAGE)
    member = await get_member(actor, community_id, member_id)
    if not any(card["id"] == card_id for card in member["cards"]):
        raise NotFound("card")
    async with transaction():
        await MemberCard.delete().where((MemberCard.member == member_id) & (MemberCard.card == card_id))
        await driver_groups.set_card_group(actor, card_id, None)


async def community_tenant_groups() -> list[dict[str, Any]]:
    """Every community with its tenant, group and time zone (for the monthly run)."""
    return list(await Community.select(Community.id, Community.tenant, Community.time_zone, Community.created_at))
