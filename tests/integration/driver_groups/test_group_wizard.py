"""Creating a driver group in reev's four steps (seed 004): every step's form errors, Back keeping what was
entered, the summary, CSRF on each step and a draft that cannot be changed or carried to another tenant."""

from __future__ import annotations

import httpx

from core.access import driver_groups, group_wizard
from core.access.tables import DriverGroup, DriverGroupScope
from core.tariffs import tariffs
from core.tariffs.tables import Tariff
from tests.integration.driver_groups.steps import draft_of, location, post_step, step_of
from tests.support import TenantCtx, app_client, csrf_of, login, post_form


async def _tariff(ctx: TenantCtx, name: str) -> dict:
    return await tariffs.create_tariff(ctx.actor, {"name": name, "currency": "EUR", "ac_energy_per_kwh": "0.30",
                                                   "dc_energy_per_kwh": "0.50"})  # fmt: skip


async def test_four_steps_with_errors_back_and_summary(admin_client: httpx.AsyncClient, cpo: TenantCtx) -> None:
    doku = await _tariff(cpo, "Gäste-Doku")
    depot, hof = await location(cpo, "Depot"), await location(cpo, "Hof")

    first = await admin_client.get("/driver-groups/new?kind=CARDS_ONLY")
    assert first.status_code == 200 and step_of(first) == "name"
    assert 'value="CARDS_ONLY" checked' in first.text and 'aria-current="step"' in first.text
    # Step 1: a name is needed; what was chosen stays.
    empty = await post_step(admin_client, first, "next", {"name": " ", "kind": "DRIVERS_VEHICLES"})
    assert empty.status_code == 400 and step_of(empty) == "name" and "This field is required." in empty.text
    assert 'value="DRIVERS_VEHICLES" checked' in empty.text
    second = await post_step(admin_client, empty, "next", {"name": "Gäste", "kind": "CARDS_ONLY"})
    assert second.status_code == 200 and step_of(second) == "tariff" and "Gäste-Doku" in second.text

    # Step 2: a cards-only group cannot bill; the message stands next to the field and the choice is kept.
    billed = await post_step(admin_client, second, "next", {"tariff_id": str(doku["id"]), "tariff_mode": "BILLED"})
    assert billed.status_code == 400 and step_of(billed) == "tariff" and "can only document" in billed.text
    assert f'value="{doku["id"]}" selected' in billed.text
    # Back from step 2 keeps what step 2 held and shows step 1 as it was typed.
    back = await post_step(admin_client, billed, "back", {"tariff_id": str(doku["id"]), "tariff_mode": "DOCUMENT"})
    assert back.status_code == 200 and step_of(back) == "name" and 'value="Gäste"' in back.text
    again = await post_step(admin_client, back, "next", {"name": "Gäste", "kind": "CARDS_ONLY"})
    assert step_of(again) == "tariff" and f'value="{doku["id"]}" selected' in again.text
    assert 'value="DOCUMENT" checked' in again.text
    third = await post_step(admin_client, again, "next", {"tariff_id": str(doku["id"]), "tariff_mode": "DOCUMENT"})
    assert step_of(third) == "scope" and "Depot" in third.text and "Hof" in third.text

    # Step 3: custom needs a location.
    none = await post_step(admin_client, third, "next", {"scope": "CHOSEN"})
    assert none.status_code == 400 and step_of(none) == "scope" and "Choose at least one location" in none.text
    summary = await post_step(admin_client, none, "next", {"scope": "CHOSEN", "location_ids": str(depot["id"])})
    assert step_of(summary) == "summary"
    facts = summary.text[summary.text.index('data-testid="summary"') :]
    assert "Gäste" in facts and "Cards only" in facts and "Gäste-Doku" in facts and "Documentation only" in facts
    assert "Depot" in facts and "Hof" not in facts
    # Back from the summary: the chosen location is still ticked.
    back3 = await post_step(admin_client, summary, "back", {})
    assert step_of(back3) == "scope" and f'value="{depot["id"]}" checked' in back3.text
    both = [str(depot["id"]), str(hof["id"])]
    summary = await post_step(admin_client, back3, "next", {"scope": "CHOSEN", "location_ids": both})
    assert await DriverGroup.count().where(DriverGroup.tenant == cpo.id) == 0  # nothing until "create"

    created = await post_form(admin_client, "/driver-groups", {"draft": draft_of(summary)}, follow_redirects=False)
    assert created.status_code == 303
    group_id = int(created.headers["location"].rsplit("/", 1)[1])
    group = await driver_groups.get_group(cpo.actor, group_id)
    assert (group["name"], group["kind"], group["tariff"], group["tariff_mode"], group["scope"]) == (
        "Gäste", "CARDS_ONLY", doku["id"], "DOCUMENT", "CHOSEN")  # fmt: skip
    assert sorted(group["location_ids"]) == sorted([depot["id"], hof["id"]])
    detail = await admin_client.get(created.headers["location"])
    assert "Driver group Gäste created." in detail.text and "Depot" in detail.text


