"""360.SUPPORT (core.products.support, seed 001) on a real database: what activation needs, the two switches
(Betriebsführung tab and Kostenfreigabe, not infrastructure management), idempotent activation, ending, the
confirmation mails to the tenant's contacts (arriving at a real SMTP server) and the portal's tab, confirm step
and sticker sheet."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from core import outbox
from core.db import transaction
from core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from core.infrastructure import charge_points, stations
from core.mail import mails
from core.mail.tables import Mail
from core.outbox import OutboxMessage
from core.products import assignments, support
from core.products.catalogue import Feature, ProductCode, product_by_code
from core.tenancy.audit import AuditEntry
from core.tenancy.logins import actor_for_user
from core.tenancy.permissions import Permission
from core.tenancy.tables import StaffUser, Tenant
from tests.integration.infrastructure.conftest import Site
from tests.integration.mail.conftest import LATER, SmtpServer, smtp_server, smtp_settings  # noqa: F401
from tests.support import TenantCtx, app_client, login, make_user, post_form

TAB_AND_COST = [Permission.INFRASTRUCTURE_VIEW.value, Permission.OPERATIONS_TAB.value, Permission.COST_APPROVAL.value]
TAB_ONLY = [Permission.INFRASTRUCTURE_VIEW.value, Permission.OPERATIONS_TAB.value]
TECHNICIAN = {"technician_name": "Max Techniker", "technician_phone": "+49 89 555123",
              "technician_email": "technik@service.example"}  # fmt: skip


async def make_ready(ctx: TenantCtx, site: Site, unique: str) -> None:
    """What activation needs: an EVSE-ID on the charge point and a technician on the station."""
    await charge_points.update_charge_point(ctx.actor, site.charge_point["id"], {"evse_id": f"DE*ISE*E{unique}*1"})
    await stations.update_station(ctx.actor, site.station["id"], TECHNICIAN)


async def support_mails(tenant_id: int, kind: str) -> list[dict[str, Any]]:
    return await Mail.select().where((Mail.tenant == tenant_id) & (Mail.kind == kind)).order_by(Mail.recipient)


async def hold_mails(tenant_id: int) -> None:
    """Moves the outbox messages of the tenant's queued mails ``LATER``; inside the transaction that queued them, no
    relay of a live server (browser tests share the database) sends them before the test does."""
    queued = await Mail.select(Mail.id).where((Mail.tenant == tenant_id) & (Mail.status == "QUEUED"))
    await OutboxMessage.update({OutboxMessage.available_at: outbox.now() + LATER}).where(
        OutboxMessage.dedupe_key.is_in([f"mail:{row['id']}" for row in queued] or [""])
    )


async def activate_held(ctx: TenantCtx, actor: Any, station_id: int) -> None:
    async with transaction():
        await support.activate(actor, station_id, cost_confirmed=True)
        await hold_mails(ctx.id)


async def test_requirements_list_what_is_missing_with_the_page_to_fix_it(
    cpo: TenantCtx, site: Site, unique: str
) -> None:
    station_id, cp_id = site.station["id"], site.charge_point["id"]
    missing = {m.key: m for m in await support.requirements(cpo.actor, station_id)}
    assert set(missing) == {f"evse_id:{cp_id}", "technician_name", "technician_phone", "technician_email"}
    assert missing[f"evse_id:{cp_id}"].link == f"/infrastructure/charge-points/{cp_id}?tab=configuration"
    assert missing[f"evse_id:{cp_id}"].message.params == {"number": 1}
    assert missing["technician_phone"].link == f"/infrastructure/stations/{station_id}/edit"

    await stations.update_station(cpo.actor, station_id, {"technician_name": "Max Techniker"})
    missing = {m.key: m for m in await support.requirements(cpo.actor, station_id)}
    assert set(missing) == {f"evse_id:{cp_id}", "technician_phone", "technician_email"}

    await make_ready(cpo, site, unique)
    assert await support.requirements(cpo.actor, station_id) == []

    # a second charge point without EVSE-ID blocks again; a decommissioned one does not count
    second = await charge_points.create_charge_point(cpo.actor, {"station_id": station_id, "evse_number": 2})
    assert [m.key for m in await support.requirements(cpo.actor, station_id)] == [f"evse_id:{second['id']}"]
    await charge_points.decommission_charge_point(cpo.actor, second["id"])
    assert await support.requirements(cpo.actor, station_id) == []


async def test_activation_needs_the_tab_and_cost_approval_not_infrastructure_management(
    cpo: TenantCtx, site: Site, unique: str
) -> None:
    await make_ready(cpo, site, unique)
    station_id = site.station["id"]
    tab_only = await actor_for_user(await make_user(cpo.id, permissions=TAB_ONLY))
    no_tab = dataclasses.replace(cpo.actor, permissions=cpo.actor.permissions - {Permission.OPERATIONS_TAB})
    for actor in (tab_only, no_tab):
        with pytest.raises(PermissionDenied):
            await support.activate(actor, station_id, cost_confirmed=True)
    assert not (await support.status(site.station)).active

    operator = await actor_for_user(await make_user(cpo.id, permissions=TAB_AND_COST))
    assert not operator.can(Permission.INFRASTRUCTURE_MANAGE)
    await activate_held(cpo, operator, station_id)
    assert (await support.status(site.station)).active
    assert await assignments.has_feature(station_id, Feature.SUPPORT_360)
    for actor in (tab_only, no_tab):
        with pytest.raises(PermissionDenied):
            await support.deactivate(actor, station_id)
    await support.deactivate(operator, station_id)
    assert not await assignments.has_feature(station_id, Feature.SUPPORT_360)


async def test_activation_is_refused_until_ready_and_confirmed(cpo: TenantCtx, site: Site, unique: str) -> None:
    station_id = site.station["id"]
    with pytest.raises(ValidationError) as refused:
        await support.activate(cpo.actor, station_id, cost_confirmed=False)
    assert set(refused.value.errors) == {"cost_confirmed"}
    with pytest.raises(support.NotReady) as not_ready:
        await support.activate(cpo.actor, station_id, cost_confirmed=True)
    assert {m.key for m in not_ready.value.missing} >= {"technician_name", f"evse_id:{site.charge_point['id']}"}
    assert await assignments.station_assignments(cpo.actor, station_id) == []
    assert await support_mails(cpo.id, support.ACTIVATED_MAIL) == []

    await make_ready(cpo, site, unique)
    with pytest.raises(ValidationError):  # ready, but the cost is not confirmed
        await support.activate(cpo.actor, station_id, cost_confirmed=False)
    assert await assignments.station_assignments(cpo.actor, station_id) == []


async def test_activation_is_idempotent_and_mails_the_tenants_contacts_once(
    cpo: TenantCtx, site: Site, unique: str
) -> None:
    await make_ready(cpo, site, unique)
    station_id = site.station["id"]
    await Tenant.update({Tenant.support_email: f"Service-{unique}@cpo.example"}).where(Tenant.id == cpo.id)
    second_admin = await make_user(cpo.id, is_admin=True)
    left = await make_user(cpo.id, is_admin=True)
    await StaffUser.update({StaffUser.active: False}).where(StaffUser.id == left["id"])
    await make_user(cpo.id, permissions=TAB_AND_COST)  # not an administrator: not a contact

    contacts = [cpo.admin["email"], second_admin["email"], f"Service-{unique}@cpo.example"]
    assert await support.contacts(cpo.id) == contacts
    first = await support.activate(cpo.actor, station_id, cost_confirmed=True)
    again = await support.activate(cpo.actor, station_id, cost_confirmed=True)
    assert first == again and first.active and first.assignment_id is not None
    product = await product_by_code(ProductCode.SUPPORT_360)
    assert product is not None
    assert first.monthly_net_cents == product["monthly_net_cents"]
    assert first.monthly_gross_cents == support.gross_cents(product["monthly_net_cents"], cpo.tenant["vat_rate"])
    history = await assignments.station_assignments(cpo.actor, station_id)
    assert [(h["product_code"], h["ends_at"]) for h in history] == [("SUPPORT_360", None)]

    sent = await support_mails(cpo.id, support.ACTIVATED_MAIL)
    assert sorted(m["recipient"] for m in sent) == sorted(contacts)
    assert {m["language"] for m in sent} == {"de"}  # the tenant is in Germany
    assert all(m["subject"] == f"360.SUPPORT aktiviert: CB-{unique}" for m in sent)
    assert all("Max Techniker, +49 89 555123" in m["body_text"] and "14,90 EUR netto" in m["body_text"] for m in sent)
    entries = await AuditEntry.select(AuditEntry.action, AuditEntry.changes).where(
        (AuditEntry.entity_type == "station") & (AuditEntry.entity_id == station_id)
        & (AuditEntry.action == "product_assigned")
    ).output(load_json=True)  # fmt: skip
    assert [e["changes"] for e in entries] == [{"products": [None, "360.SUPPORT"]}]


async def test_deactivation_ends_it_once_and_mails_and_reactivation_starts_anew(
    cpo: TenantCtx, site: Site, unique: str
) -> None:
    await make_ready(cpo, site, unique)
    station_id = site.station["id"]
    with pytest.raises(Conflict):
        await support.deactivate(cpo.actor, station_id)
    await support.activate(cpo.actor, station_id, cost_confirmed=True)
    ended = await support.deactivate(cpo.actor, station_id)
    assert not ended.active and ended.since is None
    with pytest.raises(Conflict):
        await support.deactivate(cpo.actor, station_id)
    [bye] = await support_mails(cpo.id, support.DEACTIVATED_MAIL)
    assert bye["recipient"] == cpo.admin["email"] and bye["subject"] == f"360.SUPPORT beendet: CB-{unique}"
    assert "keine Verrechnung für den Monat" in bye["body_text"]

    again = await support.activate(cpo.actor, station_id, cost_confirmed=True)
    assert again.active
    assert len(await assignments.station_assignments(cpo.actor, station_id)) == 2
    assert len(await support_mails(cpo.id, support.ACTIVATED_MAIL)) == 2  # each activation mails its own
    audit = await AuditEntry.select(AuditEntry.action).where(
        (AuditEntry.entity_type == "station") & (AuditEntry.entity_id == station_id)
        & AuditEntry.action.is_in(["product_assigned", "product_ended"])
    ).order_by(AuditEntry.id)  # fmt: skip
    assert [a["action"] for a in audit] == ["product_assigned", "product_ended", "product_assigned"]


async def test_another_tenants_station_is_not_found(cpo: TenantCtx, foreign_site: Site) -> None:
    station_id = foreign_site.station["id"]
    with pytest.raises(NotFound):
        await support.requirements(cpo.actor, station_id)
    with pytest.raises(NotFound):
        await support.activate(cpo.actor, station_id, cost_confirmed=True)
    with pytest.raises(NotFound):
        await support.deactivate(cpo.actor, station_id)


async def test_both_mails_arrive_at_the_smtp_server_in_the_tenants_language(
    cpo: TenantCtx,
    site: Site,
    unique: str,
    smtp_settings: SmtpServer,  # noqa: F811
) -> None:
    smtp_settings.start()
    await Tenant.update({Tenant.language: "en"}).where(Tenant.id == cpo.id)
    await make_ready(cpo, site, unique)
    station_id = site.station["id"]
    await activate_held(cpo, cpo.actor, station_id)
    async with transaction():
        await support.deactivate(cpo.actor, station_id)
        await hold_mails(cpo.id)
    for kind in (support.ACTIVATED_MAIL, support.DEACTIVATED_MAIL):
        [mail] = await support_mails(cpo.id, kind)
        message = await OutboxMessage.select(OutboxMessage.id).where(
            OutboxMessage.dedupe_key == f"mail:{mail['id']}"
        ).first()  # fmt: skip
        assert message is not None
        await mails.send(message["id"])
    inbox = smtp_settings.inbox.to(cpo.admin["email"])
    assert [m["Subject"] for m in inbox] == [f"360.SUPPORT activated: CB-{unique}", f"360.SUPPORT ended: CB-{unique}"]
    activated = inbox[0].get_body(("plain",))
    assert activated is not None
    text = activated.get_content()
    assert "14.90 EUR net" in text and "a whole month is always billed" in text
    assert f"/operations/stations/{station_id}/support360/stickers" in text


# --- the portal ------------------------------------------------------------------------------------------------


@asynccontextmanager
async def client_for(user: dict[str, Any]) -> AsyncIterator[httpx.AsyncClient]:
    """The portal logged in as ``user``, in English."""
    async with app_client() as client:
        await login(client, user["email"])
        await post_form(client, "/lang", {"language": "en", "next": "/"})
        yield client


def _tab(station_id: int) -> str:
    return f"/operations/stations/{station_id}/operations"


async def test_the_tab_walks_missing_confirm_activate_stickers_deactivate(
    admin_client: httpx.AsyncClient, cpo: TenantCtx, site: Site, unique: str
) -> None:
    station_id = site.station["id"]
    tab = await admin_client.get(_tab(station_id))
    assert tab.status_code == 200 and 'data-testid="support360"' in tab.text
    assert tab.text.index('data-testid="support360"') < tab.text.index('data-testid="station-connection"')
    assert "Not active" in tab.text and "14.90 EUR" in tab.text and "17.73 EUR" in tab.text  # 19 % VAT
    assert f'href="/infrastructure/charge-points/{site.charge_point["id"]}?tab=configuration"' in tab.text
    assert "The technician&#39;s name is missing." in tab.text
    assert 'data-testid="support360-activate-start"' not in tab.text  # not ready: no button
    confirm = await admin_client.get(f"/operations/stations/{station_id}/support360/activate")
    assert 'data-testid="support360-missing"' in confirm.text and 'name="cost_confirmed"' not in confirm.text
    refused = await post_form(admin_client, f"/operations/stations/{station_id}/support360/activate",
                              {"cost_confirmed": "on"})  # fmt: skip
    assert refused.status_code == 409 and 'data-testid="support360-missing"' in refused.text

    await make_ready(cpo, site, unique)
    tab = await admin_client.get(_tab(station_id))
    assert 'data-testid="support360-activate-start"' in tab.text
    confirm = await admin_client.get(f"/operations/stations/{station_id}/support360/activate")
    assert 'name="cost_confirmed"' in confirm.text and "I confirm the monthly cost of 14.90 EUR net" in confirm.text
    unconfirmed = await post_form(admin_client, f"/operations/stations/{station_id}/support360/activate", {})
    assert unconfirmed.status_code == 400 and "Confirm the monthly cost to activate 360.SUPPORT." in unconfirmed.text
    assert not (await support.status(site.station)).active

    stickers = await admin_client.get(f"/operations/stations/{station_id}/support360/stickers")
    assert stickers.status_code == 200 and 'data-testid="support360-inactive"' in stickers.text  # not active yet
    assert 'data-testid="support-sticker"' not in stickers.text
    activated = await post_form(admin_client, f"/operations/stations/{station_id}/support360/activate",
                                {"cost_confirmed": "on"})  # fmt: skip
    assert activated.status_code == 303
    assert activated.headers["location"] == f"/infrastructure/stations/{station_id}?tab=operations"
    page = await admin_client.get(activated.headers["location"])
    assert "360.SUPPORT is active on the station." in page.text
    tab = await admin_client.get(_tab(station_id))
    assert 'data-testid="support360-deactivate"' in tab.text and 'data-testid="support360-next"' in tab.text
    stickers = await admin_client.get(f"/operations/stations/{station_id}/support360/stickers")
    assert stickers.status_code == 200
    assert stickers.text.count('data-testid="support-sticker"') == 7 and f"DE*ISE*E{unique.upper()}*1" in stickers.text
    assert site.location["hotline"] in stickers.text and "/static/stickers.css" in stickers.text

    ended = await post_form(admin_client, f"/operations/stations/{station_id}/support360/deactivate", {})
    assert ended.status_code == 303 and not (await support.status(site.station)).active
    again = await post_form(admin_client, f"/operations/stations/{station_id}/support360/deactivate", {})
    assert again.status_code == 303  # a second click: told on the page, no error page
    page = await admin_client.get(again.headers["location"])
    assert "360.SUPPORT is not active on this station." in page.text


async def test_without_cost_approval_the_buttons_are_absent_explained_and_refused(
    cpo: TenantCtx, site: Site, unique: str
) -> None:
    await make_ready(cpo, site, unique)
    station_id = site.station["id"]
    async with client_for(await make_user(cpo.id, permissions=TAB_ONLY)) as client:
        detail = await client.get(f"/infrastructure/stations/{station_id}")
        assert f"/operations/stations/{station_id}/operations" in detail.text  # the tab is there
        tab = await client.get(_tab(station_id))
        assert tab.status_code == 200 and 'data-testid="support360-no-right"' in tab.text
        assert "User management / Enable cost approval" in tab.text
        assert 'data-testid="support360-activate-start"' not in tab.text
        for url in ("activate", "deactivate"):
            refused = await post_form(client, f"/operations/stations/{station_id}/support360/{url}",
                                      {"cost_confirmed": "on"})  # fmt: skip
            assert refused.status_code == 403
        assert (await client.get(f"/operations/stations/{station_id}/support360/activate")).status_code == 403
    assert not (await support.status(site.station)).active

    async with client_for(await make_user(cpo.id, permissions=[Permission.INFRASTRUCTURE_VIEW.value])) as c:
        detail = await c.get(f"/infrastructure/stations/{station_id}")
        assert detail.status_code == 200 and f"/operations/stations/{station_id}/operations" not in detail.text
        assert (await c.get(_tab(station_id))).status_code == 403


async def test_a_decommissioned_station_cannot_be_activated(cpo: TenantCtx, site: Site, unique: str) -> None:
    await make_ready(cpo, site, unique)
    station_id = site.station["id"]
    await stations.decommission_station(cpo.actor, station_id)
    assert [m.key for m in await support.requirements(cpo.actor, station_id)] == ["decommissioned"]
    with pytest.raises(support.NotReady):
        await support.activate(cpo.actor, station_id, cost_confirmed=True)
    assert await assignments.station_assignments(cpo.actor, station_id) == []
