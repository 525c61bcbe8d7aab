"""Driver groups in the portal and the REST API: create, boxes, cards, rename, archive, delete, history, isolation."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from core.access import driver_groups
from core.access.tables import ChargingCard
from core.charging.tables import ChargingSession
from core.errors import Conflict, NotFound, ValidationError
from core.infrastructure import stations
from core.tariffs import tariffs
from core.tenancy import api_keys
from tests.integration.driver_groups.steps import create_through_steps, location
from tests.support import TenantCtx, app_client, login, make_user, post_form, stored_rows


async def _card(ctx: TenantCtx, uid: str) -> int:
    card = ChargingCard(tenant=ctx.id, uid=uid, label=f"Karte {uid}")
    await card.save()
    return int(card.id)


async def test_portal_create_boxes_cards_history(admin_client: httpx.AsyncClient, cpo: TenantCtx) -> None:
    tariff = await tariffs.create_tariff(cpo.actor, {"name": "Doku", "currency": "EUR", "ac_energy_per_kwh": "0.30",
                                                     "dc_energy_per_kwh": "0.50"})  # fmt: skip
    depot = await location(cpo, "Depot")
    card_id = await _card(cpo, "C0FFEE01")

    page = await admin_client.get("/driver-groups/new")
    assert page.status_code == 200 and 'name="kind"' in page.text
    # A cards-only group cannot bill: step 2 refuses it (tests/integration/driver_groups/test_group_wizard.py walks
    # every step and its errors).
    created = await create_through_steps(admin_client, "Gäste", "CARDS_ONLY", {"tariff_id": str(tariff["id"])},
                                         {"scope": "CHOSEN", "location_ids": str(depot["id"])})  # fmt: skip
    assert created.status_code == 303
    url = created.headers["location"]
    group_id = int(url.rsplit("/", 1)[1])

    detail = await admin_client.get(url)
    assert detail.status_code == 200
    assert "Documentation only" in detail.text and "Depot" in detail.text and 'data-testid="tariff-box"' in detail.text
    added = await post_form(admin_client, f"{url}/cards", {"card_id": str(card_id)}, follow_redirects=False)
    assert added.status_code == 303
    assert (await ChargingCard.select(ChargingCard.driver_group).where(ChargingCard.id == card_id))[0][
        "driver_group"] == group_id  # fmt: skip
    renamed = await post_form(admin_client, f"{url}/rename", {"name": "Besucher"}, follow_redirects=False)
    assert renamed.status_code == 303
    assert f'<a href="/driver-groups/{group_id}">Besucher</a>' in (await admin_client.get("/cards")).text
    scope = await post_form(admin_client, f"{url}/scope", {"scope": "CHOSEN"})  # no location ticked
    assert "Choose at least one location" in scope.text
    await post_form(admin_client, f"{url}/scope", {"scope": "ALL"})

    listing = await admin_client.get("/driver-groups")
    assert "Besucher" in listing.text and "Cards only" in listing.text and "Whole infrastructure" in listing.text
    history = (await admin_client.get(url)).text
    assert 'data-testid="audit-history"' in history and "C0FFEE01" in history and "Besucher" in history

    await post_form(admin_client, f"{url}/cards/{card_id}/remove", {})
    assert (await driver_groups.get_group(cpo.actor, group_id))["card_count"] == 0
    await post_form(admin_client, f"{url}/archive", {})
    assert "Besucher" not in (await admin_client.get("/driver-groups")).text
    assert "Besucher" in (await admin_client.get("/driver-groups", params={"archived": "archived"})).text
    # Never used: it can be deleted.
    deleted = await post_form(admin_client, f"{url}/delete", {}, follow_redirects=False)
    assert deleted.headers["location"] == "/driver-groups"
    assert (await admin_client.get(url)).status_code == 404


async def test_used_group_is_archived_not_deleted(admin_client: httpx.AsyncClient, cpo: TenantCtx) -> None:
    group = await driver_groups.create_group(cpo.actor, {"name": "Pool", "kind": "DRIVERS_VEHICLES"})
    st = await stations.create_station(
        cpo.actor, {"location_id": (await location(cpo, "Hof"))["id"], "charge_box_id": f"DG-{cpo.id}"}
    )
    await ChargingSession(tenant=cpo.id, station=st[0]["id"], id_tag="AA", driver_group=group["id"],
                          started_at=datetime.now(UTC), status="STOPPED").save()  # fmt: skip
    url = f"/driver-groups/{group['id']}"
    page = await admin_client.get(url)
    assert 'data-testid="delete"' not in page.text and "can only be archived" in page.text
    await post_form(admin_client, f"{url}/delete", {})
    after = await admin_client.get(url)
    assert after.status_code == 200 and "cannot be deleted" in after.text


async def test_rules_in_core(cpo: TenantCtx, other_cpo: TenantCtx) -> None:
    actor = cpo.actor
    await driver_groups.create_group(actor, {"name": "Roaming", "kind": "EROAMING"})
    with pytest.raises(ValidationError) as second:
        await driver_groups.create_group(actor, {"name": "Roaming 2", "kind": "EROAMING"})
    assert "kind" in second.value.errors
    # Another tenant's tariff, location or card is not accepted.
    foreign_tariff = await tariffs.create_tariff(other_cpo.actor, {"name": "X", "ac_energy_per_kwh": "1",
                                                                   "dc_energy_per_kwh": "1"})  # fmt: skip
    foreign_location = await location(other_cpo, "Fremd")
    with pytest.raises(ValidationError):
        await driver_groups.create_group(actor, {"name": "G", "kind": "CARDS_ONLY", "tariff_id": foreign_tariff["id"]})
    with pytest.raises(ValidationError):
        chosen = {"scope": "CHOSEN", "location_ids": [str(foreign_location["id"])]}
        await driver_groups.create_group(actor, {"name": "G", "kind": "CARDS_ONLY", **chosen})
    group = await driver_groups.create_group(actor, {"name": "G", "kind": "CARDS_ONLY"})
    with pytest.raises(NotFound):
        await driver_groups.set_card_group(actor, await _card(other_cpo, "F00D"), group["id"])
    with pytest.raises(NotFound):
        await driver_groups.get_group(other_cpo.actor, group["id"])
    # The kind is fixed; an ad hoc group holds no cards.
    with pytest.raises(ValidationError):
        await driver_groups.update_group(actor, group["id"], {"kind": "AD_HOC"})
    ad_hoc = await driver_groups.create_group(actor, {"name": "Spontan", "kind": "AD_HOC"})
    with pytest.raises(Conflict):
        await driver_groups.set_card_group(actor, await _card(cpo, "AD0C"), ad_hoc["id"])


async def test_rest_api(cpo: TenantCtx, other_cpo: TenantCtx) -> None:
    key, _ = await api_keys.create_api_key(cpo.id, "groups")
    other_key, _ = await api_keys.create_api_key(other_cpo.id, "other")
    auth = {"Authorization": f"Bearer {key}"}
    tariff = await tariffs.create_tariff(cpo.actor, {"name": "Mitarbeiter", "ac_energy_per_kwh": "0.2",
                                                     "dc_energy_per_kwh": "0.3"})  # fmt: skip
    card_id = await _card(cpo, "ABCDEF12")
    async with app_client() as client:
        bad = await client.post(
            "/api/v1/driver-groups",
            headers=auth,
            json={"name": "X", "kind": "DRIVERS_VEHICLES", "tariff_id": tariff["id"]},
        )
        assert bad.status_code == 400 and "tariff_mode" in bad.json()["errors"]
        made = await client.post(
            "/api/v1/driver-groups",
            headers=auth,
            json={
                "name": "Mitarbeiter",
                "kind": "DRIVERS_VEHICLES",
                "tariff_id": tariff["id"],
                "tariff_mode": "BILLED",
            },
        )
        assert made.status_code == 201, made.text
        group = made.json()
        assert (group["tariff_mode"], group["scope"], group["archived"]) == ("BILLED", "ALL", False)
        url = f"/api/v1/driver-groups/{group['id']}"
        moved = await client.patch(f"/api/v1/cards/{card_id}", headers=auth, json={"driver_group_id": group["id"]})
        assert moved.status_code == 200 and moved.json()["driver_group_id"] == group["id"]
        assert [c["id"] for c in (await client.get(f"{url}/cards", headers=auth)).json()] == [card_id]
        patched = await client.patch(url, headers=auth, json={"name": "Team", "archived": True})
        assert patched.status_code == 200 and patched.json()["name"] == "Team" and patched.json()["archived"] is True
        listed = (await client.get("/api/v1/driver-groups", headers=auth, params={"archived": "all"})).json()
        assert [g["name"] for g in listed] == ["Team"] and listed[0]["card_count"] == 1
        assert (await client.get("/api/v1/driver-groups", headers=auth)).json() == []
        other = {"Authorization": f"Bearer {other_key}"}
        assert (await client.get(url, headers=other)).status_code == 404
        assert (await client.delete(f"{url}/cards/{card_id}", headers=auth)).status_code == 204
        assert (await client.delete(url, headers=auth)).status_code == 204


async def test_viewer_sees_but_cannot_change(cpo: TenantCtx) -> None:
    group = await driver_groups.create_group(cpo.actor, {"name": "Gäste", "kind": "CARDS_ONLY"})
    viewer = await make_user(cpo.id, permissions=["driver_groups.view"])
    async with app_client() as client:
        await login(client, viewer["email"])
        page = await client.get(f"/driver-groups/{group['id']}")
        assert page.status_code == 200 and 'data-testid="archive"' not in page.text
        before = await stored_rows(cpo.id)
        assert (await post_form(client, f"/driver-groups/{group['id']}/archive", {})).status_code == 403
        assert (await post_form(client, f"/driver-groups/{group['id']}/delete", {})).status_code == 403
    assert await stored_rows(cpo.id) == before
    assert (await driver_groups.get_group(cpo.actor, group["id"]))["archived_at"] is None


async def test_demo_has_a_guest_group_with_a_documentation_tariff() -> None:
    from core.access.tables import DriverGroup
    from core.demo import DEMO_SLUG, load_demo
    from core.tenancy.tables import Tenant

    await load_demo()
    await load_demo()
    tenant = await Tenant.select(Tenant.id).where(Tenant.slug == DEMO_SLUG).first()
    assert tenant is not None
    groups = await DriverGroup.select().where(DriverGroup.tenant == tenant["id"]).order_by(DriverGroup.id)
    # and the community's group (core.community.demo), once
    assert [(g["name"], g["kind"], g["tariff_mode"]) for g in groups] == [
        ("Gäste", "CARDS_ONLY", "DOCUMENT"), ("Mitarbeiter-Laden", "DRIVERS_VEHICLES", "BILLED")]  # fmt: skip
    assert groups[0]["tariff"] is not None
    cards = await ChargingCard.select(ChargingCard.uid).where(ChargingCard.driver_group == groups[0]["id"])
    assert [c["uid"] for c in cards] == [driver_groups.DEMO_GUEST_CARD["uid"]]
