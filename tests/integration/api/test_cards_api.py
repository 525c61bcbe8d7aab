"""Charging cards through the REST API: a card created straight into a driver group (only the tenant's own active
group that holds cards; choosing one needs driver_groups.manage), and many cards at once, all or nothing, with each
refused row's errors, by the rules of the portal's list import."""

from __future__ import annotations

import httpx

from core.access import driver_groups
from core.access.tables import ChargingCard
from core.tenancy import api_keys
from core.tenancy.tables import AuditEntry
from tests.integration.api.conftest import bearer, json_of
from tests.support import TenantCtx


async def test_a_card_is_created_in_a_driver_group_of_the_own_tenant(
    client: httpx.AsyncClient, auth: dict[str, str], cpo: TenantCtx, other_cpo: TenantCtx
) -> None:
    group = await driver_groups.create_group(cpo.actor, {"name": "Gäste", "kind": "CARDS_ONLY"})
    foreign = await driver_groups.create_group(other_cpo.actor, {"name": "Fremd", "kind": "CARDS_ONLY"})
    card = json_of(await client.post("/api/v1/cards", headers=auth,
                                     json={"uid": "A1B2C3D4", "driver_group_id": group["id"]}), 201)  # fmt: skip
    assert card["driver_group_id"] == group["id"] and card["uid"] == "A1B2C3D4"
    refused = await client.post("/api/v1/cards", headers=auth,
                                json={"uid": "A1B2C3D5", "driver_group_id": foreign["id"]})  # fmt: skip
    assert refused.status_code == 400
    assert refused.json()["errors"] == {"driver_group_id": "Choose one of your active driver groups that hold cards."}
    assert not await ChargingCard.exists().where(ChargingCard.uid == "A1B2C3D5")
    plain = json_of(await client.post("/api/v1/cards", headers=auth, json={"uid": "A1B2C3D6"}), 201)
    assert plain["driver_group_id"] is None

    # cards.manage without driver_groups.manage: a card, but not into a group
    key, _ = await api_keys.create_api_key(cpo.id, "cards only", ["cards.view", "cards.manage"])
    denied = await client.post("/api/v1/cards", headers=bearer(key),
                               json={"uid": "A1B2C3D7", "driver_group_id": group["id"]})  # fmt: skip
    assert denied.status_code == 403 and not await ChargingCard.exists().where(ChargingCard.uid == "A1B2C3D7")


async def test_bulk_creates_all_cards_or_none(client: httpx.AsyncClient, auth: dict[str, str], cpo: TenantCtx) -> None:
    group = await driver_groups.create_group(cpo.actor, {"name": "Flotte", "kind": "CARDS_ONLY"})
    json_of(await client.post("/api/v1/cards", headers=auth, json={"uid": "0BAD0001"}), 201)
    rows = [
        {"uid": "0bad 0002", "label": "Anna"},
        {"uid": "0BAD0003", "valid_until": "2030-01-31"},
        {"uid": "0BAD0002"},  # repeats row 0 (uids are normalised)
        {"uid": "0BAD0001"},  # exists
        {"uid": "not hex!"},
        {"uid": "0BAD0004", "status": "LOST"},
    ]
    refused = await client.post("/api/v1/cards/bulk", headers=auth, json={"cards": rows})
    assert refused.status_code == 400, refused.text
    errors = refused.json()["errors"]
    assert set(errors) == {"cards[2].uid", "cards[3].uid", "cards[4].uid", "cards[5].status"}
    assert errors["cards[2].uid"] == "The uid is on line 0 already."  # the index of the first row with it
    assert errors["cards[3].uid"] == "A card with this uid exists."
    assert not await ChargingCard.exists().where(ChargingCard.uid.is_in(["0BAD0002", "0BAD0003"]))  # none created

    good = [rows[0], rows[1], {"uid": "0BAD0005", "owner_note": "Fahrzeug 7"}]
    created = json_of(await client.post("/api/v1/cards/bulk", headers=auth,
                                        json={"cards": good, "driver_group_id": group["id"]}), 201)  # fmt: skip
    assert [c["uid"] for c in created] == ["0BAD0002", "0BAD0003", "0BAD0005"]
    assert {c["driver_group_id"] for c in created} == {group["id"]} and created[0]["label"] == "Anna"
    assert created[1]["valid_until"] is not None
    assert (
        await AuditEntry.count().where(
            (AuditEntry.entity_type == "card") & AuditEntry.entity_id.is_in([c["id"] for c in created])
        )
        == 3
    )

    again = await client.post("/api/v1/cards/bulk", headers=auth, json={"cards": good})
    assert again.status_code == 400 and set(again.json()["errors"]) == {f"cards[{i}].uid" for i in range(3)}
    assert (await client.post("/api/v1/cards/bulk", headers=auth, json={"cards": []})).json()["errors"] == {
        "cards": "Enter at least one card uid."
    }
    unknown = await client.post("/api/v1/cards/bulk", headers=auth, json={"cards": [{"uid": "0BAD0009", "x": 1}]})
    assert unknown.status_code == 400 and not await ChargingCard.exists().where(ChargingCard.uid == "0BAD0009")


async def test_bulk_into_another_tenants_group_is_refused(
    client: httpx.AsyncClient, auth: dict[str, str], other_cpo: TenantCtx
) -> None:
    foreign = await driver_groups.create_group(other_cpo.actor, {"name": "Fremd", "kind": "CARDS_ONLY"})
    refused = await client.post("/api/v1/cards/bulk", headers=auth,
                                json={"cards": [{"uid": "0BAD1001"}], "driver_group_id": foreign["id"]})  # fmt: skip
    assert refused.status_code == 400
    assert refused.json()["errors"] == {"driver_group_id": "Choose one of your active driver groups that hold cards."}
    assert not await ChargingCard.exists().where(ChargingCard.uid == "0BAD1001")


async def test_the_api_documentation_shows_the_group_and_the_bulk_call(client: httpx.AsyncClient) -> None:
    schema = json_of(await client.get("/api/docs/openapi.json"))
    assert "post" in schema["paths"]["/api/v1/cards/bulk"] and "get" in schema["paths"]["/api/v1/terminals"]
    assert "get" in schema["paths"]["/api/v1/terminals/{terminal_id}"]
    components = schema["components"]["schemas"]
    assert "driver_group_id" in components["CardCreate"]["properties"]
    assert {"cards", "driver_group_id"} <= set(components["CardBulk"]["properties"])
