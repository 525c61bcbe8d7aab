"""Ids staff type, with control or invisible characters in them: every form that takes a charge box id (station
form, clone, adoption of an unknown station, bulk import, REST API in tests/integration/api/test_hostile_bodies.py)
and the other ids (card uid and label, EVSE-ID) answer a field error; nothing is stored."""

from __future__ import annotations

import httpx
import pytest

from core.access import cards
from core.access.tables import ChargingCard
from core.charging.tables import UnknownStation
from core.errors import ValidationError
from core.infrastructure import bulk_import, charge_points, stations
from core.infrastructure.tables import ChargePoint, ChargingStation
from core.tenancy.tables import Tenant
from tests.integration.infrastructure.conftest import Site
from tests.support import TenantCtx, post_form

HOSTILE = ["CP\x00001", "CP-1\n2", "CP\u200b-1", "\u202eCP-1", "CP 1"]


@pytest.mark.parametrize("charge_box_id", HOSTILE)
async def test_station_form_and_clone_refuse_the_id(
    admin_client: httpx.AsyncClient, site: Site, charge_box_id: str
) -> None:
    data = {"location_id": site.location["id"], "charge_box_id": charge_box_id, "installation_status": "PLANNED"}
    created = await post_form(admin_client, "/infrastructure/stations", data)
    assert created.status_code == 400
    cloned = await post_form(
        admin_client, f"/infrastructure/stations/{site.station['id']}/clone", {"charge_box_id": charge_box_id}
    )
    assert cloned.status_code == 400
    assert await ChargingStation.count().where(ChargingStation.location == site.location["id"]) == 1


async def test_an_unknown_station_with_an_invalid_id_cannot_be_adopted(
    admin_client: httpx.AsyncClient, site: Site, cpo: TenantCtx, unique: str
) -> None:
    """Rows recorded before the handshake refused such ids (the migration removes them; one may still come)."""
    unknown = UnknownStation(charge_box_id=f"OC-\x0b{unique}", tenant=cpo.id)
    await unknown.save()
    await Tenant.update({Tenant.allow_unknown_stations: True}).where(Tenant.id == cpo.id)
    try:
        response = await post_form(
            admin_client, f"/operations/unknown-stations/{unknown.id}/adopt", {"location_id": site.location["id"]}
        )
    finally:
        await Tenant.update({Tenant.allow_unknown_stations: False}).where(Tenant.id == cpo.id)
    assert response.status_code == 400 and "Remove control characters and invisible characters." in response.text
    assert not await ChargingStation.exists().where(ChargingStation.charge_box_id.like(f"OC-%{unique}"))


async def test_bulk_import_rows_with_control_characters_are_row_errors(cpo: TenantCtx, unique: str) -> None:
    header = "location_name;address;postal_code;city;country;charge_box_id;evse_number"
    lines = [
        f"Depot\x00{unique};Hauptstr. 1;10115;Berlin;DEU;IMP-{unique}-1;1",
        f"Depot {unique};Hauptstr. 1;10115;Berlin;DEU;IMP-{unique}\x002;1",
        f"Depot {unique};Hauptstr.\x1b 1;10115;Berlin;DEU;IMP-{unique}\u200b3;1",
    ]
    parsed = await bulk_import.validate(cpo.actor, "\n".join([header, *lines]) + "\n")
    assert [sorted(row.errors) for row in parsed.rows] == [
        ["location_name"], ["charge_box_id"], ["address", "charge_box_id"]
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("field", "value"), [("uid", "04A2\x00B3"), ("label", "Fleet\x1b[2J"), ("visual_number", "7\u200b")]
)
async def test_card_fields_refuse_control_characters(cpo: TenantCtx, field: str, value: str) -> None:
    with pytest.raises(ValidationError) as info:
        await cards.create_card(cpo.actor, {"uid": "04A2B3C4", field: value})
    assert field in info.value.errors
    assert not await ChargingCard.exists().where(ChargingCard.tenant == cpo.id)


async def test_evse_id_refuses_control_characters(cpo: TenantCtx, site: Site) -> None:
    with pytest.raises(ValidationError) as info:
        await charge_points.create_charge_point(
            cpo.actor, {"station_id": site.station["id"], "evse_number": 7, "evse_id": "DE*ISE*E1\x00*7"}
        )
    assert "evse_id" in info.value.errors
    seventh = (ChargePoint.station == site.station["id"]) & (ChargePoint.evse_number == 7)
    assert not await ChargePoint.exists().where(seventh)


async def test_the_station_spec_keeps_refusing_ids_through_core(cpo: TenantCtx, site: Site) -> None:
    for charge_box_id in HOSTILE:
        with pytest.raises(ValidationError):
            await stations.create_station(
                cpo.actor, {"location_id": site.location["id"], "charge_box_id": charge_box_id}
            )
