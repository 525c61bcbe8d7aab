"""Demo data: a CPO "Demo Company" (DE / ISE) with locations, stations and charge points, one EMP (DE / DMP) and
the roaming hub operator (DE / HUB), the last two with a login each for the OCPI partner pages (docs/ocpi.md).

Idempotent: running it again changes nothing when the demo tenant exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from core.access import driver_groups
from core.billing.demo import ensure_demo_billing
from core.cdrs.building import create_cdr
from core.charging.tables import ChargingSession
from core.community.demo import ensure_demo_community
from core.infrastructure import charge_points, stations
from core.infrastructure import locations as infrastructure_locations
from core.infrastructure.tables import ChargePoint, ChargingStation
from core.months import month_of
from core.products import assignments as product_assignments
from core.products.catalogue import ProductCode, ensure_catalogue, product_by_code
from core.products.tables import ProductAssignment
from core.roaming import contract_groups, marketing, partners
from core.roaming.tables import OcpiExchange, Partner, PartnerToken
from core.tariffs import assignments
from core.tariffs.tables import Tariff, TariffAssignment
from core.tenancy import company, tenants
from core.tenancy.actor import Actor, system_actor
from core.tenancy.passwords import hash_password
from core.tenancy.permissions import Permission
from core.tenancy.tables import StaffUser, Tenant, UserGroup

DEMO_SLUG = "demo"
DEMO_EMAIL = "admin@demo.example"
DEMO_PASSWORD = "demo-admin-2026"  # noqa: S105 - the documented demo login
DEMO_EMP_EMAIL = "emp@demo.example"  # the demo EMP's admin: its OCPI connection to the hub
DEMO_HUB_EMAIL = "hub@demo.example"  # the hub operator's admin: external roaming platforms
DEMO_STATION_PASSWORD = "demo-station-password"  # noqa: S105 - simulator and docs use it

_LOCATIONS = [
    {
        "name": "Parkhaus Altstadt",
        "address": "Marktplatz 5",
        "postal_code": "80331",
        "city": "München",
        "country": "DEU",
        "latitude": Decimal("48.1371079"),
        "longitude": Decimal("11.5753822"),
        "time_zone": "Europe/Berlin",
        "parking_type": "PARKING_GARAGE",
        "parking_restrictions": ["EV_ONLY"],
        "hotline": "+49 89 1234567",
        "operator_name": "Demo Company",
    },
    {
        "name": "Firmenparkplatz Nord",
        "address": "Industriestraße 12",
        "postal_code": "85748",
        "city": "Garching",
        "country": "DEU",
        "latitude": Decimal("48.2488721"),
        "longitude": Decimal("11.6532477"),
        "time_zone": "Europe/Berlin",
        "twentyfourseven": False,
        "opening_hours": [{"weekday": d, "period_begin": "06:00", "period_end": "22:00"} for d in range(1, 6)],
        "parking_type": "PARKING_LOT",
        "parking_restrictions": ["CUSTOMERS"],
        "hotline": "+49 89 7654321",
        "operator_name": "Demo Company",
    },
]

# (location index, charge box id, vendor, model, number of charge points, DC?)
_STATIONS = [
    (0, "DEMO-AC-001", "ABL", "eMH3", 2, False),
    (0, "DEMO-AC-002", "ABL", "eMH3", 2, False),
    (0, "DEMO-DC-001", "Alpitronic", "HYC300", 2, True),
    (1, "DEMO-AC-101", "Mennekes", "AMTRON Professional", 2, False),
    (1, "DEMO-AC-102", "Mennekes", "AMTRON Professional", 1, False),
    (1, "DEMO-AC-103", "KEBA", "KeContact P30", 1, False),
]
# Stations shown to the demo EMP over the roaming hub (seed 000), with the name on the roaming platform (seed 003).
_ROAMING_STATIONS = {
    "DEMO-AC-001": "Demo Company Parkhaus Altstadt AC",
    "DEMO-DC-001": "Demo Company Parkhaus Altstadt HPC",
    "DEMO-AC-101": "Demo Company Firmenparkplatz Nord",
}
_STATUSES = ["AVAILABLE", "CHARGING", "AVAILABLE", "AVAILABLE", "OUTOFORDER", "AVAILABLE", "UNKNOWN", "AVAILABLE",
             "CHARGING", "AVAILABLE"]  # fmt: skip


@dataclass(frozen=True)
class DemoResult:
    created: bool
    email: str = DEMO_EMAIL
    password: str = DEMO_PASSWORD


async def ensure_demo_hub() -> None:
    """The roaming hub operator and the logins of it and of the demo EMP (also for installs older than the OCPI
    node)."""
    if not await Tenant.exists().where(Tenant.slug == "demo-hub"):
        await tenants.create_tenant(
            {"slug": "demo-hub", "name": "Demo Roaming Hub", "kind": "HUB", "country_code": "DE", "party_id": "HUB"}
        )
    for slug, email, name in (
        ("demo-emp", DEMO_EMP_EMAIL, "Demo EMP Admin"),
        ("demo-hub", DEMO_HUB_EMAIL, "Demo Hub Admin"),
    ):
        tenant = await Tenant.select(Tenant.id).where(Tenant.slug == slug).first()
        if tenant is None or await StaffUser.exists().where(StaffUser.email == email):
            continue
        await StaffUser(
            tenant=tenant["id"], email=email, name=name, password_hash=hash_password(DEMO_PASSWORD), is_admin=True
        ).save()


DEMO_COMPANY = {
    "legal_name": "Demo Company GmbH", "street": "Musterstraße 1", "postal_code": "50667", "city": "Köln",
    "address_country": "DE", "vat_id": "DE123456789", "commercial_register": "Amtsgericht Köln HRB 12345",
    "support_email": "service@demo.example", "hotline": "+49 221 12345678",
}  # fmt: skip


async def ensure_demo_company(actor: Actor) -> None:
    """The demo CPO's company data (Unternehmensdaten), unless someone entered them already."""
    if not (await company.get_company(actor))["legal_name"]:
        await company.save_company(actor, DEMO_COMPANY)


