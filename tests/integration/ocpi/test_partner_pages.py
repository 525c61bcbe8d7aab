"""The portal's roaming pages: an EMP tenant adds a partner (token A shown once), registers with the extrawest peer
through the form, sees connection, roles, endpoints and the log (filters, CSV), renews and ends; a CPO tenant has
no connections of its own."""

from __future__ import annotations

import asyncio
import csv
import io
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from core.roaming import partners
from core.roaming.partners import PartnerState
from tests.ocpi_peer.peer import OcpiPeer
from tests.support import TenantCtx, app_client, login, post_form


@asynccontextmanager
async def portal_of(ctx: TenantCtx) -> AsyncIterator[httpx.AsyncClient]:
    async with app_client() as client:
        await login(client, ctx.admin["email"])
        await post_form(client, "/lang", {"language": "en", "next": "/"})
        yield client


async def test_a_new_partner_shows_token_a_once(emp_exw: TenantCtx) -> None:
    async with portal_of(emp_exw) as portal:
        listing = await portal.get("/roaming/partners")
        assert listing.status_code == 200 and 'data-testid="new-partner"' in listing.text
        created = await post_form(portal, "/roaming/partners", {"name": "Peer"}, follow_redirects=True)
        token = re.search(r'data-testid="token-a">([^<]+)<', created.text)
        assert token is not None and 'data-testid="versions-url"' in created.text
        caller = await partners.partner_for_token(token.group(1))
        assert caller is not None and caller.with_token_a
        again = await portal.get(str(created.url))
        assert 'data-testid="token-a"' not in again.text
        assert "Waiting for registration" in again.text
        # One connection per EMP tenant at a time.
        second = await post_form(portal, "/roaming/partners", {"name": "Other"})
        assert second.status_code == 400 and "already has a roaming connection" in second.text


async def test_register_with_the_peer_from_the_portal_then_log_renew_and_end(
    ocpi_emsp: OcpiPeer, csms_public_url: str, emp_exw: TenantCtx
) -> None:
    token_a = await ocpi_emsp.token_a()
    async with portal_of(emp_exw) as portal:
        form = {"name": "extrawest", "versions_url": ocpi_emsp.versions_url, "token_a": token_a}
        page = await post_form(portal, "/roaming/partners/connect", form, follow_redirects=True)
        assert "Registered with extrawest." in page.text, page.text[:2000]
        assert 'data-testid="partner-roles"' in page.text and "EXW" in page.text
        assert 'data-testid="partner-endpoints"' in page.text and "Connected" in page.text
        partner_id = int(str(page.url).rstrip("/").rsplit("/", 1)[1])

        # csms: versions, details, POST credentials; the peer, answering the POST: csms's versions and details
        # (which the other csms process logs once its answers are sent).
        for _ in range(50):
            log = await portal.get(f"/roaming/partners/{partner_id}/log?period=all")
            if log.text.count('data-testid="exchange-row"') == 5:
                break
            await asyncio.sleep(0.1)
        assert log.text.count('data-testid="exchange-row"') == 5
        incoming = await portal.get(f"/roaming/partners/{partner_id}/log?period=all&direction=in")
        assert incoming.text.count('data-testid="exchange-row"') == 2
        posts = await portal.get(f"/roaming/partners/{partner_id}/log?period=all&module=credentials")
        assert posts.text.count('data-testid="exchange-row"') == 1
        errors = await portal.get(f"/roaming/partners/{partner_id}/log?period=all&outcome=errors")
        assert 'data-testid="log-empty"' in errors.text
        exported = await portal.get(f"/roaming/partners/{partner_id}/log.csv?period=all")
        rows = list(csv.reader(io.StringIO(exported.text.lstrip("\ufeff"))))
        assert rows[0][:4] == ["id", "time_utc", "direction", "method"] and len(rows) == 6

        renewed = await post_form(portal, f"/roaming/partners/{partner_id}/rotate", {}, follow_redirects=True)
        assert "The credentials tokens were renewed." in renewed.text
        ended = await post_form(portal, f"/roaming/partners/{partner_id}/end", {}, follow_redirects=True)
        assert "The connection was ended." in ended.text
        assert (await partners.get_partner(emp_exw.actor, partner_id))["state"] == PartnerState.ENDED
        assert await ocpi_emsp.partners() == []


async def test_a_failed_registration_is_explained_and_logged(emp_exw: TenantCtx) -> None:
    async with portal_of(emp_exw) as portal:
        form = {"name": "Nowhere", "versions_url": "http://127.0.0.1:9/ocpi/versions", "token_a": "abc"}
        page = await post_form(portal, "/roaming/partners/connect", form, follow_redirects=True)
        assert "The registration failed" in page.text
    (partner,) = await partners.list_partners(emp_exw.actor)
    assert partner["state"] == PartnerState.NEW


async def test_a_cpo_has_no_connections_of_its_own(admin_client: httpx.AsyncClient) -> None:
    page = await admin_client.get("/roaming/partners")
    assert page.status_code == 200 and 'data-testid="no-own-partners"' in page.text
    assert 'href="/roaming/partners"' in page.text  # the menu entry
    refused = await post_form(admin_client, "/roaming/partners", {"name": "x"}, follow_redirects=True)
    assert "Only an EMP tenant or the roaming hub operator" in refused.text
