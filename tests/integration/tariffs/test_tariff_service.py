"""Tariff rules through the core service on a real database: create, currency, edit, assign, schedule, history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from core.tariffs import assignments, tariffs
from core.tenancy import logins
from core.tenancy.tables import Tenant
from tests.integration.infrastructure.conftest import Site
from tests.integration.tariffs.conftest import add_charge_point, prices
from tests.support import TenantCtx, make_user


async def test_create_gives_a_stable_code_and_fixes_the_currency(cpo: TenantCtx) -> None:
    first = await tariffs.create_tariff(cpo.actor, prices(currency="CHF"))
    assert first["code"].startswith("CPO") and len(first["code"]) == 17
    assert first["ac_energy_per_kwh"] == Decimal("0.4000") and first["ac_time_from_minute"] == 60
    tenant = await Tenant.select(Tenant.currency).where(Tenant.id == cpo.id).first()
    assert tenant is not None and tenant["currency"] == "CHF"
    with pytest.raises(ValidationError) as info:
        await tariffs.create_tariff(cpo.actor, prices(name="Second", currency="EUR"))
    assert "CHF" in info.value.errors["currency"].render()
    second = await tariffs.create_tariff(cpo.actor, prices(name="Second", currency=""))
    assert second["currency"] == "CHF" and second["code"] != first["code"]


async def test_validation_reports_every_bad_price(cpo: TenantCtx) -> None:
    with pytest.raises(ValidationError) as info:
        await tariffs.create_tariff(cpo.actor, prices(ac_energy_per_kwh="", dc_time_per_minute="-1",
                                                      ac_session_fee="0,12345", ac_time_from_minute="x"))
    assert set(info.value.errors) == {"ac_energy_per_kwh", "dc_time_per_minute", "ac_session_fee",
                                      "ac_time_from_minute"}


async def test_prices_are_frozen_once_assigned_but_the_name_is_not(cpo: TenantCtx, site: Site) -> None:
    tariff = await tariffs.create_tariff(cpo.actor, prices())
    edited = await tariffs.update_tariff(cpo.actor, tariff["id"], {"ac_energy_per_kwh": "0.45"}, partial=True)
    assert edited["ac_energy_per_kwh"] == Decimal("0.4500")
    await assignments.assign_tariff(cpo.actor, tariff["id"], [site.charge_point["id"]], datetime.now(UTC))
    with pytest.raises(ValidationError) as info:
        await tariffs.update_tariff(cpo.actor, tariff["id"], {"ac_energy_per_kwh": "0.50"}, partial=True)
    assert "ac_energy_per_kwh" in info.value.errors
    # Same price written differently is not a change.
    same = await tariffs.update_tariff(cpo.actor, tariff["id"], {**prices(name="Renamed"), "ac_energy_per_kwh": "0.45"})
    assert same["name"] == "Renamed"


async def test_assignment_active_scheduled_history_and_snapshot(cpo: TenantCtx, site: Site) -> None:
    cp = site.charge_point["id"]
    now = datetime.now(UTC)
    cheap = await tariffs.create_tariff(cpo.actor, prices(name="Cheap"))
    dear = await tariffs.create_tariff(cpo.actor, prices(name="Dear", ac_energy_per_kwh="0.60"))
    assert await assignments.tariff_snapshot_for(cp, now) is None
    await assignments.assign_tariff(cpo.actor, cheap["id"], [cp], now, now=now)
    later = now + timedelta(days=31)
    await assignments.assign_tariff(cpo.actor, dear["id"], [cp], later, now=now)
    info = await assignments.charge_point_tariffs(cpo.actor, cp, now=now + timedelta(seconds=1))
    assert info["active"]["tariff"] == cheap["id"]
    assert [a["tariff"] for a in info["scheduled"]] == [dear["id"]]
    assert [a["tariff_name"] for a in info["history"]] == ["Dear", "Cheap"]
    snap = await assignments.tariff_snapshot_for(cp, now + timedelta(days=1))
    assert snap is not None and snap.tariff_id == cheap["id"] and snap.vat_rate == Decimal("19.00")
    assert snap.ac.energy_per_kwh == Decimal("0.4") and snap.currency == "EUR"
    snap = await assignments.tariff_snapshot_for(cp, later + timedelta(minutes=1))
    assert snap is not None and snap.tariff_id == dear["id"]
    # Cancelling the scheduled one keeps it in the history; the cheap tariff stays active afterwards.
    await assignments.cancel_assignment(cpo.actor, info["scheduled"][0]["id"], now=now)
    info = await assignments.charge_point_tariffs(cpo.actor, cp, now=later + timedelta(days=1))
    assert info["active"]["tariff"] == cheap["id"] and info["scheduled"] == []
    assert len(info["history"]) == 2 and info["history"][0]["cancelled_at"] is not None
    with pytest.raises(Conflict):
        await assignments.cancel_assignment(cpo.actor, info["history"][1]["id"], now=now)


async def _setup_increase(cpo: TenantCtx, site: Site, new_ac: str) -> tuple[dict[str, Any], datetime]:
    now = datetime.now(UTC)
    base = await tariffs.create_tariff(cpo.actor, prices(name="Base", ac_energy_per_kwh="0.40"))
    await assignments.assign_tariff(cpo.actor, base["id"], [site.charge_point["id"]], now, now=now)
    new = await tariffs.create_tariff(cpo.actor, prices(name="New", ac_energy_per_kwh=new_ac))
    return new, now


async def test_seven_percent_exactly_is_allowed_at_once(cpo: TenantCtx, site: Site) -> None:
    new, now = await _setup_increase(cpo, site, "0.428")  # +7.00 %
    created = await assignments.assign_tariff(cpo.actor, new["id"], [site.charge_point["id"]], now, now=now)
    assert len(created) == 1


async def test_above_seven_percent_needs_thirty_days(cpo: TenantCtx, site: Site) -> None:
    new, now = await _setup_increase(cpo, site, "0.4281")
    cp = [site.charge_point["id"]]
    with pytest.raises(ValidationError) as info:
        await assignments.assign_tariff(cpo.actor, new["id"], cp, now + timedelta(days=29, hours=23), now=now)
    assert "30 days" in info.value.errors["valid_from"].render()
    review = await assignments.review_assignment(cpo.actor, new["id"], cp, now + timedelta(days=29), now=now)
    assert not review[0].check.allowed and review[0].check.increases[0].component == "ac_energy_per_kwh"
    created = await assignments.assign_tariff(cpo.actor, new["id"], cp, now + timedelta(days=30), now=now)
    assert len(created) == 1


@pytest.mark.parametrize(("days_ago", "dearer_counts"), [(29, True), (30, False), (31, False)])
async def test_the_look_back_reads_the_stored_assignment_history(
    cpo: TenantCtx, site: Site, days_ago: int, dearer_counts: bool
) -> None:
    """A dearer tariff that was active on the charge point within the last 30 days sets the bar, even though a
    cheaper one replaced it: both assignments are stored rows, assigned at their own time. 0.48 is 20 % over the
    cheaper 0.40 but below the dearer 0.60; the dearer one left the window once it ended 30 days ago or more."""
    now = datetime.now(UTC)
    cp = [site.charge_point["id"]]
    dearer = await tariffs.create_tariff(cpo.actor, prices(name="Dearer", ac_energy_per_kwh="0.60"))
    cheaper = await tariffs.create_tariff(cpo.actor, prices(name="Cheaper", ac_energy_per_kwh="0.40"))
    started, replaced = now - timedelta(days=90), now - timedelta(days=days_ago)
    await assignments.assign_tariff(cpo.actor, dearer["id"], cp, started, now=started)
    await assignments.assign_tariff(cpo.actor, cheaper["id"], cp, replaced, now=replaced)
    info = await assignments.charge_point_tariffs(cpo.actor, cp[0], now=now)
    assert info["active"]["tariff"] == cheaper["id"] and len(info["history"]) == 2

    new = await tariffs.create_tariff(cpo.actor, prices(name="New", ac_energy_per_kwh="0.48"))
    check = (await assignments.review_assignment(cpo.actor, new["id"], cp, now, now=now))[0].check
    if dearer_counts:
        assert check.increases == () and check.allowed
        assert len(await assignments.assign_tariff(cpo.actor, new["id"], cp, now, now=now)) == 1
    else:
        assert [(i.component, i.previous, i.percent) for i in check.increases] == [
            ("ac_energy_per_kwh", Decimal("0.40"), Decimal("20.00"))]  # fmt: skip
        assert not check.allowed and check.earliest_valid_from == now + timedelta(days=30)
        with pytest.raises(ValidationError):
            await assignments.assign_tariff(cpo.actor, new["id"], cp, now, now=now)


async def test_only_allowed_skips_refused_charge_points(cpo: TenantCtx, site: Site) -> None:
    new, now = await _setup_increase(cpo, site, "0.80")
    fresh = await add_charge_point(cpo, site, 2)  # no tariff yet: nothing to compare with
    cps = [site.charge_point["id"], fresh["id"]]
    created = await assignments.assign_tariff(cpo.actor, new["id"], cps, now, now=now, only_allowed=True)
    assert [c["charge_point"] for c in created] == [fresh["id"]]


async def test_past_valid_from_is_refused(cpo: TenantCtx, site: Site, tariff: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as info:
        await assignments.assign_tariff(cpo.actor, tariff["id"], [site.charge_point["id"]],
                                    datetime.now(UTC) - timedelta(hours=1))
    assert "valid_from" in info.value.errors


async def test_other_tenants_tariffs_and_charge_points_are_not_found(
    cpo: TenantCtx, other_cpo: TenantCtx, site: Site, foreign_site: Site, tariff: dict[str, Any]
) -> None:
    with pytest.raises(NotFound):
        await tariffs.get_tariff(other_cpo.actor, tariff["id"])
    with pytest.raises(NotFound):
        await tariffs.update_tariff(other_cpo.actor, tariff["id"], {"name": "x"}, partial=True)
    with pytest.raises(NotFound):
        await assignments.assign_tariff(cpo.actor, tariff["id"], [foreign_site.charge_point["id"]], datetime.now(UTC))
    with pytest.raises(NotFound):
        await assignments.charge_point_tariffs(other_cpo.actor, site.charge_point["id"])
    assert await tariffs.list_tariffs(other_cpo.actor) == []


async def test_view_permission_cannot_manage(cpo: TenantCtx, tariff: dict[str, Any]) -> None:
    viewer = await logins.actor_for_user(await make_user(cpo.id, permissions=["tariffs.view"]))
    assert [t["id"] for t in await tariffs.list_tariffs(viewer)] == [tariff["id"]]
    with pytest.raises(PermissionDenied):
        await tariffs.create_tariff(viewer, prices())
    nobody = await logins.actor_for_user(await make_user(cpo.id, permissions=[]))
    with pytest.raises(PermissionDenied):
        await tariffs.list_tariffs(nobody)


async def test_archive_only_when_unused(cpo: TenantCtx, site: Site, tariff: dict[str, Any]) -> None:
    await assignments.assign_tariff(cpo.actor, tariff["id"], [site.charge_point["id"]], datetime.now(UTC))
    with pytest.raises(Conflict):
        await assignments.archive_tariff(cpo.actor, tariff["id"])
    unused = await tariffs.create_tariff(cpo.actor, prices(name="Unused"))
    archived = await assignments.archive_tariff(cpo.actor, unused["id"])
    assert archived["archived_at"] is not None
    assert [t["id"] for t in await tariffs.list_tariffs(cpo.actor)] == [tariff["id"]]


async def test_the_history_names_the_tariff_not_its_id(cpo: TenantCtx, other_cpo: TenantCtx, site: Site) -> None:
    from core.tenancy import audit

    cp = site.charge_point["id"]
    tariff = await tariffs.create_tariff(cpo.actor, prices(name="Nachttarif"))
    await assignments.assign_tariff(cpo.actor, tariff["id"], [cp], datetime.now(UTC))
    entries = await audit.history(cpo.actor, "charge_point", cp)
    assert any(e["changes"].get("tariff") == [None, "Nachttarif"] for e in entries)
    # Another tenant's id is never resolved to a name (its history entry would not be shown to it anyway).
    foreign = [{"changes": {"tariff": [None, tariff["id"]], "name": ["a", "b"]}}]
    await audit._name_references(other_cpo.actor, foreign)
    assert foreign[0]["changes"] == {"tariff": [None, tariff["id"]], "name": ["a", "b"]}
