"""extrawest-ocpi (its own process) registers with csms (a subprocess on the test database) and crawls csms's
locations and tariffs by Link: it gets exactly the locations its EMP tenant may see, and a station switched off
roaming or an EMP removed from the contract group disappears from its GETs."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from core.roaming import contract_groups, marketing, partners
from core.tariffs import assignments, tariffs
from tests.integration.ocpi.test_sender_modules import SWITCHES_ON, open_to, roaming_cpo, roaming_site
from tests.integration.roaming.conftest import ready_site
from tests.ocpi_peer.peer import OcpiPeer
from tests.support import TenantCtx


async def test_the_peer_crawls_exactly_the_visible_locations(
    ocpi_emsp: OcpiPeer, csms_url: str, emp_exw: TenantCtx
) -> None:
    first, second = await roaming_cpo(), await roaming_cpo()
    first_group = await open_to(first, emp_exw)
    first_sites = [await roaming_site(first, first_group) for _ in range(3)]
    second_group = await open_to(second, emp_exw)
    second_site = await roaming_site(second, second_group)
    await ready_site(first, uuid.uuid4().hex[:10])  # no contract group: never listed
    tariff = await tariffs.create_tariff(
        first.actor, {"name": "Standard", "currency": "EUR", "ac_energy_per_kwh": "0.4"}
    )
    now = datetime.now(UTC)
    await assignments.assign_tariff(first.actor, tariff["id"], [first_sites[1].charge_point["id"]], now)
    created = await partners.create_partner(emp_exw.actor, {"name": "extrawest"})
    registration = await ocpi_emsp.register(f"{csms_url}/ocpi/versions", created.token_a)
    assert registration["ok"], registration["steps"]

    async def crawled(**kwargs: object) -> list[tuple[str, str]]:
        result = await ocpi_emsp.crawl("locations", limit=2, **kwargs)  # type: ignore[arg-type]
        assert result["error"] is None, result
        for page in result["pages"][:-1]:
            assert page["link"] and "limit=2" in page["link"] and page["limit"] == 2
        return sorted((loc["party_id"].upper(), loc["id"]) for loc in result["items"])

    expected = sorted([(first.tenant["party_id"], str(s.location["id"])) for s in first_sites]
                      + [(second.tenant["party_id"], str(second_site.location["id"]))])  # fmt: skip
    assert await crawled() == expected
    only_first = {"OCPI-to-country-code": first.tenant["country_code"], "OCPI-to-party-id": first.tenant["party_id"]}
    assert await crawled(headers=only_first) == [e for e in expected if e[0] == first.tenant["party_id"]]

    # Roaming switched off on one station, the EMP removed from the other CPO's group: both disappear.
    await marketing.save_marketing(first.actor, first_sites[0].station["id"], {**SWITCHES_ON, "roaming": ""})
    await contract_groups.update_group(second.actor, second_group["id"], {"name": "Gruppe", "emp_tenant_ids": []})
    gone = {(first.tenant["party_id"], str(first_sites[0].location["id"])),
            (second.tenant["party_id"], str(second_site.location["id"]))}  # fmt: skip
    assert await crawled() == [e for e in expected if e not in gone]

    offered = await ocpi_emsp.crawl("tariffs")
    assert offered["error"] is None, offered
    assert [(t["party_id"].upper(), t["id"]) for t in offered["items"]] == [
        (first.tenant["party_id"], f"{tariff['code']}-AC")
    ]