async def load_demo() -> DemoResult:
    if existing := await Tenant.select(Tenant.id).where(Tenant.slug == DEMO_SLUG).first():
        actor = system_actor(existing["id"], "demo")
        await assignments.ensure_demo_tariff(actor)  # installs older than tariffs
        await driver_groups.ensure_demo_group(actor, str(assignments.DEMO_TARIFF["name"]))  # and than driver groups
        await ensure_demo_hub()  # and than the OCPI node
        await ensure_demo_products(actor)  # and than products (before roaming: marketing needs eOperate)
        await ensure_demo_roaming(actor)  # and than roaming
        await ensure_demo_emp_connection(actor)  # and than the EMP's view of its drivers
        await ensure_demo_company(actor)  # and than company data
        await ensure_demo_community(actor)  # and than community charging
        await ensure_demo_billing(actor)  # and than billing
        return DemoResult(created=False)
    tenant = await tenants.create_tenant(
        {"slug": DEMO_SLUG, "name": "Demo Company", "kind": "CPO", "country_code": "DE", "party_id": "ISE"}
    )
    await tenants.create_tenant(
        {"slug": "demo-emp", "name": "Demo Mobility (EMP)", "kind": "EMP", "country_code": "DE", "party_id": "DMP"}
    )
    actor = system_actor(tenant["id"], "demo")
    await ensure_demo_company(actor)
    await StaffUser(
        tenant=tenant["id"],
        email=DEMO_EMAIL,
        name="Demo Admin",
        password_hash=hash_password(DEMO_PASSWORD),
        is_admin=True,
    ).save()
    await UserGroup(
        tenant=tenant["id"],
        name="Technik",
        description="Technicians: infrastructure and OCPP commands",
        permissions=[Permission.INFRASTRUCTURE_VIEW, Permission.INFRASTRUCTURE_MANAGE, Permission.OCPP_COMMANDS],
    ).save()
    await UserGroup(
        tenant=tenant["id"], name="Buchhaltung", description="Accounting", permissions=[Permission.SESSIONS_VIEW]
    ).save()
    locations = [await infrastructure_locations.create_location(actor, dict(raw)) for raw in _LOCATIONS]
    status_iter = iter(_STATUSES)
    for number, (loc, charge_box_id, vendor, model, points, dc) in enumerate(_STATIONS, start=1):
        station, _ = await stations.create_station(
            actor,
            {
                "location_id": locations[loc]["id"],
                "charge_box_id": charge_box_id,
                "name": f"{model} {number}",
                "vendor": vendor,
                "model": model,
                "serial_number": f"SN-{10000 + number}",
                "firmware_version": "1.4.2" if not dc else "2.1.0",
                "installation_status": "COMMISSIONED",
                "ocpp_password": DEMO_STATION_PASSWORD,
                "technician_name": "Max Techniker",
                "technician_phone": "+49 170 1234567",
            },
        )
        for evse in range(1, points + 1):
            connector = (
                {
                    "standard": "IEC_62196_T2_COMBO",
                    "format": "CABLE",
                    "power_type": "DC",
                    "max_voltage": 920,
                    "max_amperage": 500,
                    "max_electric_power": 300000,
                }  # fmt: skip
                if dc
                else {"standard": "IEC_62196_T2", "format": "SOCKET", "power_type": "AC_3_PHASE"}
            )
            cp = await charge_points.create_charge_point(
                actor,
                {"station_id": station["id"], "evse_number": evse, "evse_id": f"DE*ISE*E{1000 + number}*{evse}"},
                connector,
            )
            await ChargePoint.update({ChargePoint.status: next(status_iter, "AVAILABLE")}).where(
                ChargePoint.id == cp["id"]
            )
    await assignments.ensure_demo_tariff(actor)
    await driver_groups.ensure_demo_group(actor, str(assignments.DEMO_TARIFF["name"]))
    await ensure_demo_hub()  # and than the OCPI node
    await ensure_demo_products(actor)
    await ensure_demo_roaming(actor)  # and than roaming
    await ensure_demo_emp_connection(actor)
    await ensure_demo_community(actor)
    await ensure_demo_billing(actor)
    return DemoResult(created=True)


