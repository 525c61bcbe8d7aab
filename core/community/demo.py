"""Demo data of community charging: "Mitarbeiter-Laden" with its tariff, two members with a card each, a few
finished sessions last month and this month, and last month's statements and credit note."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.access import cards
from core.access.tables import ChargingCard
from core.cdrs.building import create_cdr
from core.charging.tables import ChargingSession
from core.community import communities, months, statements
from core.community.tables import Community, CommunityMember
from core.infrastructure.tables import ChargePoint
from core.payments.receipts import local_zone
from core.tariffs import tariffs
from core.tenancy.actor import Actor

DEMO_COMMUNITY = "Mitarbeiter-Laden"
DEMO_TARIFF = {"name": "Community-Tarif", "currency": "EUR", "ac_energy_per_kwh": "0.25", "dc_energy_per_kwh": "0.35"}
DEMO_MEMBERS = (  # name, e-mail, language, card uid, ACTIVE
    ("Anna Berg", "anna.berg@demo.example", "de", "CA11EE01", True),
    ("Ben Koch", "ben.koch@demo.example", "en", "CA11EE02", False),
)


async def card_session(tenant_id: int, charge_point_id: int, card_id: int, start: datetime, hours: float,
                       wh: int) -> int:  # fmt: skip
    """A finished session of a card at a charge point with its CDR, priced on the terms of the card's group (the
    way csms records a station's session; for demo data and tests)."""
    from core.access import driver_groups

    card = await ChargingCard.select().where(ChargingCard.id == card_id).first()
    point = await ChargePoint.select(ChargePoint.station, ChargePoint.evse_number).where(
        ChargePoint.id == charge_point_id).first()  # fmt: skip
    assert card is not None and point is not None
    group = await driver_groups.group_of_card(card["driver_group"]) if card["driver_group"] else None
    stopped = start + timedelta(hours=hours)
    session = ChargingSession(
        tenant=tenant_id, station=point["station"], charge_point=charge_point_id, connector_id=point["evse_number"],
        id_tag=card["uid"], card=card_id, auth_source="RFID", auth_status="Accepted", authorized_at=start,
        started_at=start, stopped_at=stopped, meter_start_wh=0, meter_stop_wh=wh, last_meter_wh=wh,
        last_meter_at=stopped, energy_wh=wh, status="STOPPED", stop_reason="Local",
        **driver_groups.session_terms(group),
    )  # fmt: skip
    await session.save()
    await create_cdr(int(session.id))
    return int(session.id)


async def ensure_demo_community(actor: Actor) -> None:
    """Idempotent: a tenant that has a community keeps what it made of it."""
    if await Community.exists().where(Community.tenant == actor.tenant_id):
        return
    point = await ChargePoint.select(ChargePoint.id).where(ChargePoint.tenant == actor.tenant_id).order_by(
        ChargePoint.id).first()  # fmt: skip
    if point is None:
        return
    tariff = await tariffs.create_tariff(actor, dict(DEMO_TARIFF))
    community = await communities.create_community(actor, {"name": DEMO_COMMUNITY, "tariff_id": tariff["id"]})
    zone = local_zone(community["time_zone"])
    now = datetime.now(UTC)
    last = months.completed_month(now, zone)
    last_start = last.bounds(zone)[0]
    this_start = last.next().bounds(zone)[0]
    for number, (name, email, language, uid, active) in enumerate(DEMO_MEMBERS):
        await communities.invite(actor, community["id"], f"{name} <{email}>", language)
        member = await CommunityMember.select(CommunityMember.id).where(
            (CommunityMember.community == community["id"]) & (CommunityMember.email == email)).first()  # fmt: skip
        assert member is not None
        if active:
            await CommunityMember.update({CommunityMember.status: "ACTIVE", CommunityMember.activated_at: now}).where(
                CommunityMember.id == member["id"])  # fmt: skip
        card = await cards.create_card(actor, {"uid": uid, "label": f"Karte {name}"})
        await communities.assign_card(actor, community["id"], member["id"], card["id"])
        for day, kwh in ((3 + number, 18_400), (17 + number, 9_250)):
            await card_session(actor.tenant_id, point["id"], card["id"], last_start + timedelta(days=day, hours=7),
                               2.5, kwh)  # fmt: skip
        if now - this_start > timedelta(hours=12):
            await card_session(actor.tenant_id, point["id"], card["id"], this_start + timedelta(hours=8), 1.5, 7_300)
    await statements.write_month(community["id"], last.period)
