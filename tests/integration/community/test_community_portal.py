"""Community charging through HTTP: the staff pages (create, invite, members, statements, credit note) and the
driver page (magic link shown then used once, driver session cookie, sessions and statements, used and unknown
links in de/en, the neutral link request, logout)."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

import httpx

from core.community import statements
from core.community.demo import card_session
from core.community.links import COOKIE
from core.community.tables import Community
from tests.integration.community.helpers import community_with_point, link_token, mails_to, member
from tests.support import TenantCtx, app_client, post_form


async def test_staff_create_invite_and_read_statements(admin_client: httpx.AsyncClient, cpo: TenantCtx) -> None:
    setup = await community_with_point(cpo, name="Wohnanlage Süd")
    tariff_id = setup.community["tariff_id"]
    missing = await post_form(admin_client, "/communities", {"name": "Ohne Tarif", "tariff_id": ""})
    assert missing.status_code == 400 and "Choose the community&#39;s tariff." in missing.text
    created = await post_form(admin_client, "/communities", {"name": "Büro", "tariff_id": str(tariff_id)},
                              follow_redirects=False)  # fmt: skip
    assert created.status_code == 303
    url = created.headers["location"]
    assert await Community.exists().where(Community.id == int(url.rsplit("/", 1)[1]))
    listing = await admin_client.get("/communities")
    assert "Büro" in listing.text and "Wohnanlage Süd" in listing.text

    anna = f"anna-{uuid.uuid4().hex[:6]}@example.org"
    invited = await post_form(admin_client, f"{url}/invite", {"emails": f"Anna A <{anna}>\nkaputt", "language": "en"})
    assert invited.status_code == 400 and "Not an e-mail address: kaputt" in invited.text
    invited = await post_form(
        admin_client, f"{url}/invite", {"emails": f"Anna A <{anna}>", "language": "en"}, follow_redirects=True
    )
    assert invited.status_code == 200 and "1 invited, 0 already members." in invited.text
    assert anna in invited.text and 'data-testid="member-status">Invited' in invited.text
    assert len(await mails_to(anna, "community_invite")) == 1

    # statements of the other community: listed with the member, printable, and the credit note
    erik = await member(cpo, setup.community, f"erik-{uuid.uuid4().hex[:6]}@example.org")
    await card_session(cpo.id, setup.charge_point_id, erik["card_id"], datetime(2026, 11, 2, 9, tzinfo=UTC), 1, 12_000)
    await statements.write_month(setup.community["id"], "2026-11")
    detail = await admin_client.get(f"/communities/{setup.community['id']}")
    statement_url = re.search(r'href="(/communities/\d+/statements/\d+)"', detail.text)
    note_url = re.search(r'href="(/communities/\d+/credit-notes/\d+)"', detail.text)
    assert statement_url and note_url
    statement = await admin_client.get(statement_url.group(1))
    # 12 kWh x 0.30 = 3.60 net, 0.68 VAT, 4.28 gross
    assert 'data-testid="statement-gross">4.28 EUR' in statement.text and "12.00 kWh" in statement.text
    note = await admin_client.get(note_url.group(1))
    assert 'data-testid="credit-note-gross">4.28 EUR' in note.text and erik["email"] in note.text
    sessions = await admin_client.get(f"/communities/{setup.community['id']}/members/{erik['id']}")
    assert sessions.status_code == 200 and "12.00 kWh" in sessions.text


async def test_driver_link_page_session_and_outcomes(cpo: TenantCtx, other_cpo: TenantCtx) -> None:
    setup = await community_with_point(cpo, name="Mieter Nord")
    address = f"fiona-{uuid.uuid4().hex[:6]}@example.org"
    fiona = await member(cpo, setup.community, address, "en")
    await card_session(cpo.id, setup.charge_point_id, fiona["card_id"], datetime(2026, 11, 3, 9, tzinfo=UTC), 1, 20_000)
    await statements.write_month(setup.community["id"], "2026-11")
    token = await link_token(address)
    async with app_client() as driver:
        shown = await driver.get(f"/driver/link/{token}")
        assert shown.status_code == 200 and 'data-testid="open-page"' in shown.text
        assert await driver.get(f"/driver/link/{token}") is not None  # showing twice does not use it
        opened = await post_form(driver, f"/driver/link/{token}", {}, follow_redirects=False)
        assert opened.status_code == 303 and opened.headers["location"] == "/driver"
        cookie = opened.headers["set-cookie"]
        assert COOKIE in cookie and "HttpOnly" in cookie and "Path=/driver" in cookie
        home = await driver.get("/driver")
        assert 'data-testid="driver-home"' in home.text and "Mieter Nord" in home.text
        assert "20.00 kWh" in home.text and "7.14 EUR" in home.text  # 6.00 net + 1.14 VAT
        statement_id = (await statements.member_statements(fiona["id"]))[0]["id"]
        page = await driver.get(f"/driver/statements/{statement_id}")
        assert 'data-testid="statement-gross">7.14 EUR' in page.text
        # the link once more: used, in English (the member's language) and in German
        again = await post_form(driver, f"/driver/link/{token}", {})
        assert again.status_code == 410 and "This link was used already" in again.text
        await driver.get("/lang/de?next=/driver")
        german = await driver.get(f"/driver/link/{token}")
        assert german.status_code == 410 and "Dieser Link wurde bereits verwendet" in german.text
        unknown = await driver.get("/driver/link/no-such-link")
        assert unknown.status_code == 404 and "Dieser Link ist ungültig" in unknown.text
        # another tenant's statement ids are not the driver's
        other = await community_with_point(other_cpo)
        ida = await member(other_cpo, other.community, f"ida-{uuid.uuid4().hex[:6]}@example.org")
        await card_session(
            other_cpo.id, other.charge_point_id, ida["card_id"], datetime(2026, 11, 4, tzinfo=UTC), 1, 1000
        )
        await statements.write_month(other.community["id"], "2026-11")
        foreign = (await statements.member_statements(ida["id"]))[0]["id"]
        assert (await driver.get(f"/driver/statements/{foreign}")).status_code == 404
        # logging out ends the session on the server: the old cookie opens nothing
        old_cookie = driver.cookies.get(COOKIE, path="/driver")
        await post_form(driver, "/driver/logout", {})
        assert 'data-testid="driver-login"' in (await driver.get("/driver")).text
    async with app_client() as replay:
        replay.cookies.set(COOKIE, old_cookie or "", path="/driver")
        assert 'data-testid="driver-login"' in (await replay.get("/driver")).text


async def test_link_request_is_neutral(cpo: TenantCtx) -> None:
    setup = await community_with_point(cpo)
    address = f"gina-{uuid.uuid4().hex[:6]}@example.org"
    await member(cpo, setup.community, address)
    async with app_client() as driver:
        known = await post_form(driver, "/driver/login", {"email": address})
        unknown = await post_form(driver, "/driver/login", {"email": f"x-{uuid.uuid4().hex[:6]}@example.org"})
        assert known.status_code == unknown.status_code == 200
        assert 'data-testid="link-sent"' in known.text and 'data-testid="link-sent"' in unknown.text
        assert len(await mails_to(address, "community_login")) == 1
        token = await link_token(address, "community_login")
        assert (await post_form(driver, f"/driver/link/{token}", {}, follow_redirects=False)).status_code == 303
