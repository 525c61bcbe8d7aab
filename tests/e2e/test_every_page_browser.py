"""Every portal page in a real browser: axe-core finds no serious or critical accessibility violation, each page,
screenshotted at 1,280, 1,024 and 390 px (test-artifacts/pages/), fits the screen without scrolling sideways, and no
raw code (UNKNOWN, tariff_assign, infrastructure.view, ac_energy_per_kwh, {}) is shown where a label belongs
(tests/e2e/raw_codes.py).

The pages are the app's own GET routes, so a page added later is scanned too: its path parameters are filled with
the ids of the data made here (a new parameter fails the test until it gets an id in ``_ids``). Routes that answer
with something other than a whole HTML page (CSV, files, JSON, redirects, HTMX fragments) are left out, and the
fragments are scanned inside their pages: every tab of the station and charge point pages, and the chart view of
the charging data.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from axe_playwright_python.async_playwright import Axe
from litestar import MediaType
from litestar.response import File, Redirect, Stream
from litestar.routes import HTTPRoute

from core.access import driver_groups
from core.access.tables import DriverGroup
from core.alerts import detect as alert_detect
from core.alerts import manage as alert_groups
from core.alerts.cases import Case as AlertCase
from core.alerts.rules import Source as AlertSource
from core.charging.tables import UnknownStation
from core.commands.tables import CommandRecord
from core.community import months, statements
from core.community.demo import card_session
from core.firmware import campaigns as firmware_campaigns
from core.infrastructure import bulk_import
from core.infrastructure.tables import ChargePoint, Connector
from core.payments import service, terminals
from core.payments.receipts import local_zone
from core.products import assignments as product_assignments
from core.products.catalogue import ProductCode, product_by_code
from core.roaming import contract_groups
from core.roaming.tables import OcpiExchange, Partner
from core.tariffs import assignments
from core.tariffs.tables import Tariff
from core.tenancy import api_keys, invitations
from core.tenancy.permissions import Permission
from core.tenancy.tables import UserGroupMember
from portal.tabs import CHARGE_POINT_TABS, STATION_TABS
from tests.e2e.conftest import ARTIFACTS, browser_login
from tests.e2e.raw_codes import raw_codes
from tests.integration.cdrs.conftest import cdr_of, finished_session
from tests.integration.community.helpers import community_with_point, link_token, member
from tests.integration.driver_pay.conftest import PaySite, captured_payment
from tests.integration.mail.conftest import queued_mail
from tests.integration.ocpp.conftest import make_station
from tests.support import TenantCtx, app_client, make_tenant, make_user

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        os.environ.get("CSMS_TEST_MODE") == "embedded",
        reason="the pages are the same on both databases: scripts/test.sh scans them in its PostgreSQL run",
    ),
]

WIDTHS = (1280, 1024, 390)
NOT_PORTAL = ("/api/", "/static/", "/health", "/ocpp", "/ocpi")
NOT_HTML = (File, Stream, Redirect)
PARAMETER = re.compile(r"\{(\w+)(?::\w+)?\}")
RESERVED = {"self", "request", "data", "state", "scope", "headers", "cookies", "body"}  # given by Litestar
# Blocking: what keeps a person from using the page. Moderate and minor findings are printed, not failed.
FAILING_IMPACTS = ("serious", "critical")
# What changes on a phone: tables that scroll in their box must take the keyboard focus, tap targets shrink.
PHONE_RULES = {"runOnly": {"type": "rule", "values": ["scrollable-region-focusable", "target-size"]}}
NEXT_FRAME = "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"


def renders_html(handler: Any) -> bool:
    if handler.media_type == MediaType.JSON:
        return False
    returned = handler.parsed_fn_signature.return_type.annotation
    return not (isinstance(returned, type) and issubclass(returned, NOT_HTML))


def portal_pages(ids: dict[str, Any]) -> dict[str, str]:
    """Every GET route of the portal that may render HTML, by its route name; path and required query parameters
    come from ``ids``."""
    pages: dict[str, str] = {}
    for route in app_client()._transport.app.routes:  # type: ignore[attr-defined]
        if not isinstance(route, HTTPRoute) or route.path.startswith(NOT_PORTAL):
            continue
        for handler in route.route_handlers:
            if "GET" not in handler.http_methods or not renders_html(handler):
                continue
            in_path = PARAMETER.findall(route.path)
            required = [name for name, field in handler.parsed_fn_signature.parameters.items()
                        if not field.has_default and name not in RESERVED]  # fmt: skip
            missing = [name for name in required if name not in ids]
            assert not missing, f"{route.path}: give the parameters {missing} a value in _ids of this test"
            query = "&".join(f"{name}={ids[name]}" for name in required if name not in in_path)
            path = PARAMETER.sub(lambda m: str(ids[m.group(1)]), route.path)
            pages[_slug(PARAMETER.sub(r"\1", route.path))] = f"{path}?{query}" if query else path
    return pages


RESELLER_PAGES = "/resellers/"  # only a reseller tenant's staff open them (core refuses every other tenant)


async def _ids(cpo: TenantCtx, unique: str) -> dict[str, Any]:
    """Demo-like data of one tenant, one of each thing a page shows, by the path parameter that names it."""
    station = await make_station(cpo, "PG" + unique)
    cp = station.charge_points[0]
    connector = await Connector.select(Connector.id).where(Connector.charge_point == cp["id"]).first()
    await assignments.ensure_demo_tariff(cpo.actor)
    await driver_groups.ensure_demo_group(cpo.actor, str(assignments.DEMO_TARIFF["name"]))
    tariff = await Tariff.select(Tariff.id).where(Tariff.tenant == cpo.id).first()
    group = await DriverGroup.select(DriverGroup.id).where(DriverGroup.tenant == cpo.id).first()
    start = datetime.now(UTC) - timedelta(days=1)
    cdr = await cdr_of(await finished_session(cpo, station, energy_wh=12_500, start=start))
    user = await make_user(cpo.id, permissions=["sessions.view"])
    membership = await UserGroupMember.select(UserGroupMember.group).where(UserGroupMember.user == user["id"]).first()
    await api_keys.create_api_key(cpo.id, "Abrechnung", [Permission.SESSIONS_VIEW.value])  # its permissions listed
    csv = "location_name;address;postal_code;city;charge_box_id;evse_number\nHof;Weg 1;10115;Berlin;PG-CSV-1;1\n"
    job = await bulk_import.create_job(cpo.actor, "stations.csv", csv.encode())
    bulk = uuid.uuid4().hex[:16]
    await CommandRecord(tenant=cpo.id, station=station.id, action="ClearCache", status="offline", job=bulk).save()
    campaign = await firmware_campaigns.create_campaign(cpo.actor, {
        "name": "Terra 2.0", "location": "https://firmware.example.com/terra-2.0.bin", "expected_version": "2.0",
        "max_parallel": 2, "start_at": (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%d %H:%M"),
    }, [station.id])  # fmt: skip
    unknown = UnknownStation(tenant=cpo.id, charge_box_id=f"UNK-{unique}", remote_addr="192.0.2.7")
    await unknown.save()
    partner = await _partner(cpo)
    emp = await make_tenant(kind="EMP")
    contract_group = await contract_groups.create_group(cpo.actor, {"name": "EMP-Vertragsgruppe",
                                                                    "emp_tenant_ids": [emp.id]})  # fmt: skip
    mail = await queued_mail(cpo, f"fahrer-{unique}@example.test", f"every-page:{unique}")
    assert tariff and group and connector and membership and mail
    # What the history and status displays must show in words: a tariff assignment, a group's chosen locations,
    # a user group's permissions (make_user), the status a station reported.
    await assignments.assign_tariff(cpo.actor, tariff["id"], [cp["id"]], datetime.now(UTC) + timedelta(days=40))
    chosen = {"scope": "CHOSEN", "location_ids": [str(station.row["location"])]}
    await driver_groups.update_group(cpo.actor, group["id"], chosen)
    await ChargePoint.update({ChargePoint.status: "AVAILABLE", ChargePoint.status_detail: "Available",
                              ChargePoint.error_code: "GroundFailure"}).where(ChargePoint.id == cp["id"])  # fmt: skip
    # the driver's pages: the charge point offers Direct Payment; a payment waits at the sandbox's 3-D Secure page
    evse_id = f"DE*PGE*E{unique[:6].upper()}*1"
    await ChargePoint.update({ChargePoint.evse_id: evse_id, ChargePoint.auth_direct_payment: True}).where(
        ChargePoint.id == cp["id"]
    )
    payment = await service.create_payment(cpo.id, amount=Decimal("50.00"), currency="EUR", charge_point_id=cp["id"],
                                           evse_id=evse_id)  # fmt: skip
    payment = await service.authorise(payment["id"], "4000002760003184", "https://csms.example/pay/return")
    # and a finished, paid charge with its receipt
    site = PaySite(cpo, station, evse_id)
    paid = await captured_payment(cpo, site, await finished_session(cpo, station, energy_wh=8_000, start=start))
    terminal = await terminals.create_terminal(cpo.actor, {"name": "Terminal Einfahrt", "serial_number": "PAX-1",
                                                           "model": "vaylensPay iM30"})  # fmt: skip
    await terminals.set_stations(cpo.actor, terminal["id"], [station.id])
    # a product on the station (its Products tab, the confirmation before ending it)
    support = await product_by_code(ProductCode.SUPPORT_360)
    assert support is not None
    product = (await product_assignments.assign(cpo.actor, support["id"], [station.id])).created[0]
    community = await _community(cpo, unique, start)
    # a reseller's pages are scanned as the reseller (no other tenant opens them); a sub-CPO's admin's invitation
    reseller = await make_tenant(kind="RESELLER")
    sub_cpo = await make_tenant(parent_id=reseller.id)
    invitation = await invitations.issue(sub_cpo.admin["id"])
    # an open alert on the station, and a notification group for it
    await alert_detect.open_alerts(
        [
            alert_detect.Opening(
                cpo.id, station.id, cp["id"], AlertSource.STATUS, AlertCase.FUSE_TRIPPED, "OverCurrentFailure", start
            )
        ]
    )
    notification_group = await alert_groups.save_group(
        cpo.actor,
        {
            "name": "Technik",
            "recipients": "technik@example.test",
            "cases": ["FUSE_TRIPPED"],
            "station_ids": [str(station.id)],
        },
    )
    return {
        "notification_group_id": notification_group["id"],
        "sub_cpo_id": sub_cpo.id, "invitation_token": invitation, "reseller_email": reseller.admin["email"],
        "evse_id": evse_id, "uid": payment["uid"], "reference": payment["provider_reference"],
        "token": paid["receipt_token"],
        "location_id": station.row["location"], "station_id": station.id, "charge_point_id": cp["id"],
        "connector_id": connector["id"], "job_id": job["id"], "driver_group_id": group["id"],
        "contract_group_id": contract_group["id"],
        "tariff_id": tariff["id"], "cdr_id": cdr["id"], "job": bulk, "user_id": user["id"],
        "group_id": membership["group"], "unknown_id": unknown.id, "partner_id": partner,
        "mail_id": mail, "terminal_id": terminal["id"], "product_assignment_id": product["id"],
        "campaign_id": campaign["id"],
        "key": "info",  # the station's own tab fragments; the tabs are scanned within the page below
        "after_id": 0,  # the OCPP log's live rows
        **community,
    }  # fmt: skip


async def _community(cpo: TenantCtx, unique: str, start: datetime) -> dict[str, Any]:
    """A community with a member who charged, the month's statement and credit note, and an unused invitation."""
    setup = await community_with_point(cpo, name="Mitarbeiter-Laden")
    address = f"fahrerin-{unique}@example.test"
    driver = await member(cpo, setup.community, address)
    await card_session(cpo.id, setup.charge_point_id, driver["card_id"], start, 1, 9_000)
    month = months.month_of(start, local_zone(setup.community["time_zone"]))
    await statements.write_month(setup.community["id"], month.period)
    statement = (await statements.list_statements(cpo.actor, setup.community["id"]))[0]
    note = (await statements.list_credit_notes(cpo.actor, setup.community["id"]))[0]
    return {"community_id": setup.community["id"], "member_id": driver["id"], "statement_id": statement["id"],
            "note_id": note["id"], "link_token": await link_token(address)}  # fmt: skip


