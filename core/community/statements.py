"""The monthly run: a statement per member and a credit note per community, once per month.

``write_month(community_id, period)`` (the job ``community.statements``) is idempotent per (community, month):
every statement and the credit note have a number made of community, month (and member), unique in the table,
and are inserted "on conflict do nothing" in the transaction that also queues the statement's mail (dedupe key =
the number). The credit note is written last, as the sum of the month's statements: it marks the month done, so a
run after it writes nothing; a run that crashed midway leaves some statements and no credit note, and the next run
writes the missing ones and then the credit note.

``due_months()`` (periodic, hourly) enqueues the job for every community whose last completed local month has no
credit note yet. Members get a statement for a month in which their cards charged in the community (sessions with
a CDR of the community's driver group, the session's current CDR); a month without sessions gets no statement, but
the credit note (possibly zero) is written all the same.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from core import jobs, outbox
from core.cdrs.tables import Cdr
from core.charging.tables import ChargingSession
from core.community import communities, months
from core.community.months import Month
from core.community.tables import Community, CommunityCreditNote, CommunityMember, CommunityStatement, MemberCard
from core.db import transaction
from core.errors import NotFound
from core.mail import queue_mail
from core.payments.receipts import local_zone, number_text
from core.settings import get_settings
from core.tariffs.tables import Tariff
from core.tenancy.actor import Actor
from core.tenancy.permissions import Permission
from core.tenancy.tables import Tenant

log = logging.getLogger("csms.community")
JOB = "community.statements"


async def community_cdrs(community: dict[str, Any], card_ids: list[int], month: Month) -> list[dict[str, Any]]:
    """The current CDRs of sessions by these cards in the community's driver group that started in ``month``."""
    if not card_ids:
        return []
    start, end = month.bounds(local_zone(community["time_zone"]))
    rows = await Cdr.select().where(
        (Cdr.tenant == community["tenant"]) & (Cdr.driver_group == community["driver_group"])
        & Cdr.card.is_in(card_ids) & (Cdr.start_date_time >= start) & (Cdr.start_date_time < end)
    ).order_by(Cdr.start_date_time).order_by(Cdr.id)  # fmt: skip
    if not rows:
        return []
    sessions = await ChargingSession.select(ChargingSession.id, ChargingSession.cdr_id).where(
        ChargingSession.id.is_in(list({row["session"] for row in rows}))
    )
    current = {row["id"]: row["cdr_id"] for row in sessions}
    return [row for row in rows if current.get(row["session"]) == row["id"]]


async def _community(community_id: int) -> dict[str, Any]:
    row = await Community.select(
        *Community.all_columns(), Community.driver_group.name.as_alias("name"),
        Community.driver_group.tariff.as_alias("tariff_id"),
    ).where(Community.id == community_id).first()  # fmt: skip
    if row is None:
        raise NotFound("community")
    tariff = await Tariff.select(Tariff.currency).where(Tariff.id == (row["tariff_id"] or 0)).first()
    return {**row, "currency": (tariff or {}).get("currency", "")}


def _mail_context(statement: dict[str, Any], community: dict[str, Any], member: dict[str, Any], operator: str,
                  language: str) -> dict[str, Any]:  # fmt: skip
    money = months.money_text
    return {
        "name": member["name"], "community_name": community["name"], "operator_name": operator,
        "period": statement["period"], "number": statement["number"], "currency": statement["currency"],
        "session_count": statement["session_count"],
        "energy": number_text(Decimal(statement["energy_wh"]) / 1000, 2, language),
        "net": money(statement["net_cents"], language), "vat": money(statement["vat_cents"], language),
        "gross": money(statement["gross_cents"], language),
        "vat_lines": [{"rate": v["rate"], "vat": money(v["vat_cents"], language)} for v in statement["vat"]],
        "page_url": f"{get_settings().public_url.rstrip('/')}/driver",
    }  # fmt: skip