async def test_every_step_needs_the_csrf_token(admin_client: httpx.AsyncClient, cpo: TenantCtx) -> None:
    first = await admin_client.get("/driver-groups/new")
    data = {"step": "name", "draft": draft_of(first), "go": "next", "name": "X", "kind": "CARDS_ONLY"}
    refused = await admin_client.post("/driver-groups/new", data=data)
    assert refused.status_code == 403
    second = await post_step(admin_client, first, "next", {"name": "X", "kind": "CARDS_ONLY"})
    refused = await admin_client.post("/driver-groups", data={"draft": draft_of(second)})
    assert refused.status_code == 403
    # With the token (a form field, as the page sends it) both go through.
    with_token = await admin_client.post("/driver-groups/new", data={**data, "_csrf_token": csrf_of(admin_client)})
    assert with_token.status_code == 200 and step_of(with_token) == "tariff"
    assert await DriverGroup.count().where(DriverGroup.tenant == cpo.id) == 0


async def test_a_changed_or_foreign_draft_is_refused(
    admin_client: httpx.AsyncClient, cpo: TenantCtx, other_cpo: TenantCtx
) -> None:
    foreign_tariff = await _tariff(other_cpo, "Fremd")
    foreign_location = await location(other_cpo, "Fremd")
    first = await admin_client.get("/driver-groups/new")
    second = await post_step(admin_client, first, "next", {"name": "Team", "kind": "DRIVERS_VEHICLES"})
    # Another tenant's tariff or location, typed into the form: refused like an unknown one.
    tariff = await post_step(admin_client, second, "next", {"tariff_id": str(foreign_tariff["id"]),
                                                        "tariff_mode": "BILLED"})  # fmt: skip
    assert tariff.status_code == 400 and "Choose one of your tariffs." in tariff.text
    third = await post_step(admin_client, tariff, "next", {"tariff_id": ""})
    scope = await post_step(
        admin_client, third, "next", {"scope": "CHOSEN", "location_ids": str(foreign_location["id"])}
    )
    assert scope.status_code == 400 and "Choose locations from the list." in scope.text
    too_large = await post_step(admin_client, scope, "next", {"scope": "CHOSEN", "location_ids": "99999999999"})
    assert too_large.status_code == 400 and "Choose locations from the list." in too_large.text

    # A draft whose text was changed (say, to name another tariff) is not read back.
    summary = await post_step(admin_client, scope, "next", {"scope": "ALL"})
    token = draft_of(summary)
    body, mac = token.rsplit(".", 1)
    changed = body[:-2] + ("AA" if body[-2:] != "AA" else "BB") + "." + mac
    refused = await post_form(admin_client, "/driver-groups", {"draft": changed})
    assert refused.status_code == 400 and "could not be read back" in refused.text and step_of(refused) == "name"
    # A draft of this tenant's admin means nothing to another tenant's admin.
    async with app_client() as other:
        await login(other, other_cpo.admin["email"])
        await post_form(other, "/lang", {"language": "en", "next": "/"})
        carried = await post_form(other, "/driver-groups", {"draft": token})
        assert carried.status_code == 400 and "could not be read back" in carried.text
    assert await DriverGroup.count().where(DriverGroup.tenant.is_in([cpo.id, other_cpo.id])) == 0
    # The untouched draft creates the group.
    created = await post_form(admin_client, "/driver-groups", {"draft": token}, follow_redirects=False)
    assert created.status_code == 303


async def test_create_checks_the_whole_draft_again(admin_client: httpx.AsyncClient, cpo: TenantCtx) -> None:
    """A tariff archived (or a location given up) between the steps and "create": back to that step."""
    doku = await _tariff(cpo, "Doku")
    first = await admin_client.get("/driver-groups/new")
    second = await post_step(admin_client, first, "next", {"name": "Gäste", "kind": "CARDS_ONLY"})
    third = await post_step(admin_client, second, "next", {"tariff_id": str(doku["id"])})
    summary = await post_step(admin_client, third, "next", {"scope": "ALL"})
    await Tariff.update({Tariff.archived_at: Tariff.created_at}).where(Tariff.id == doku["id"])
    refused = await post_form(admin_client, "/driver-groups", {"draft": draft_of(summary)})
    assert refused.status_code == 400 and step_of(refused) == "tariff" and "Choose one of your tariffs." in refused.text
    assert await DriverGroup.count().where(DriverGroup.tenant == cpo.id) == 0
    assert await DriverGroupScope.count().where(DriverGroupScope.driver_group.tenant == cpo.id) == 0


async def test_wizard_rules_in_core(cpo: TenantCtx, other_cpo: TenantCtx) -> None:
    state = group_wizard.start("EROAMING")
    token = group_wizard.draft_token(cpo.actor, {**state.values, "name": "Roaming"})
    moved = await group_wizard.move(cpo.actor, token, "name", {"name": "Roaming", "kind": "EROAMING"}, "next")
    assert (moved.step, moved.errors) == ("tariff", {})
    await driver_groups.create_group(cpo.actor, {"name": "Roaming", "kind": "EROAMING"})
    # A second eRoaming group is refused at step 1, where the kind is chosen.
    again = await group_wizard.move(cpo.actor, token, "scope", {"scope": "ALL"}, "next")
    assert again.step == "name" and "kind" in again.errors
    # The other tenant cannot read this tenant's draft.
    foreign = await group_wizard.move(other_cpo.actor, token, "tariff", {}, "next")
    assert foreign.step == "name" and "__all__" in foreign.errors and foreign.values["name"] == ""