async def _partner(cpo: TenantCtx) -> int:
    """A registered OCPI partner with roles, endpoints and a logged exchange (a failed one, for the error list)."""
    partner = Partner(
        tenant=cpo.id, kind="PLATFORM", name="Roaming platform", state="REGISTERED", version="2.2.1",
        versions_url="https://platform.example/ocpi/versions",
        roles=[{"role": "HUB", "country_code": "DE", "party_id": "PLT", "name": "Platform"}],
        endpoints=[{"identifier": "credentials", "role": "RECEIVER", "url": "https://platform.example/ocpi/credentials"}],
    )  # fmt: skip
    await partner.save()
    await OcpiExchange(
        tenant=cpo.id, partner=partner.id, direction="out", method="PUT", module="locations", http_status=200,
        ocpi_status=2001, duration_ms=42, url="https://platform.example/ocpi/locations/DE/ISE/LOC1",
        request_id="req-1", correlation_id="cor-1", request_body='{"id": "LOC1"}',
        response_body='{"status_code": 2001, "timestamp": "2026-01-01T00:00:00Z"}',
    ).save()  # fmt: skip
    return int(partner.id)


def _variants(ids: dict[str, Any]) -> dict[str, str]:
    """Pages whose parts are chosen by a query: each tab, the chart view; and the page of a wrong address."""
    station = f"/infrastructure/stations/{ids['station_id']}"
    point = f"/infrastructure/charge-points/{ids['charge_point_id']}"
    pages = {f"station-tab-{tab.key}": f"{station}?tab={tab.key}" for tab in STATION_TABS}
    pages |= {f"charge-point-tab-{tab.key}": f"{point}?tab={tab.key}" for tab in CHARGE_POINT_TABS}
    return pages | {"charging-data-chart": "/charging-data?view=chart", "not-found": "/no-such-page"}


