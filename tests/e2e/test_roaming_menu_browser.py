"""The demo's EMP and hub operator logins in the browser: the Roaming menu lands on their connections page, the
sub-navigation offers only their pages, and each of their roaming pages (list, partner page, OCPI log) passes the
page walk's checks (axe-core, three widths, no raw codes)."""

from __future__ import annotations

import os
from typing import Any

import pytest
from axe_playwright_python.async_playwright import Axe

from core.demo import DEMO_EMP_EMAIL, DEMO_HUB_EMAIL, DEMO_PASSWORD, load_demo
from core.roaming.tables import OcpiExchange, Partner
from core.tenancy.tables import Tenant
from tests.e2e.conftest import ARTIFACTS, browser_login
from tests.e2e.test_every_page_browser import _check

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        os.environ.get("CSMS_TEST_MODE") == "embedded",
        reason="the pages are the same on both databases: scripts/test.sh scans them in its PostgreSQL run",
    ),
]


async def _partner_of(slug: str, kind: str, name: str) -> int:
    """A registered partner of the demo tenant with one logged exchange, once."""
    tenant = await Tenant.select(Tenant.id).where(Tenant.slug == slug).first()
    assert tenant is not None
    existing = await Partner.select(Partner.id).where(Partner.tenant == tenant["id"]).first()
    if existing:
        return int(existing["id"])
    partner = Partner(
        tenant=tenant["id"], kind=kind, name=name, state="REGISTERED", version="2.2.1",
        versions_url="https://partner.example/ocpi/versions",
        roles=[{"role": "EMSP" if kind == "EMP" else "HUB", "country_code": "DE", "party_id": "PRT", "name": name}],
    )  # fmt: skip
    await partner.save()
    await OcpiExchange(
        tenant=tenant["id"], partner=partner.id, direction="in", method="GET", module="locations", http_status=200,
        ocpi_status=1000, duration_ms=12, url="https://csms.example/ocpi/2.2.1/locations",
    ).save()  # fmt: skip
    return int(partner.id)


@pytest.mark.parametrize(
    ("email", "slug", "kind", "label"),
    [(DEMO_EMP_EMAIL, "demo-emp", "EMP", "OCPI-Verbindung"), (DEMO_HUB_EMAIL, "demo-hub", "PLATFORM", "Partner")],
)
async def test_demo_emp_and_hub_land_on_their_connections(
    page: Any, live_server: str, email: str, slug: str, kind: str, label: str
) -> None:
    await load_demo()
    partner_id = await _partner_of(slug, kind, f"Plattform {slug}")
    (ARTIFACTS / "pages").mkdir(parents=True, exist_ok=True)
    await browser_login(page, email, DEMO_PASSWORD)
    await page.click("[data-testid=nav-roaming]")
    await page.wait_for_url("**/roaming/partners")
    subnav = page.locator("[data-testid=roaming-subnav] a")
    assert await subnav.all_inner_texts() == [label]
    axe = Axe()
    problems: list[str] = []
    for name, path in (
        ("partners", "/roaming/partners"),
        ("partner", f"/roaming/partners/{partner_id}"),
        ("log", f"/roaming/partners/{partner_id}/log"),
    ):
        response = await page.goto(path)
        assert response is not None and response.status == 200, path
        assert await page.locator("[data-testid=roaming-subnav-contract_groups]").count() == 0
        await _check(page, axe, f"{slug}-roaming-{name}", path, problems)
    assert not problems, "\n".join(problems)
