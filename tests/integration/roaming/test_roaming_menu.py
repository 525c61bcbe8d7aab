"""The Roaming menu per tenant kind (CPO, EMP, hub operator) and the read-only permission roaming.view."""

from __future__ import annotations

import importlib
import re

import pytest

from core.errors import PermissionDenied
from core.roaming import contract_groups, partners
from core.tenancy import logins
from core.tenancy.tables import ApiKey, UserGroup
from tests.support import TenantCtx, app_client, login, make_tenant, make_user, post_form

SUBNAV = re.compile(r'data-testid="roaming-subnav-(\w+)"')


def menu_link(html: str) -> str | None:
    found = re.search(r'<a href="([^"]+)" data-testid="nav-roaming"', html)
    return found.group(1) if found else None


@pytest.mark.parametrize(
    ("kind", "landing", "subnav"),
    [
        ("CPO", "/roaming/contract-groups", ["partners", "contract_groups", "settings", "settlement"]),
        ("EMP", "/roaming/partners", ["partners"]),
        ("HUB", "/roaming/partners", ["partners"]),
    ],
)
async def test_each_tenant_kind_lands_on_its_page_and_sees_only_its_pages(
    kind: str, landing: str, subnav: list[str]
) -> None:
    ctx = await make_tenant(kind=kind)
    async with app_client() as client:
        await login(client, ctx.admin["email"])
        await post_form(client, "/lang", {"language": "en", "next": "/"})
        assert menu_link((await client.get("/")).text) == landing
        page = await client.get(landing)
        assert page.status_code == 200
        assert SUBNAV.findall(page.text) == subnav
        if kind == "EMP":  # its one connection, named so
            assert re.search(r'roaming-subnav-partners"[^>]*>\s*OCPI connection', page.text)


async def test_without_roaming_view_there_is_no_roaming_menu(cpo: TenantCtx) -> None:
    user = await make_user(cpo.id, permissions=["infrastructure.view", "roaming.manage"])
    async with app_client() as client:
        await login(client, user["email"])
        assert menu_link((await client.get("/")).text) is None
        assert (await client.get("/roaming/contract-groups")).status_code == 403


async def test_a_cpo_roaming_viewer_reads_contract_groups_and_settings_and_changes_nothing(
    cpo: TenantCtx, emp: TenantCtx
) -> None:
    group = await contract_groups.create_group(cpo.actor, {"name": "Lesbar", "emp_tenant_ids": [str(emp.id)]})
    viewer = await make_user(cpo.id, permissions=["roaming.view"])
    async with app_client() as client:
        await login(client, viewer["email"])
        assert menu_link((await client.get("/")).text) == "/roaming/contract-groups"
        groups = (await client.get("/roaming/contract-groups")).text
        assert "Lesbar" in groups and emp.tenant["name"] in groups
        assert 'data-testid="new-contract-group"' not in groups
        assert f'href="/roaming/contract-groups/{group["id"]}"' not in groups
        settings = (await client.get("/roaming/settings")).text
        assert 'data-testid="roaming-settings"' in settings and 'action="/roaming/settings"' not in settings
        assert re.search(r'name="hub_enabled"[^>]*disabled', settings)
        assert (await client.get(f"/roaming/contract-groups/{group['id']}")).status_code == 403
        refused = await post_form(client, "/roaming/settings", {"hub_enabled": "on"})
        assert refused.status_code == 403
        assert (await post_form(client, f"/roaming/contract-groups/{group['id']}/delete", {})).status_code == 403
    assert (await contract_groups.get_settings(cpo.actor))["hub_enabled"] is False
    assert (await contract_groups.get_group(cpo.actor, group["id"]))["name"] == "Lesbar"
    actor = await logins.actor_for_user(viewer)
    with pytest.raises(PermissionDenied):
        await contract_groups.set_hub_enabled(actor, True)


async def test_an_emp_roaming_viewer_reads_the_connection_and_its_log_without_forms_or_actions(emp: TenantCtx) -> None:
    created = await partners.create_partner(emp.actor, {"name": "Plattform"})
    partner_id = created.partner["id"]
    viewer = await make_user(emp.id, permissions=["roaming.view"])
    async with app_client() as client:
        await login(client, viewer["email"])
        listing = (await client.get("/roaming/partners")).text
        assert "Plattform" in listing
        assert 'data-testid="new-partner"' not in listing and 'data-testid="connect-partner"' not in listing
        detail = await client.get(f"/roaming/partners/{partner_id}")
        assert detail.status_code == 200 and 'data-testid="partner-facts"' in detail.text
        for action in ("new-token-a", "end-partner", "save-encoding", "reconnect-partner", "rotate-partner"):
            assert f'data-testid="{action}"' not in detail.text
        assert (await client.get(f"/roaming/partners/{partner_id}/log")).status_code == 200
        for path in ("token-a", "end", "encoding"):
            assert (await post_form(client, f"/roaming/partners/{partner_id}/{path}", {})).status_code == 403
        assert (await post_form(client, "/roaming/partners", {"name": "Zweite"})).status_code == 403
    assert (await partners.get_partner(emp.actor, partner_id))["state"] == "NEW"
    actor = await logins.actor_for_user(viewer)
    with pytest.raises(PermissionDenied):
        await partners.new_token_a(actor, partner_id)


async def test_the_migration_gives_roaming_view_to_whoever_managed_roaming(cpo: TenantCtx) -> None:
    from core.tenancy import api_keys

    manager_group = UserGroup(tenant=cpo.id, name="Roaming", permissions=["roaming.manage", "tariffs.view"])
    other_group = UserGroup(tenant=cpo.id, name="Technik", permissions=["infrastructure.view"])
    await manager_group.save()
    await other_group.save()
    _key, key_row = await api_keys.create_api_key(cpo.id, "roaming", ["roaming.manage"])

    migration = importlib.import_module("migrations.core.core_2026_12_06t09_30_00_000000")
    manager = await migration.forwards()
    for step in manager.raw:
        await step()
        await step()  # running twice changes nothing more

    groups = {g["name"]: g["permissions"] for g in await UserGroup.select().where(UserGroup.tenant == cpo.id)
              .output(load_json=True)}  # fmt: skip
    assert groups["Roaming"] == ["roaming.manage", "tariffs.view", "roaming.view"]
    assert groups["Technik"] == ["infrastructure.view"]
    key = await ApiKey.select(ApiKey.permissions).where(ApiKey.id == key_row["id"]).output(load_json=True).first()
    assert key is not None and key["permissions"] == ["roaming.manage", "roaming.view"]
