"""Each filter and sort of the advanced overview on the real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from core.errors import PermissionDenied
from core.infrastructure import charge_points, overview
from core.infrastructure.overview import OverviewQuery, parse_query
from core.tenancy import logins
from tests.integration.overview.helpers import add_charge_point
from tests.support import TenantCtx, make_user


@pytest.fixture
async def fleet(cpo: TenantCtx) -> dict[str, Any]:
    tag = uuid.uuid4().hex[:6].upper()  # EVSE-IDs are unique across tenants
    return {
        "berlin": await add_charge_point(
            cpo, city="Berlin", postal_code="10115", address="Invalidenstr. 5", vendor="ABB", model="Terra AC",
            firmware="1.0", status="AVAILABLE", error_rate="5", evse_id=f"DE*ISE*E{tag}01*1",
        ),
        "munich": await add_charge_point(
            cpo, city="München", postal_code="80331", address="Marienplatz 1", vendor="Alfen", model="Eve",
            firmware="2.1", ocpp_version="2.0.1", status="CHARGING", error_rate="33", standard="IEC_62196_T2_COMBO",
            power_type="DC", rfid=False, direct_payment=True, evse_id=f"DE*ISE*E{tag}02*1",
        ),
        "vienna": await add_charge_point(
            cpo, city="Wien", postal_code="1010", address="Breite Gasse 3", country="AUT", vendor="ABB",
            model="Terra DC", firmware="1.0", status="OUTOFORDER", error_rate="12.5", standard="CHADEMO",
            power_type="DC", remote=False,
        ),
        "unknown": await add_charge_point(
            cpo, city="Bernau", postal_code="16321", address="Bahnhofstr. 9", status="UNKNOWN",
            evse_id=f"DE*ISE*E{tag}04*1",
        ),
    }  # fmt: skip


async def _ids(ctx: TenantCtx, **params: Any) -> set[int]:
    rows = await overview.rows(ctx.actor, parse_query(params))
    assert await overview.count(ctx.actor, parse_query(params)) == len(rows)
    return {row["id"] for row in rows}


def _of(fleet: dict[str, Any], *names: str) -> set[int]:
    return {fleet[name]["id"] for name in names}


async def test_every_filter_narrows_the_result(cpo: TenantCtx, fleet: dict[str, Any]) -> None:
    assert await _ids(cpo) == _of(fleet, "berlin", "munich", "vienna", "unknown")
    assert await _ids(cpo, country="AUT") == _of(fleet, "vienna")
    assert await _ids(cpo, city="ber") == _of(fleet, "berlin", "unknown")  # city prefix, any case
    assert await _ids(cpo, city="803") == _of(fleet, "munich")  # postal code prefix
    assert await _ids(cpo, street="marien") == _of(fleet, "munich")
    assert await _ids(cpo, status="CHARGING") == _of(fleet, "munich")
    assert await _ids(cpo, status="inoperative") == _of(fleet, "vienna")  # dashboard group
    assert await _ids(cpo, status="unavailable") == _of(fleet, "unknown")
    assert await _ids(cpo, status=["available", "occupied"]) == _of(fleet, "berlin", "munich")
    assert await _ids(cpo, firmware="1.0") == _of(fleet, "berlin", "vienna", "unknown")
    assert await _ids(cpo, connector="CHADEMO") == _of(fleet, "vienna")
    assert await _ids(cpo, connector="IEC_62196_T2") == _of(fleet, "berlin", "unknown")  # not T2_COMBO
    assert await _ids(cpo, protocol="2.0.1") == _of(fleet, "munich")
    assert await _ids(cpo, power="DC") == _of(fleet, "munich", "vienna")
    assert await _ids(cpo, power="AC") == _of(fleet, "berlin", "unknown")
    assert await _ids(cpo, auth="direct_payment") == _of(fleet, "munich")
    assert await _ids(cpo, auth=["rfid", "remote"]) == _of(fleet, "berlin", "unknown")
    assert await _ids(cpo, vendor="ABB") == _of(fleet, "berlin", "vienna", "unknown")
    assert await _ids(cpo, model="Eve") == _of(fleet, "munich")
    assert await _ids(cpo, min_error="12,5") == _of(fleet, "munich", "vienna")
    assert await _ids(cpo, city="ber", status="available") == _of(fleet, "berlin")


async def test_search_takes_several_ids_separated_by_comma_or_semicolon(cpo: TenantCtx, fleet: dict[str, Any]) -> None:
    assert await _ids(cpo, q=fleet["munich"]["evse_id"].lower()) == _of(fleet, "munich")
    both = f"{fleet['berlin']['evse_id']}; {fleet['vienna']['charge_box_id']}"
    assert await _ids(cpo, q=both) == _of(fleet, "berlin", "vienna")
    assert await _ids(cpo, q=f"wien,{fleet['unknown']['evse_id'][:-2]}") == _of(fleet, "vienna", "unknown")
    # LIKE wildcards typed by the user are taken literally.
    assert await _ids(cpo, q="%") == set()
    assert await _ids(cpo, q="'; DROP TABLE charge_point; --") == set()


@pytest.mark.parametrize("column", [c.key for c in overview.COLUMNS if c.sortable])
async def test_every_visible_column_sorts_both_ways(cpo: TenantCtx, fleet: dict[str, Any], column: str) -> None:
    up = await overview.rows(cpo.actor, parse_query({"sort": column, "dir": "asc"}))
    down = await overview.rows(cpo.actor, parse_query({"sort": column, "dir": "desc"}))
    assert len(up) == len(down) == 4
    values = [row[column] for row in up if row[column] is not None]
    assert values == sorted(values)
    down_values = [row[column] for row in down if row[column] is not None]
    assert down_values == sorted(down_values, reverse=True)


async def test_sort_by_error_rate_is_numeric_and_paging_is_stable(cpo: TenantCtx, fleet: dict[str, Any]) -> None:
    rows = await overview.rows(cpo.actor, parse_query({"sort": "error_rate", "dir": "desc"}))
    assert [r["id"] for r in rows[:3]] == [fleet["munich"]["id"], fleet["vienna"]["id"], fleet["berlin"]["id"]]
    first = await overview.rows(cpo.actor, OverviewQuery(sort="city", per_page=25, page=1))
    second = await overview.rows(cpo.actor, OverviewQuery(sort="city", per_page=25, page=2))
    assert len(first) == 4 and second == []


async def test_other_tenants_rows_are_never_seen(cpo: TenantCtx, other_cpo: TenantCtx, fleet: dict[str, Any]) -> None:
    theirs = await add_charge_point(other_cpo, city="Berlin")
    assert theirs["id"] not in await _ids(cpo)
    assert await _ids(other_cpo) == {theirs["id"]}
    assert await _ids(other_cpo, q=fleet["berlin"]["charge_box_id"]) == set()
    options = await overview.filter_options(other_cpo.actor)
    assert options["vendor"] == ["ABB"] and "Alfen" not in options["vendor"]


async def test_decommissioned_charge_points_are_left_out(cpo: TenantCtx, fleet: dict[str, Any]) -> None:
    await charge_points.decommission_charge_point(cpo.actor, fleet["berlin"]["id"])
    assert fleet["berlin"]["id"] not in await _ids(cpo)


async def test_rows_carry_display_values(cpo: TenantCtx, fleet: dict[str, Any]) -> None:
    rows = await overview.rows(cpo.actor, parse_query({"q": fleet["munich"]["evse_id"]}))
    (row,) = rows
    assert row["city"] == "München" and row["ocpp_version"] == "2.0.1" and row["power_type"] == "DC"
    assert row["auth_types"] == ["remote", "direct_payment"]
    assert row["connected"] is True and row["station_id"] == fleet["munich"]["station_id"]
    assert str(row["max_power_kw"]) in {"50", "50.00"}


async def test_preferences_are_remembered_per_user(cpo: TenantCtx) -> None:
    assert await overview.load_preference(cpo.actor) is None
    query = parse_query({"city": "Wien", "status": "available", "sort": "city", "dir": "desc", "col": ["city"]})
    await overview.save_preference(cpo.actor, query)
    await overview.save_preference(cpo.actor, query)  # updates, never duplicates
    restored = await overview.load_preference(cpo.actor)
    assert restored == query
    colleague = await make_user(cpo.id, is_admin=True)
    assert await overview.load_preference(await logins.actor_for_user(colleague)) is None


async def test_view_permission_is_required(cpo: TenantCtx) -> None:
    nobody = await logins.actor_for_user(await make_user(cpo.id, permissions=[]))
    with pytest.raises(PermissionDenied):
        await overview.rows(nobody, OverviewQuery())