async def ensure_demo_products(actor: Actor) -> None:
    """eOperate professional (AC or DC by the station) on every demo station and 360.SUPPORT on the first, since the
    10th of the month three months back, so that the demo's billing has months to show (core.billing.demo); once: a
    tenant that has product assignments keeps what it made of them."""
    await ensure_catalogue()
    if await ProductAssignment.exists().where(ProductAssignment.tenant == actor.tenant_id):
        return
    zone = ZoneInfo("Europe/Berlin")
    three_back = month_of(datetime.now(UTC), zone).previous().previous().previous()
    since = datetime(three_back.year, three_back.month, 10, 9, tzinfo=zone)
    stations = [row["id"] for row in await ChargingStation.select(ChargingStation.id).where(
        ChargingStation.tenant == actor.tenant_id).order_by(ChargingStation.id)]  # fmt: skip
    for code, chosen in ((ProductCode.EOPERATE_AC, stations), (ProductCode.EOPERATE_DC, stations),
                         (ProductCode.SUPPORT_360, stations[:1])):  # fmt: skip
        product = await product_by_code(code)
        assert product is not None
        # each station takes the eOperate product that fits its charge points; the other skips it
        await product_assignments.assign(actor, product["id"], chosen, at=since)


async def ensure_demo_roaming(actor: Actor) -> None:
    """The roaming hub on, the contract group "EMP-Vertragsgruppe" with the demo EMP, and a few stations authorised
    with Roaming on; once: a tenant that has contract groups keeps what it made of them."""
    emp = await Tenant.select(Tenant.id).where(Tenant.slug == "demo-emp").first()
    if emp is None or await contract_groups.list_groups(actor):
        return
    await contract_groups.set_hub_enabled(actor, True)
    group = await contract_groups.create_group(actor, {"name": "EMP-Vertragsgruppe", "emp_tenant_ids": [emp["id"]]})
    rows = await ChargingStation.select(ChargingStation.id, ChargingStation.charge_box_id).where(
        (ChargingStation.tenant == actor.tenant_id) & ChargingStation.charge_box_id.is_in(list(_ROAMING_STATIONS))
    )
    for row in rows:
        switches = {"access_type": "PUBLIC_PAID", "show_as_poi": "on", "marketing": "on", "roaming": "on",
                    "direct_payment": "on", "auth_local_rfid": "on", "auth_remote": "on",
                    "platform_name": _ROAMING_STATIONS[row["charge_box_id"]]}  # fmt: skip
        await marketing.save_marketing(actor, row["id"], switches)
        await contract_groups.save_station_hub(actor, row["id"], True, [group["id"]])


# The demo EMP's drivers at the demo CPO: (charge box id, EVSE, EMAID, days ago, hours charged or None: charging, Wh)
_EMP_SESSIONS = [
    ("DEMO-AC-101", 1, "DE-DMP-C00000001-7", 9, 2, 18_400),
    ("DEMO-DC-001", 1, "DE-DMP-C00000002-5", 5, 1, 42_750),
    ("DEMO-AC-001", 1, "DE-DMP-C00000001-7", 2, 3, 21_300),
    ("DEMO-AC-001", 2, "DE-DMP-C00000003-3", 0, None, 6_200),
]


