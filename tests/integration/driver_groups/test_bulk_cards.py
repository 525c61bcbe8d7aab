"""Many charging cards at once (pasted list or CSV file) and the driver group chosen when cards are created: every
line's outcome, check before create, idempotence, and no group of another tenant by a changed form."""

from __future__ import annotations

import httpx
import pytest

from core.access import cards, driver_groups
from core.access.tables import ChargingCard
from core.errors import PermissionDenied
from core.tenancy import audit
from core.tenancy.permissions import Permission
from tests.support import TenantCtx, app_client, login, make_user, post_form


async def _uids(ctx: TenantCtx) -> dict[str, int | None]:
    rows = await ChargingCard.select(ChargingCard.uid, ChargingCard.driver_group).where(ChargingCard.tenant == ctx.id)
    return {row["uid"]: row["driver_group"] for row in rows}


def _outcomes(page: httpx.Response) -> list[str]:
    import re

    return re.findall(r'data-testid="import-line" data-outcome="(\w+)"', page.text)


MIXED = "\n".join([
    "04:a2:b3:c4",        # 1 created (normalised)
    "",                   # blank lines are no lines
    "C0FFEE01",           # 3 exists already
    "zz-not-hex",         # 4 invalid uid
    "04A2B3C4",           # 5 duplicate of line 1
    "DEADBEEF",           # 6 created
])  # fmt: skip


async def test_pasted_list_with_mixed_lines_into_a_group(admin_client: httpx.AsyncClient, cpo: TenantCtx) -> None:
    await cards.create_card(cpo.actor, {"uid": "C0FFEE01"})
    group = await driver_groups.create_group(cpo.actor, {"name": "Gäste", "kind": "CARDS_ONLY"})
    page = await admin_client.get(f"/cards/import?driver_group_id={group['id']}")
    assert page.status_code == 200 and f'<option value="{group["id"]}" selected>Gäste</option>' in page.text

    checked = await post_form(admin_client, "/cards/import", {"cards": MIXED, "driver_group_id": str(group["id"]),
                                                              "check": "1"})  # fmt: skip
    assert checked.status_code == 200 and "nothing was created yet" in checked.text
    assert _outcomes(checked) == ["CREATED", "EXISTS", "INVALID", "DUPLICATE", "CREATED"]
    assert set(await _uids(cpo)) == {"C0FFEE01"}
    assert "04:a2:b3:c4" in checked.text  # the checked list stays in the form, to be created

    created = await post_form(admin_client, "/cards/import", {"cards": MIXED, "driver_group_id": str(group["id"])})
    assert created.status_code == 200 and _outcomes(created) == ["CREATED", "EXISTS", "INVALID", "DUPLICATE",
                                                                 "CREATED"]  # fmt: skip
    text = created.text
    assert "Skipped: the card exists" in text and "Skipped: duplicate in the list" in text
    assert "Enter the card uid as hexadecimal digits" in text and "The uid is on line 1 already." in text
    assert await _uids(cpo) == {"C0FFEE01": None, "04A2B3C4": group["id"], "DEADBEEF": group["id"]}
    history = await audit.history(cpo.actor, "driver_group", group["id"])
    assert sorted(e["changes"]["card"][1] for e in history if e["action"] == "add_card") == ["04A2B3C4", "DEADBEEF"]

    # Idempotent: the same list again creates nothing and says why.
    again = await post_form(admin_client, "/cards/import", {"cards": MIXED, "driver_group_id": str(group["id"])})
    assert _outcomes(again) == ["EXISTS", "EXISTS", "INVALID", "DUPLICATE", "EXISTS"]
    assert len(await _uids(cpo)) == 3


async def test_csv_file_with_header(admin_client: httpx.AsyncClient, cpo: TenantCtx) -> None:
    csv = ("\ufeffUID;Name;Status;Valid until;Owner note\n"
           "AB01;Pool 1;ACTIVE;2030-12-31;Fuhrpark\n"
           "AB02;Pool 2;LOST;;\n"
           "AB03;Pool 3;BLOCKED;;;too many\n"
           'AB04;"Pool; 4";;;\n')  # fmt: skip
    files = {"file": ("karten.csv", csv.encode(), "text/csv")}
    page = await admin_client.post("/cards/import", data={"cards": ""}, files=files,
                                   headers={"x-csrftoken": admin_client.cookies["csms_csrf"]})  # fmt: skip
    assert page.status_code == 200, page.text
    assert _outcomes(page) == ["CREATED", "INVALID", "INVALID", "CREATED"]
    assert "Choose one of the offered values." in page.text and "check the separator" in page.text
    rows = {r["uid"]: r for r in await ChargingCard.select().where(ChargingCard.tenant == cpo.id)}
    assert set(rows) == {"AB01", "AB04"}
    assert (rows["AB01"]["label"], rows["AB01"]["owner_note"], rows["AB04"]["label"]) == ("Pool 1", "Fuhrpark",
                                                                                          "Pool; 4")  # fmt: skip
    assert rows["AB01"]["valid_until"].year == 2030 and rows["AB04"]["status"] == "ACTIVE"

    bad_header = await post_form(admin_client, "/cards/import", {"cards": "uid;colour\nAB05;red"})
    assert bad_header.status_code == 400 and "Unknown columns: colour" in bad_header.text
    empty = await post_form(admin_client, "/cards/import", {"cards": "  \n"})
    assert empty.status_code == 400 and "Enter at least one card uid." in empty.text
    not_utf8 = {"file": ("karten.csv", "uid\nAB06;Müller".encode("latin-1"), "text/csv")}
    refused = await admin_client.post("/cards/import", data={}, files=not_utf8,
                                      headers={"x-csrftoken": admin_client.cookies["csms_csrf"]})  # fmt: skip
    assert refused.status_code == 400 and "not UTF-8" in refused.text
    assert set(await _uids(cpo)) == {"AB01", "AB04"}


