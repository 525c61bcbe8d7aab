"""A reseller's sub-CPOs (seed 003): onboarding with company data, debtor number and party id; the first
administrator's invitation mail (a real SMTP server) and its single-use set-password link; master data; isolation
between resellers; the reseller model set by the CLI; CPOs refused."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from core.errors import Conflict, PermissionDenied, ValidationError
from core.mail.tables import Mail
from core.resellers import sub_cpos
from core.tenancy import invitations
from core.tenancy.tables import AuditEntry, StaffInvitation, StaffUser, Tenant
from tests.integration.mail.conftest import SmtpServer, send_queued, smtp_server, smtp_settings  # noqa: F401
from tests.support import TenantCtx, app_client, csms_cli, login, make_tenant, post_form

COMPANY = {
    "legal_name": "Stadtwerke Nord GmbH", "street": "Hafenstr. 2", "postal_code": "20457", "city": "Hamburg",
    "address_country": "DE", "vat_id": "DE 987654321", "commercial_register": "Amtsgericht Hamburg HRB 7",
    "support_email": "hilfe@nord.example", "hotline": "+49 40 1234",
}  # fmt: skip


def party() -> str:
    return uuid.uuid4().hex[:3].upper()


def onboarding(**changes: str) -> dict[str, str]:
    slug = f"sub-{uuid.uuid4().hex[:8]}"
    form = {"name": "Stadtwerke Nord", "slug": slug, "country_code": "DE", "party_id": party(),
            "debtor_number": f"D-{uuid.uuid4().hex[:8]}", "admin_name": "Nora Nord",
            "admin_email": f"{slug}@nord.example", **COMPANY}  # fmt: skip
    return {**form, **changes}


@pytest.fixture
async def reseller() -> TenantCtx:
    return await make_tenant(kind="RESELLER")


@pytest.fixture
async def reseller_client(reseller: TenantCtx) -> AsyncIterator[httpx.AsyncClient]:
    async with app_client() as client:
        await login(client, reseller.admin["email"])
        await post_form(client, "/lang", {"language": "en", "next": "/"})
        yield client


def link_in(text: str) -> str:
    found = re.search(r"https?://\S+/invitation/([A-Za-z0-9_-]+)", text)
    assert found is not None, text
    return found.group(1)


async def test_a_reseller_onboards_a_sub_cpo_whose_admin_sets_a_password_by_the_mailed_link(
    reseller: TenantCtx,
    reseller_client: httpx.AsyncClient,
    smtp_settings: SmtpServer,  # noqa: F811
) -> None:
    smtp_settings.start()
    listing = await reseller_client.get("/resellers/sub-cpos")
    assert listing.status_code == 200 and 'data-testid="nav-sub-cpos"' in listing.text
    assert "Reseller model" in listing.text and 'data-testid="sub-cpos-empty"' in listing.text

    taken = await make_tenant(country="DE")
    await Tenant.update({Tenant.party_id: "QQ1", Tenant.debtor_number: "D-TAKEN"}).where(Tenant.id == taken.id)
    form = onboarding()
    wrong = await post_form(reseller_client, "/resellers/sub-cpos",
                            {**form, "party_id": "qq1", "debtor_number": "D-TAKEN", "postal_code": "2045"})  # fmt: skip
    assert wrong.status_code == 400
    assert 'id="error-postal_code"' in wrong.text and 'value="2045"' in wrong.text  # the company checks, input kept
    bad_party = await post_form(reseller_client, "/resellers/sub-cpos", {**form, "party_id": "Q!"})
    assert bad_party.status_code == 400 and 'id="error-party_id"' in bad_party.text
    duplicate = await post_form(reseller_client, "/resellers/sub-cpos", {**form, "party_id": "qq1",
                                                                           "debtor_number": "D-TAKEN"})  # fmt: skip
    assert duplicate.status_code == 400
    assert "Another tenant in this country has this party id." in duplicate.text
    assert "Another tenant has this debtor number." in duplicate.text
    assert not await Tenant.exists().where(Tenant.slug == form["slug"])
    # the same party id in another country is another party
    elsewhere = await sub_cpos.onboard(reseller.actor, onboarding(country_code="AT", party_id="QQ1"))
    assert elsewhere["party_id"] == "QQ1" and elsewhere["country_code"] == "AT"

    created = await post_form(reseller_client, "/resellers/sub-cpos", form, follow_redirects=False)
    assert created.status_code == 303, created.text
    sub = await Tenant.select().where(Tenant.slug == form["slug"]).first()
    assert sub is not None and sub["parent"] == reseller.id and sub["kind"] == "CPO"
    assert sub["party_id"] == form["party_id"] and sub["debtor_number"] == form["debtor_number"]
    assert sub["legal_name"] == "Stadtwerke Nord GmbH" and sub["vat_id"] == "DE987654321"
    assert created.headers["location"] == f"/resellers/sub-cpos/{sub['id']}"
    admin = await StaffUser.select().where(StaffUser.email == form["admin_email"]).first()
    assert admin is not None and admin["is_admin"] and admin["tenant"] == sub["id"]
    assert await AuditEntry.exists().where((AuditEntry.entity_type == "sub_cpo") & (AuditEntry.entity_id == sub["id"]))

    listing = await reseller_client.get("/resellers/sub-cpos")
    assert listing.text.count('data-testid="sub-cpo-row"') == 2 and form["debtor_number"] in listing.text

    [mail] = await Mail.select().where((Mail.recipient == form["admin_email"]) & (Mail.kind == "staff_invitation"))
    assert mail["language"] == "de" and mail["tenant"] == sub["id"]  # the sub-CPO's language (DE)
    await send_queued(form["admin_email"], "staff_invitation")
    [received] = smtp_settings.inbox.to(form["admin_email"])
    assert "Stadtwerke Nord" in received["Subject"]
    token = link_in(received.get_body(preferencelist=("plain",)).get_content())  # type: ignore[union-attr]
    stored = await StaffInvitation.select().where(StaffInvitation.user == admin["id"])
    assert len(stored) == 1 and stored[0]["token_hash"] != token and len(stored[0]["token_hash"]) == 64

    async with app_client() as invited:
        shown = await invited.get(f"/invitation/{token}")
        assert shown.status_code == 200 and form["admin_email"] in shown.text
        again = await invited.get(f"/invitation/{token}")  # a mail scanner's GET does not use the link
        assert again.status_code == 200
        short = await post_form(invited, f"/invitation/{token}", {"password": "short", "repeat_password": "short"})
        assert short.status_code == 400 and 'id="error-password"' in short.text
        differ = await post_form(invited, f"/invitation/{token}",
                                 {"password": "nord-admin-2026", "repeat_password": "nord-admin-2027"})  # fmt: skip
        assert differ.status_code == 400 and 'id="error-repeat_password"' in differ.text
        done = await post_form(invited, f"/invitation/{token}",
                               {"password": "nord-admin-2026", "repeat_password": "nord-admin-2026"},
                               follow_redirects=False)  # fmt: skip
        assert done.status_code == 303 and done.headers["location"] == "/"
        home = await invited.get("/")
        assert home.status_code == 200 and form["admin_email"] in home.text  # logged in
        used = await post_form(invited, f"/invitation/{token}",
                               {"password": "other-pass-2026", "repeat_password": "other-pass-2026"})  # fmt: skip
        assert used.status_code == 410 and 'data-outcome="USED"' in used.text
    async with app_client() as later:
        await login(later, form["admin_email"], "nord-admin-2026")  # the password set through the link
    with pytest.raises(Conflict):  # nobody left to invite
        await sub_cpos.resend_invitation(reseller.actor, sub["id"])


async def test_resending_the_invitation_ends_the_earlier_link(reseller: TenantCtx) -> None:
    sub = await sub_cpos.onboard(reseller.actor, onboarding())
    first = await StaffInvitation.select().where(StaffInvitation.user == sub["admins"][0]["id"])
    token = await invitations.issue(sub["admins"][0]["id"])  # as the resend does, with the token at hand
    assert (await invitations.peek(token, "203.0.113.9")).outcome is invitations.InvitationOutcome.OK
    old = await StaffInvitation.select().where(StaffInvitation.id == first[0]["id"]).first()
    assert old is not None and old["expires_at"] <= datetime.now(UTC)
    email = await sub_cpos.resend_invitation(reseller.actor, sub["id"])
    assert email == sub["admins"][0]["email"]
    assert await Mail.count().where((Mail.recipient == email) & (Mail.kind == "staff_invitation")) == 2
    assert (await invitations.peek(token, "203.0.113.9")).outcome is invitations.InvitationOutcome.EXPIRED


async def test_expired_unknown_and_throttled_links(reseller: TenantCtx, monkeypatch: pytest.MonkeyPatch) -> None:
    sub = await sub_cpos.onboard(reseller.actor, onboarding())
    user_id = sub["admins"][0]["id"]
    token = await invitations.issue(user_id)
    await StaffInvitation.update({StaffInvitation.expires_at: datetime.now(UTC) - timedelta(seconds=1)}).where(
        StaffInvitation.token_hash == invitations.sha256_hex(token))  # fmt: skip
    async with app_client() as client:
        expired = await client.get(f"/invitation/{token}")
        assert expired.status_code == 410 and 'data-outcome="EXPIRED"' in expired.text
        posted = await post_form(client, f"/invitation/{token}",
                                 {"password": "nord-admin-2026", "repeat_password": "nord-admin-2026"})  # fmt: skip
        assert posted.status_code == 410
        unknown = await client.get("/invitation/not-a-token")
        assert unknown.status_code == 404 and 'data-outcome="INVALID"' in unknown.text
        user = await StaffUser.select(StaffUser.password_changed_at).where(StaffUser.id == user_id).first()
        assert user is not None and user["password_changed_at"] is None  # nothing was set

    monkeypatch.setattr(invitations, "FAILED_OPENS_PER_SOURCE", 3)
    fresh = await invitations.issue(user_id)
    async with app_client() as client:
        for _ in range(3):
            assert (await client.get(f"/invitation/guess-{uuid.uuid4().hex}")).status_code == 404
        throttled = await client.get(f"/invitation/{fresh}")  # even a good link waits: the address is throttled
        assert throttled.status_code == 429 and "Retry-After" in throttled.headers
        refused = await post_form(client, f"/invitation/{fresh}",
                                  {"password": "nord-admin-2026", "repeat_password": "nord-admin-2026"})  # fmt: skip
        assert refused.status_code == 429
    async with app_client() as other_address:
        assert (await other_address.get(f"/invitation/{fresh}")).status_code == 200


async def test_master_data_is_edited_and_resellers_see_only_their_own_sub_cpos(
    reseller: TenantCtx, reseller_client: httpx.AsyncClient, cpo: TenantCtx, admin_client: httpx.AsyncClient
) -> None:
    sub = await sub_cpos.onboard(reseller.actor, onboarding())
    url = f"/resellers/sub-cpos/{sub['id']}"
    page = await reseller_client.get(url)
    assert page.status_code == 200 and 'data-testid="resend-invitation"' in page.text
    wrong = await post_form(reseller_client, url, {**COMPANY, "debtor_number": "", "vat_id": "123"})
    assert wrong.status_code == 400 and 'id="error-debtor_number"' in wrong.text and 'id="error-vat_id"' in wrong.text
    saved = await post_form(reseller_client, url, {**COMPANY, "debtor_number": "D-NEU-1", "city": "Lübeck",
                                                   "postal_code": "23552"}, follow_redirects=False)  # fmt: skip
    assert saved.status_code == 303
    row = await Tenant.select().where(Tenant.id == sub["id"]).first()
    assert row is not None and row["debtor_number"] == "D-NEU-1" and row["city"] == "Lübeck"
    assert "D-NEU-1" in (await reseller_client.get(url)).text

    other = await make_tenant(kind="RESELLER")
    async with app_client() as other_client:
        await login(other_client, other.admin["email"])
        assert (await other_client.get(url)).status_code == 404
        assert sub["debtor_number"] not in (await other_client.get("/resellers/sub-cpos")).text
        refused = await post_form(other_client, url, {**COMPANY, "debtor_number": "STOLEN"})
        assert refused.status_code == 404
        assert (await post_form(other_client, f"{url}/invitation", {})).status_code == 404
        assert (await other_client.get("/resellers/usage", params={"sub_cpo": sub["id"]})).status_code == 404
    row = await Tenant.select(Tenant.debtor_number).where(Tenant.id == sub["id"]).first()
    assert row is not None and row["debtor_number"] == "D-NEU-1"
    with pytest.raises(Exception):  # noqa: B017 - NotFound, whatever its wording
        await sub_cpos.get_sub_cpo(other.actor, sub["id"])

    # a CPO (and a sub-CPO itself) has no sub-CPO pages, even as an administrator
    for path in ("/resellers/sub-cpos", "/resellers/sub-cpos/new", "/resellers/usage", "/resellers/usage.csv", url):
        response = await admin_client.get(path)
        assert response.status_code in (403, 404), (path, response.status_code)
    assert 'data-testid="nav-sub-cpos"' not in (await admin_client.get("/")).text
    refused = await post_form(admin_client, "/resellers/sub-cpos", onboarding())
    assert refused.status_code == 403
    with pytest.raises(PermissionDenied):
        await sub_cpos.list_sub_cpos(cpo.actor)


async def test_the_platform_operator_sets_the_reseller_model_by_the_cli(reseller: TenantCtx, cpo: TenantCtx) -> None:
    slug = reseller.tenant["slug"]
    env = dict(os.environ)
    done = await csms_cli(env, "tenant", "set-reseller-model", slug, "affiliate")
    assert done.returncode == 0, done.stderr
    assert f"reseller {slug}: model AFFILIATE" in done.stdout
    assert await sub_cpos.reseller_model(reseller.actor) == "AFFILIATE"
    async with app_client() as client:
        await login(client, reseller.admin["email"])
        await post_form(client, "/lang", {"language": "en", "next": "/"})
        assert "Affiliate model" in (await client.get("/resellers/sub-cpos")).text
    not_reseller = await csms_cli(env, "tenant", "set-reseller-model", cpo.tenant["slug"], "RESELLER")
    assert not_reseller.returncode == 2 and "not a reseller" in not_reseller.stderr
    with pytest.raises(ValidationError):
        await sub_cpos.set_reseller_model(slug, "SOMETHING")