async def _write_statement(community: dict[str, Any], member: dict[str, Any], month: Month, operator: str) -> bool:
    """The member's statement of the month with its mail, once; True when written now."""
    cards = [row["card"] for row in await MemberCard.select(MemberCard.card).where(MemberCard.member == member["id"])]
    lines = [months.line_of(cdr) for cdr in await community_cdrs(community, cards, month)]
    if not lines:
        return False
    sums = months.totals(lines)
    number = months.statement_number(community["id"], month, member["id"])
    values = {
        "tenant": community["tenant"], "community": community["id"], "member": member["id"],
        "period": month.period, "number": number, "currency": community["currency"] or "EUR",
        "session_count": sums.session_count, "energy_wh": sums.energy_wh, "net_cents": sums.net_cents,
        "vat_cents": sums.vat_cents, "gross_cents": sums.gross_cents,
        "lines": [line.to_json() for line in lines], "vat": list(sums.vat),
    }  # fmt: skip
    async with transaction():
        inserted = (
            await CommunityStatement.insert(CommunityStatement(**values))
            .on_conflict(target=CommunityStatement.number, action="DO NOTHING")
            .returning(CommunityStatement.id)
        )
        if not inserted:
            return False
        language = member["language"]
        await queue_mail(tenant_id=community["tenant"], recipient=member["email"], language=language,
                         kind="community_statement", dedupe_key=f"community-statement:{number}",
                         context=_mail_context(values, community, member, operator, language))  # fmt: skip
    return True


async def write_month(community_id: int, period: str) -> int:
    """The statements and the credit note of ``period`` (YYYY-MM); returns how many statements were written now
    (0 when the month was done before). Safe to run twice and after a crash (module docstring)."""
    month = Month.parse(period)
    if month is None:
        raise ValueError(f"not a month: {period!r}")
    community = await _community(community_id)
    note_number = months.credit_note_number(community_id, month)
    if await CommunityCreditNote.exists().where(CommunityCreditNote.number == note_number):
        return 0
    tenant = await Tenant.select(Tenant.name).where(Tenant.id == community["tenant"]).first()
    operator = (tenant or {}).get("name", "")
    members = (
        await CommunityMember.select().where(CommunityMember.community == community_id).order_by(CommunityMember.id)
    )
    written = 0
    for member in members:
        written += await _write_statement(community, member, month, operator)
    statements = (
        await CommunityStatement.select()
        .where((CommunityStatement.community == community_id) & (CommunityStatement.period == month.period))
        .output(load_json=True)
    )
    sums = months.totals(list(statements))
    await CommunityCreditNote.insert(
        CommunityCreditNote(
            tenant=community["tenant"], community=community_id, period=month.period, number=note_number,
            currency=community["currency"] or "EUR", statement_count=len(statements),
            session_count=sums.session_count, energy_wh=sums.energy_wh, net_cents=sums.net_cents,
            vat_cents=sums.vat_cents, gross_cents=sums.gross_cents, vat=list(sums.vat),
        )
    ).on_conflict(target=CommunityCreditNote.number, action="DO NOTHING")  # fmt: skip
    if written:
        outbox.kick()
        log.info("community %s %s: %s statements", community_id, month.period, written)
    return written


async def due_months(now: datetime | None = None) -> list[tuple[int, str]]:
    """The (community, month) pairs whose last completed month has no credit note yet: each enqueued as the job
    ``community.statements`` (safe to run in several processes: the job itself is idempotent)."""
    at = now or datetime.now(UTC)
    due: list[tuple[int, str]] = []
    for community in await Community.select(Community.id, Community.time_zone, Community.created_at):
        zone = local_zone(community["time_zone"])
        month = months.completed_month(at, zone)
        if community["created_at"] >= month.bounds(zone)[1]:
            continue  # created after that month ended: nothing of it belongs to the community
        number = months.credit_note_number(community["id"], month)
        if not await CommunityCreditNote.exists().where(CommunityCreditNote.number == number):
            due.append((int(community["id"]), month.period))
    for community_id, period in due:
        jobs.enqueue(JOB, community_id, period)
    return due


# --- reading (staff: driver_groups.view; the driver page: its own member only) ------------------------------------


async def list_statements(actor: Actor, community_id: int) -> list[dict[str, Any]]:
    """The community's statements, newest month first, with the member's name and address."""
    community = await communities.get_community(actor, community_id)
    return list(
        await CommunityStatement.select(
            *CommunityStatement.all_columns(exclude=[CommunityStatement.lines]),
            CommunityStatement.member.name.as_alias("member_name"),
            CommunityStatement.member.email.as_alias("member_email"),
        )
        .where(CommunityStatement.community == community["id"])
        .order_by(CommunityStatement.period, ascending=False)
        .order_by(CommunityStatement.member.email)
    )


async def list_credit_notes(actor: Actor, community_id: int) -> list[dict[str, Any]]:
    community = await communities.get_community(actor, community_id)
    return list(
        await CommunityCreditNote.select()
        .where(CommunityCreditNote.community == community["id"])
        .order_by(CommunityCreditNote.period, ascending=False)
    )


