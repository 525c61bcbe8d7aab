"""Community charging in core: invitations, magic links (single use, expiry, removal, throttles), driver sessions,
the monthly statements and credit note (month edges, idempotent, resumed after a crash), isolation."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from core.community import communities, links, statements
from core.community.demo import card_session
from core.community.links import LinkOutcome
from core.community.tables import CommunityCreditNote, CommunityMember, CommunityStatement, DriverLink
from core.errors import Conflict, NotFound, Throttled, ValidationError
from core.mail.tables import Mail
from tests.integration.community.helpers import community_with_point, link_token, mails_to, member
from tests.support import TenantCtx


def _address(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:8]}@example.org"


async def test_invite_many_and_skip_members(cpo: TenantCtx) -> None:
    setup = await community_with_point(cpo)
    anna, bernd = _address("anna"), _address("bernd")
    result = await communities.invite(cpo.actor, setup.community["id"], f"{anna};\nBernd Berg <{bernd.upper()}>", "en")
    assert result == {"invited": [anna, bernd], "skipped": []}
    again = await communities.invite(cpo.actor, setup.community["id"], anna, "de")
    assert again == {"invited": [], "skipped": [anna]}
    rows = await communities.list_members(cpo.actor, setup.community["id"])
    assert {(r["email"], r["name"], r["status"], r["language"]) for r in rows} == {
        (anna, "", "INVITED", "en"), (bernd, "Bernd Berg", "INVITED", "en")}  # fmt: skip
    mail = (await mails_to(bernd, "community_invite"))[0]
    assert mail["language"] == "en" and "Mieter Hof" in mail["subject"] and "valid for 7 days" in mail["body_text"]
    with pytest.raises(ValidationError):
        await communities.invite(cpo.actor, setup.community["id"], "no address here")
    # the link is stored hashed: the token from the mail is nowhere in the table
    token = await link_token(anna)
    assert not await DriverLink.exists().where(DriverLink.token_hash == token)
    assert await DriverLink.exists().where(DriverLink.token_hash == links.token_hash(token))
    # resend: a second invitation mail with a new link
    anna_row = next(r for r in rows if r["email"] == anna)
    await communities.resend_invitation(cpo.actor, setup.community["id"], anna_row["id"])
    assert len(await mails_to(anna, "community_invite")) == 2 and await link_token(anna) != token


async def test_magic_link_single_use_expiry_and_removal(cpo: TenantCtx) -> None:
    setup = await community_with_point(cpo)
    address = _address("carla")
    row = await member(cpo, setup.community, address)
    token = await link_token(address)
    source = f"src-{uuid.uuid4().hex[:6]}"
    assert await links.peek_link(token, source) is LinkOutcome.OK  # looking does not use it
    opened = await links.use_link(token, source)
    assert opened.outcome is LinkOutcome.OK and opened.member_id == row["id"]
    assert (await links.member_of_session(opened.session_token) or {}).get("id") == row["id"]
    status = await CommunityMember.select(CommunityMember.status).where(CommunityMember.id == row["id"]).first()
    assert status == {"status": "ACTIVE"}
    # the second time: used
    assert (await links.use_link(token, source)).outcome is LinkOutcome.USED
    assert await links.peek_link(token, source) is LinkOutcome.USED
    # an expired login link
    await links.request_login_links(address, source)
    login = await link_token(address, "community_login")
    await DriverLink.update({DriverLink.expires_at: datetime.now(UTC) - timedelta(seconds=1)}).where(
        DriverLink.token_hash == links.token_hash(login)
    )
    assert (await links.use_link(login, source)).outcome is LinkOutcome.EXPIRED
    assert (await links.use_link("made-up-token", source)).outcome is LinkOutcome.INVALID
    # logging out revokes the session on the server
    await links.end_session(opened.session_token)
    assert await links.member_of_session(opened.session_token) is None
    # removing the member ends its other sessions and unused links, and takes its card out of the group
    await links.request_login_links(address, source)
    fresh = await link_token(address, "community_login")
    second = await links.use_link(fresh, source)
    await links.request_login_links(address, source)
    unused = await link_token(address, "community_login")
    await communities.remove_member(cpo.actor, setup.community["id"], row["id"])
    assert await links.member_of_session(second.session_token) is None
    assert (await links.use_link(unused, source)).outcome in (LinkOutcome.EXPIRED, LinkOutcome.INVALID)
    assert (await communities.get_member(cpo.actor, setup.community["id"], row["id"]))["cards"] == []
    # invited again: a new invitation
    await communities.invite(cpo.actor, setup.community["id"], address)
    assert (await communities.get_member(cpo.actor, setup.community["id"], row["id"]))["status"] == "INVITED"


async def test_link_requests_are_throttled_and_silent(cpo: TenantCtx) -> None:
    setup = await community_with_point(cpo)
    address = _address("dora")
    await member(cpo, setup.community, address)
    source = f"src-{uuid.uuid4().hex[:6]}"
    await links.request_login_links(address, source)
    assert len(await mails_to(address, "community_login")) == 1
    stranger = _address("nobody")
    await links.request_login_links(stranger, source)  # no error, no mail: nothing tells who is a member
    assert await mails_to(stranger, "community_login") == []
    for _ in range(links.REQUESTS_PER_ADDRESS - 1):
        await links.request_login_links(address, f"other-{uuid.uuid4().hex[:6]}")
    with pytest.raises(Throttled):
        await links.request_login_links(address, f"other-{uuid.uuid4().hex[:6]}")
    with pytest.raises(Throttled):  # per source address too, for addresses that are no members
        for _ in range(links.REQUESTS_PER_SOURCE + 1):
            await links.request_login_links(_address("scan"), source)
    # guessing links from one source address is throttled as well
    guesser = f"guess-{uuid.uuid4().hex[:6]}"
    with pytest.raises(Throttled):
        for _ in range(links.FAILED_OPENS_PER_SOURCE + 1):
            await links.use_link(uuid.uuid4().hex, guesser)


async def test_monthly_statements_edges_idempotent_and_resumed(cpo: TenantCtx) -> None:
    setup = await community_with_point(cpo, per_kwh="0.30")
    community = setup.community
    erik, fiona = _address("erik"), _address("fiona")
    erik_row = await member(cpo, community, erik, "de")
    fiona_row = await member(cpo, community, fiona, "en")
    point = setup.charge_point_id
    # Berlin: November begins 31 October 23:00 UTC (CET), December 30 November 23:00 UTC
    last_of_october = datetime(2026, 10, 31, 22, 59, tzinfo=UTC)
    first_of_november = datetime(2026, 10, 31, 23, 0, tzinfo=UTC)
    last_of_november = datetime(2026, 11, 30, 22, 59, tzinfo=UTC)
    first_of_december = datetime(2026, 11, 30, 23, 0, tzinfo=UTC)
    await card_session(cpo.id, point, erik_row["card_id"], last_of_october, 1, 5_000)
    await card_session(cpo.id, point, erik_row["card_id"], first_of_november, 1, 10_000)
    await card_session(cpo.id, point, erik_row["card_id"], last_of_november, 1, 20_000)
    await card_session(cpo.id, point, erik_row["card_id"], first_of_december, 1, 7_000)
    await card_session(cpo.id, point, fiona_row["card_id"], datetime(2026, 11, 15, 9, tzinfo=UTC), 2, 30_000)

    # a crash after Erik's statement: his is there, Fiona's and the credit note are not
    community_row = await statements._community(community["id"])
    month = statements.Month(2026, 11)
    assert await statements._write_statement(community_row, erik_row, month, "CPO")
    assert await statements.write_month(community["id"], "2026-11") == 1  # the rest: Fiona's
    assert await statements.write_month(community["id"], "2026-11") == 0  # run twice: nothing new
    rows = await CommunityStatement.select().where(CommunityStatement.community == community["id"]).output(
        load_json=True)  # fmt: skip
    by_member = {row["member"]: row for row in rows}
    assert len(rows) == 2
    erik_statement = by_member[erik_row["id"]]
    # the two November sessions only (10 + 20 kWh at 0.30 net, 19 % VAT per session): 3.00 + 6.00 net
    assert (erik_statement["session_count"], erik_statement["energy_wh"]) == (2, 30_000)
    assert (erik_statement["net_cents"], erik_statement["vat_cents"], erik_statement["gross_cents"]) == (900, 171, 1071)
    assert erik_statement["vat"] == [{"rate": "19.00", "net_cents": 900, "vat_cents": 171, "gross_cents": 1071}]
    assert by_member[fiona_row["id"]]["gross_cents"] == 1071  # 30 kWh: 9.00 + 1.71
    notes = await CommunityCreditNote.select().where(CommunityCreditNote.community == community["id"])
    assert len(notes) == 1
    assert (notes[0]["statement_count"], notes[0]["session_count"], notes[0]["gross_cents"]) == (2, 3, 2142)
    # one statement mail each, in the member's language
    erik_mails = await mails_to(erik, "community_statement")
    fiona_mails = await mails_to(fiona, "community_statement")
    assert len(erik_mails) == 1 and len(fiona_mails) == 1
    assert "10,71 EUR" in erik_mails[0]["body_text"] and "10.71 EUR" in fiona_mails[0]["body_text"]
    # October and December each hold one of Erik's sessions
    await statements.write_month(community["id"], "2026-10")
    await statements.write_month(community["id"], "2026-12")
    october = await CommunityStatement.select().where(
        (CommunityStatement.community == community["id"]) & (CommunityStatement.period == "2026-10"))  # fmt: skip
    december = await CommunityStatement.select().where(
        (CommunityStatement.community == community["id"]) & (CommunityStatement.period == "2026-12"))  # fmt: skip
    assert [r["energy_wh"] for r in october] == [5_000] and [r["energy_wh"] for r in december] == [7_000]
    # a month without sessions: no statements, a zero credit note (the month is done)
    await statements.write_month(community["id"], "2026-09")
    september = await CommunityCreditNote.select().where(
        (CommunityCreditNote.community == community["id"]) & (CommunityCreditNote.period == "2026-09")
    ).first()  # fmt: skip
    assert september is not None and september["gross_cents"] == 0 and september["statement_count"] == 0
    with pytest.raises(ValueError):
        await statements.write_month(community["id"], "2026-13")


async def test_due_months_enqueues_last_completed_month_once(cpo: TenantCtx) -> None:
    from core import jobs

    setup = await community_with_point(cpo)
    from core.community.tables import Community

    await Community.update({Community.created_at: datetime(2026, 1, 10, tzinfo=UTC)}).where(
        Community.id == setup.community["id"]
    )
    enqueued: list[tuple[int, str]] = []
    jobs.register(statements.JOB, lambda community_id, period: enqueued.append((community_id, period)))
    try:
        # 1 January 2027, 00:30 in Berlin: December 2026 is due
        due = await statements.due_months(datetime(2026, 12, 31, 23, 30, tzinfo=UTC))
        assert (setup.community["id"], "2026-12") in due and (setup.community["id"], "2026-12") in enqueued
        await statements.write_month(setup.community["id"], "2026-12")
        again = await statements.due_months(datetime(2026, 12, 31, 23, 45, tzinfo=UTC))
        assert (setup.community["id"], "2026-12") not in again
    finally:
        from workers.actors import register_jobs

        register_jobs()


async def test_isolation_between_tenants_and_drivers(cpo: TenantCtx, other_cpo: TenantCtx) -> None:
    setup = await community_with_point(cpo)
    gina, hans = _address("gina"), _address("hans")
    gina_row = await member(cpo, setup.community, gina)
    hans_row = await member(cpo, setup.community, hans)
    await card_session(
        cpo.id, setup.charge_point_id, gina_row["card_id"], datetime(2026, 11, 5, 8, tzinfo=UTC), 1, 4_000
    )
    await card_session(
        cpo.id, setup.charge_point_id, hans_row["card_id"], datetime(2026, 11, 6, 8, tzinfo=UTC), 1, 6_000
    )
    await statements.write_month(setup.community["id"], "2026-11")
    # another tenant sees nothing of it
    with pytest.raises(NotFound):
        await communities.get_community(other_cpo.actor, setup.community["id"])
    with pytest.raises(NotFound):
        await communities.invite(other_cpo.actor, setup.community["id"], _address("x"))
    with pytest.raises(NotFound):
        await statements.list_statements(other_cpo.actor, setup.community["id"])
    assert all(c["id"] != setup.community["id"] for c in await communities.list_communities(other_cpo.actor))
    # a driver sees its own sessions and statements only
    gina_sessions = await statements.member_sessions(gina_row["id"])
    assert [int(s["total_energy"] * 1000) for s in gina_sessions] == [4_000]
    gina_statements = await statements.member_statements(gina_row["id"])
    hans_statements = await statements.member_statements(hans_row["id"])
    assert len(gina_statements) == 1 and len(hans_statements) == 1
    with pytest.raises(NotFound):
        await statements.member_statement(gina_row["id"], hans_statements[0]["id"])
    # a card another member holds cannot be given to a second member
    with pytest.raises(Conflict):
        await communities.assign_card(cpo.actor, setup.community["id"], gina_row["id"], hans_row["card_id"])
    # and the other tenant's card is not found
    other_setup = await community_with_point(other_cpo)
    other_member = await member(other_cpo, other_setup.community, _address("ida"))
    with pytest.raises(NotFound):
        await communities.assign_card(cpo.actor, setup.community["id"], gina_row["id"], other_member["card_id"])
    assert await Mail.count().where(Mail.tenant == other_cpo.id) == 1  # Ida's invitation only


async def test_the_job_is_wired_and_the_new_year_goes_to_january(cpo: TenantCtx) -> None:
    from workers.actors import JOBS
    from workers.community_actors import write_statements

    assert JOBS[statements.JOB] is write_statements and write_statements.options["max_retries"] == 3
    setup = await community_with_point(cpo)
    jana = await member(cpo, setup.community, _address("jana"))
    await card_session(
        cpo.id, setup.charge_point_id, jana["card_id"], datetime(2027, 1, 1, 0, 30, tzinfo=UTC), 1, 2_000
    )
    # 1 January 2027 01:30 in Berlin: January, not December
    await statements.write_month(setup.community["id"], "2026-12")
    await statements.write_month(setup.community["id"], "2027-01")
    await statements.write_month(setup.community["id"], "2027-01")
    rows = await CommunityStatement.select(CommunityStatement.period).where(CommunityStatement.member == jana["id"])
    assert [row["period"] for row in rows] == ["2027-01"]
    assert await CommunityCreditNote.count().where(CommunityCreditNote.community == setup.community["id"]) == 2
    assert len(await mails_to(jana["email"], "community_statement")) == 1
