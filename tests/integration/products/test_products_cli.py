"""The platform operator's product commands and what ``csms migrate`` does for products: the catalogue, and once,
the station form's old "Produkte" tick boxes turned into assignments."""

from __future__ import annotations

import os

from core.infrastructure.tables import ChargingStation
from core.products import assignments
from core.products.catalogue import ProductCode, product_by_code
from tests.integration.infrastructure.conftest import Site
from tests.support import TenantCtx, csms_cli


async def test_migrate_turns_ticked_products_into_assignments_once(cpo: TenantCtx, site: Site) -> None:
    station_id = site.station["id"]
    ticked = ["eOperate professional AC", "eOperate professional DC", "Wallbox Deluxe"]
    await ChargingStation.update({ChargingStation.products: ticked}).where(ChargingStation.id == station_id)
    done = await csms_cli({**os.environ}, "migrate")
    assert done.returncode == 0, done.stderr
    box = site.station["charge_box_id"]
    assert f"station {box}: the ticked product eOperate professional AC is now assigned" in done.stdout
    assert (f"station {box}: the ticked product eOperate professional DC was not assigned: "
            "The product is for DC stations.") in done.stdout  # fmt: skip
    assert f"station {box}: the ticked product Wallbox Deluxe was not assigned: not in the catalogue" in done.stdout
    history = await assignments.station_assignments(cpo.actor, station_id)
    assert [(row["product_code"], row["ends_at"]) for row in history] == [(ProductCode.EOPERATE_AC, None)]
    station = await ChargingStation.select(ChargingStation.products).where(ChargingStation.id == station_id).first()
    assert station is not None and station["products"] in (["eOperate professional AC"], '["eOperate professional AC"]')
    again = await csms_cli({**os.environ}, "migrate")
    assert again.returncode == 0 and box not in again.stdout
    assert len(await assignments.station_assignments(cpo.actor, station_id)) == 1


async def test_products_list_and_set_price_keep_approved_prices(cpo: TenantCtx, site: Site) -> None:
    listed = await csms_cli({**os.environ}, "products", "list")
    assert listed.returncode == 0, listed.stderr
    line = next(row for row in listed.stdout.splitlines() if row.startswith("EOPERATE_AC"))
    assert "eOperate professional AC" in line and "AC" in line and "marketing, roaming" in line
    before = await product_by_code(ProductCode.EOPERATE_AC)
    assert before is not None
    await assignments.assign(cpo.actor, before["id"], [site.station["id"]])
    try:
        changed = await csms_cli({**os.environ}, "products", "set-price", "eoperate_ac", "12,90")
        assert changed.returncode == 0, changed.stderr
        assert "eOperate professional AC (EOPERATE_AC) now costs 12,90 EUR net a month" in changed.stdout
        after = await product_by_code(ProductCode.EOPERATE_AC)
        assert after is not None and after["monthly_net_cents"] == 1290
        (held,) = await assignments.station_assignments(cpo.actor, site.station["id"])
        assert held["monthly_net_cents"] == before["monthly_net_cents"]  # what was approved stays
        for bad, message in (
            (("EOPERATE_AC", "12,999"), "error: price: Enter the price in euros and cents, e.g. 12,90."),
            (("EOPERATE_AC", "zwölf"), "error: price: Enter a number."),
            (("NOPE", "1"), "error: code: No product has this code (EOPERATE_AC, EOPERATE_DC, SUPPORT_360)."),
        ):
            refused = await csms_cli({**os.environ}, "products", "set-price", *bad)
            assert refused.returncode == 2 and message in refused.stderr, refused.stderr
    finally:
        price = f"{before['monthly_net_cents'] // 100},{before['monthly_net_cents'] % 100:02d}"
        assert (await csms_cli({**os.environ}, "products", "set-price", "EOPERATE_AC", price)).returncode == 0