def _slug(path: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "dashboard"


async def _axe(page: Any, axe: Axe, path: str, problems: list[str], options: dict[str, Any] | None = None) -> None:
    results = await axe.run(page, options=options)
    for violation in results.response["violations"]:
        targets = [" ".join(map(str, node["target"])) for node in violation["nodes"][:3]]
        line = f"{path}: {violation['impact']} {violation['id']} ({violation['help']}) at {targets}"
        if violation["impact"] in FAILING_IMPACTS:
            problems.append(line)
        else:
            print(line)


async def _check(page: Any, axe: Axe, name: str, path: str, problems: list[str]) -> None:
    """axe-core at full width, then the three widths: a screenshot each, no sideways scrolling, and on the phone
    the rules that depend on the layout."""
    await page.set_viewport_size({"width": WIDTHS[0], "height": 900})
    await _axe(page, axe, path, problems)
    for width in WIDTHS:
        await page.set_viewport_size({"width": width, "height": 900})
        await page.evaluate(NEXT_FRAME)  # the page's own reaction to the new width (portal.js) has run
        await page.screenshot(path=str(ARTIFACTS / "pages" / f"{name}-{width}.png"), full_page=True)
        overflow = await page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        if overflow > 0:
            problems.append(f"{path}: at {width} px the page is {overflow} px wider than the screen")
    await _axe(page, axe, f"{path} at {WIDTHS[-1]} px", problems, PHONE_RULES)
    await page.set_viewport_size({"width": WIDTHS[0], "height": 900})
    problems.extend(f"{path}: raw code {finding}" for finding in await raw_codes(page))


async def test_every_portal_page_is_accessible_and_fits_three_widths(
    page: Any, live_server: str, cpo: TenantCtx, unique: str
) -> None:
    shutil.rmtree(ARTIFACTS / "pages", ignore_errors=True)  # only this run's pages
    (ARTIFACTS / "pages").mkdir(parents=True, exist_ok=True)
    axe = Axe()
    problems: list[str] = []
    # the provider's return page goes on by POST by itself at once (static/pay-continue.js): scanned as it stands
    # without script; its going on is tested in test_driver_pay_browser
    await page.route("**/static/pay-continue.js", lambda route: route.abort())
    await page.goto("/login")
    await _check(page, axe, "login", "/login", problems)

    ids = await _ids(cpo, unique)
    await browser_login(page, cpo.admin["email"], cpo.password)
    scanned, left_out = [], []
    pages = sorted((portal_pages(ids) | _variants(ids)).items())
    reseller_pages = [(name, path) for name, path in pages if path.startswith(RESELLER_PAGES)]
    others = [(name, path) for name, path in pages if not path.startswith(RESELLER_PAGES)]
    for index, (name, path) in enumerate(others + reseller_pages):
        if index == len(others):  # the reseller's own pages: logged in as the reseller
            await page.context.clear_cookies()
            await browser_login(page, ids["reseller_email"], cpo.password)
        probe = await page.request.get(path)  # the browser's session, without opening downloads
        if "text/html" not in probe.headers.get("content-type", "") or "<main" not in await probe.text():
            left_out.append(path)  # a file, or a fragment shown inside its page
            continue
        response = await page.goto(path)
        expected = 404 if name == "not-found" else 200
        assert response is not None and response.status == expected, f"{path} answered {response and response.status}"
        if await page.locator("[hx-trigger*=load]").count():
            await page.wait_for_load_state("networkidle")  # tabs and lists that htmx loads after the page
        await _check(page, axe, name, path, problems)
        scanned.append(path)
    print(f"scanned {len(scanned)} pages; left out (not whole pages): {left_out}")
    assert len(scanned) >= 60, scanned  # the portal has more than 60 pages and tabs: the walk really ran
    assert not problems, "\n".join(problems)