async def test_group_choice_on_the_card_form(admin_client: httpx.AsyncClient, cpo: TenantCtx,
                                             other_cpo: TenantCtx) -> None:  # fmt: skip
    mine = await driver_groups.create_group(cpo.actor, {"name": "Mitarbeiter", "kind": "DRIVERS_VEHICLES"})
    ad_hoc = await driver_groups.create_group(cpo.actor, {"name": "Spontan", "kind": "AD_HOC"})
    archived = await driver_groups.create_group(cpo.actor, {"name": "Alt", "kind": "CARDS_ONLY"})
    await driver_groups.archive_group(cpo.actor, archived["id"])
    foreign = await driver_groups.create_group(other_cpo.actor, {"name": "Fremd", "kind": "CARDS_ONLY"})

    page = await admin_client.get("/cards")
    assert "Mitarbeiter" in page.text and 'data-testid="card-group"' in page.text
    assert "Spontan" not in page.text and ">Alt<" not in page.text and "Fremd" not in page.text
    chosen = {"uid": "AA01", "status": "ACTIVE", "driver_group_id": str(mine["id"])}
    ok = await post_form(admin_client, "/cards", chosen, follow_redirects=False)
    assert ok.status_code == 303
    # Another tenant's group, an archived one, one without cards: a form error, no card.
    for group_id in (foreign["id"], archived["id"], ad_hoc["id"], "x1", "2147483648", "99999999999"):
        refused = await post_form(admin_client, "/cards", {"uid": "AA02", "status": "ACTIVE",
                                                           "driver_group_id": str(group_id)})  # fmt: skip
        assert refused.status_code == 400 and "Choose one of your active driver groups" in refused.text
        bulk = await post_form(admin_client, "/cards/import", {"cards": "AA03", "driver_group_id": str(group_id)})
        assert bulk.status_code == 400 and "Choose one of your active driver groups" in bulk.text
    assert await _uids(cpo) == {"AA01": mine["id"]}
    assert await _uids(other_cpo) == {}
    assert (await driver_groups.get_group(other_cpo.actor, foreign["id"]))["card_count"] == 0


async def test_choosing_a_group_needs_the_driver_group_right(cpo: TenantCtx) -> None:
    group = await driver_groups.create_group(cpo.actor, {"name": "Gäste", "kind": "CARDS_ONLY"})
    clerk = await make_user(cpo.id, permissions=[Permission.CARDS_VIEW, Permission.CARDS_MANAGE])
    async with app_client() as client:
        await login(client, clerk["email"])
        page = await client.get("/cards/import")
        assert page.status_code == 200 and 'data-testid="card-group"' not in page.text
        refused = await post_form(client, "/cards/import", {"cards": "BB01", "driver_group_id": str(group["id"])})
        assert refused.status_code == 403
        ok = await post_form(client, "/cards/import", {"cards": "BB02\nBB03"})
        assert ok.status_code == 200 and _outcomes(ok) == ["CREATED", "CREATED"]
    assert await _uids(cpo) == {"BB02": None, "BB03": None}


async def test_core_refuses_a_group_without_the_right(cpo: TenantCtx) -> None:
    group = await driver_groups.create_group(cpo.actor, {"name": "Gäste", "kind": "CARDS_ONLY"})
    clerk = await make_user(cpo.id, permissions=[Permission.CARDS_VIEW, Permission.CARDS_MANAGE])
    from core.tenancy import logins

    actor = await logins.actor_for_user(clerk)
    with pytest.raises(PermissionDenied):
        await cards.import_cards(actor, "CC01", group["id"])
    with pytest.raises(PermissionDenied):
        await cards.create_card(actor, {"uid": "CC02"}, group["id"])
    result = await cards.import_cards(actor, "CC03", save=False)
    assert result.count(cards.BulkOutcome.CREATED) == 1 and not result.saved and await _uids(cpo) == {}