async def get_statement(actor: Actor, community_id: int, statement_id: int) -> dict[str, Any]:
    community = await communities.get_community(actor, community_id)
    return await _statement(statement_id, community_id=int(community["id"]))


async def get_credit_note(actor: Actor, community_id: int, note_id: int) -> dict[str, Any]:
    community = await communities.get_community(actor, community_id)
    row = await CommunityCreditNote.select().where(
        (CommunityCreditNote.id == note_id) & (CommunityCreditNote.community == community["id"])
    ).output(load_json=True).first()  # fmt: skip
    if row is None:
        raise NotFound("credit_note")
    statements = await CommunityStatement.select(
        CommunityStatement.id, CommunityStatement.number, CommunityStatement.session_count,
        CommunityStatement.energy_wh, CommunityStatement.gross_cents,
        CommunityStatement.member.name.as_alias("member_name"),
        CommunityStatement.member.email.as_alias("member_email"),
    ).where((CommunityStatement.community == community["id"]) & (CommunityStatement.period == row["period"])).order_by(
        CommunityStatement.member.email)  # fmt: skip
    return {**row, "statements": list(statements), "community_name": community["name"],
            "tenant_id": community["tenant"]}  # fmt: skip


async def _statement(
    statement_id: int, *, community_id: int | None = None, member_id: int | None = None
) -> dict[str, Any]:
    query = CommunityStatement.select(
        *CommunityStatement.all_columns(), CommunityStatement.member.name.as_alias("member_name"),
        CommunityStatement.member.email.as_alias("member_email"),
        CommunityStatement.tenant.name.as_alias("operator_name"),
    ).where(CommunityStatement.id == statement_id).output(load_json=True)  # fmt: skip
    if community_id is not None:
        query = query.where(CommunityStatement.community == community_id)
    if member_id is not None:
        query = query.where(CommunityStatement.member == member_id)
    row = await query.first()
    if row is None:
        raise NotFound("statement")
    community = await _community(int(row["community"]))
    lines = [{**line, "started_at": datetime.fromisoformat(line["started_at"])} for line in row["lines"] or []]
    return {**row, "lines": lines, "community_name": community["name"]}


async def member_statements(member_id: int) -> list[dict[str, Any]]:
    """The driver page: the member's own statements, newest first."""
    return list(
        await CommunityStatement.select(*CommunityStatement.all_columns(exclude=[CommunityStatement.lines]))
        .where(CommunityStatement.member == member_id)
        .order_by(CommunityStatement.period, ascending=False)
    )


async def member_statement(member_id: int, statement_id: int) -> dict[str, Any]:
    """One of the member's own statements (NotFound for anybody else's)."""
    return await _statement(statement_id, member_id=member_id)


async def member_sessions(member_id: int, limit: int = 200) -> list[dict[str, Any]]:
    """The member's sessions in the community (current CDRs of its cards in the community's group), newest first:
    date, charge point, energy and price at the community's tariff."""
    member = await CommunityMember.select(CommunityMember.community).where(CommunityMember.id == member_id).first()
    if member is None:
        return []
    community = await _community(int(member["community"]))
    cards = [row["card"] for row in await MemberCard.select(MemberCard.card).where(MemberCard.member == member_id)]
    if not cards:
        return []
    rows = await Cdr.select(
        Cdr.id, Cdr.session, Cdr.start_date_time, Cdr.end_date_time, Cdr.evse_id, Cdr.location_name, Cdr.token_uid,
        Cdr.total_energy, Cdr.currency, Cdr.total_cost_excl_vat, Cdr.total_vat, Cdr.total_cost_incl_vat,
    ).where(
        (Cdr.tenant == community["tenant"]) & (Cdr.driver_group == community["driver_group"]) & Cdr.card.is_in(cards)
    ).order_by(Cdr.start_date_time, ascending=False).limit(limit)  # fmt: skip
    current = {
        row["id"]: row["cdr_id"]
        for row in await ChargingSession.select(ChargingSession.id, ChargingSession.cdr_id).where(
            ChargingSession.id.is_in([row["session"] for row in rows] or [0])
        )
    }
    return [row for row in rows if current.get(row["session"]) == row["id"]]


async def staff_member_sessions(actor: Actor, community_id: int, member_id: int) -> list[dict[str, Any]]:
    """A member's sessions for staff with sessions.view as well as driver_groups.view."""
    actor.require(Permission.SESSIONS_VIEW)
    member = await communities.get_member(actor, community_id, member_id)
    return await member_sessions(int(member["id"]))


async def community_name(community_id: int) -> str:
    return str((await _community(community_id))["name"] or "")