async def ensure_demo_emp_connection(cpo: Actor) -> None:
    """The demo EMP's OCPI connection to the hub with a few tokens, sessions of its drivers at the demo stations with
    their CDRs, and a few OCPI log entries: what an EMP tenant's users see (docs/emp-portal.md). Its platform is made
    up, so the connection is ended: csms neither checks nor sends to it, and the EMP may connect a real platform
    (docs/ocpi.md, Connecting a partner). Once: nothing when the EMP has a connection."""
    emp = await Tenant.select(Tenant.id).where(Tenant.slug == "demo-emp").first()
    if emp is None or await Partner.exists().where(Partner.tenant == emp["id"]):
        return
    now = datetime.now(UTC).replace(microsecond=0)
    base = "https://ocpi.demo-mobility.example/ocpi"
    endpoints = [{"identifier": module, "role": "SENDER", "url": f"{base}/2.2.1/{module}"}
                 for module in ("credentials", "tokens", "commands")]  # fmt: skip
    partner = Partner(
        tenant=emp["id"], kind=partners.PartnerKind.EMP, name="Demo Mobility OCPI",
        state=partners.PartnerState.ENDED, version=partners.OCPI_VERSION, versions_url=f"{base}/versions",
        endpoints=endpoints,
        roles=[{"role": "EMSP", "country_code": "DE", "party_id": "DMP", "name": "Demo Mobility"}],
        registered_at=now - timedelta(days=14), last_pull_at=now - timedelta(hours=1),
    )  # fmt: skip
    await partner.save()
    await _demo_tariff_since(cpo, now - timedelta(days=30))  # the sessions below are priced by it
    for number in (1, 2, 3):
        uid = f"DMP0000{number}"
        await PartnerToken(
            partner=partner.id, key=f"{partner.id}|DE|DMP|RFID|{uid}", uid_key=uid, country_code="DE", party_id="DMP",
            uid=uid, contract_id=f"DE-DMP-C0000000{number}", issuer="Demo Mobility", whitelist="ALLOWED",
            last_updated=now - timedelta(days=14),
        ).save()  # fmt: skip
    for charge_box_id, evse, emaid, days, hours, wh in _EMP_SESSIONS:
        await _demo_emp_session(cpo, partner.id, charge_box_id, evse, emaid, now - timedelta(days=days, hours=4),
                                hours, wh)  # fmt: skip
    for minutes, direction, method, module, path in (
        (60, "in", "GET", "locations", "/ocpi/2.2.1/locations"),
        (50, "in", "PUT", "tokens", "/ocpi/2.2.1/tokens/DE/DMP/DMP00003"),
        (40, "in", "GET", "cdrs", "/ocpi/2.2.1/cdrs"),
    ):
        await OcpiExchange(
            tenant=emp["id"], partner=partner.id, direction=direction, method=method, module=module, http_status=200,
            ocpi_status=1000, duration_ms=14, url=f"http://127.0.0.1:8000{path}",
            created_at=now - timedelta(minutes=minutes),
        ).save()  # fmt: skip


async def _demo_tariff_since(cpo: Actor, since: datetime) -> None:
    """The demo loader's assignments of the demo tariff valid from ``since`` (they are made valid from the load)."""
    tariff = (
        await Tariff.select(Tariff.id)
        .where((Tariff.tenant == cpo.tenant_id) & (Tariff.name == assignments.DEMO_TARIFF["name"]))
        .first()
    )
    if tariff is not None:
        await TariffAssignment.update({TariffAssignment.valid_from: since}).where(
            (TariffAssignment.tariff == tariff["id"]) & (TariffAssignment.valid_from > since)
        )


async def _demo_emp_session(
    cpo: Actor, partner_id: int, charge_box_id: str, evse: int, emaid: str, start: datetime, hours: int | None, wh: int
) -> None:
    point = await ChargePoint.select(ChargePoint.id, ChargePoint.station).where(
        (ChargePoint.tenant == cpo.tenant_id) & (ChargePoint.station.charge_box_id == charge_box_id)
        & (ChargePoint.evse_number == evse)
    ).first()  # fmt: skip
    if point is None:
        return
    uid = "DMP0000" + emaid[-3]
    token = {"country_code": "DE", "party_id": "DMP", "uid": uid, "type": "RFID", "contract_id": emaid}
    stopped = None if hours is None else start + timedelta(hours=hours)
    session = ChargingSession(
        tenant=cpo.tenant_id, station=point["station"], charge_point=point["id"], connector_id=evse, id_tag=uid,
        auth_source="RFID", auth_status="Accepted", authorized_at=start, started_at=start, stopped_at=stopped,
        meter_start_wh=0, meter_stop_wh=wh if stopped else None, last_meter_wh=wh, last_meter_at=stopped or start,
        energy_wh=wh, status="STOPPED" if stopped else "CHARGING", stop_reason="Local" if stopped else "",
        roaming_partner_id=partner_id, roaming_contract_id=emaid, roaming_token=token,
    )  # fmt: skip
    await session.save()
    await create_cdr(int(session.id))
