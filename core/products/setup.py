"""What ``csms migrate`` (and the demo loader) does for products after the migrations: the catalogue in every
installation, and once, the station form's old "Produkte" tick boxes turned into assignments.

Before assignments existed, a station's products were tick boxes (``ChargingStation.products``, names of the
catalogue). Each ticked name whose station never held that product becomes an assignment from the moment of the
upgrade at the catalogue's price, audited as assigned by "upgrade". A ticked product that does not fit the station
(a DC product on an AC station, a decommissioned station) is dropped and reported. Afterwards
``ChargingStation.products`` mirrors the open assignments (core.products.assignments.mirror_products), so running
this again changes nothing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime

from core.infrastructure.tables import ChargingStation
from core.products.assignments import assign, mirror_products
from core.products.catalogue import ensure_catalogue, products
from core.products.tables import ProductAssignment
from core.tenancy.actor import system_actor


@dataclass
class Prepared:
    converted: list[tuple[str, str]] = field(default_factory=list)  # (charge box id, product name)
    dropped: list[tuple[str, str, str]] = field(default_factory=list)  # (charge box id, product name, reason)


async def prepare_products(*, at: datetime | None = None) -> Prepared:
    await ensure_catalogue()
    done = Prepared()
    by_name = {row["name"]: row for row in await products(offered_only=False)}
    ticked = await ChargingStation.select(
        ChargingStation.id, ChargingStation.tenant, ChargingStation.charge_box_id, ChargingStation.products
    ).output(load_json=True)
    ticked = [row for row in ticked if row["products"]]
    if not ticked:
        return done
    held: dict[int, set[int]] = defaultdict(set)  # station -> products it ever held
    for row in await ProductAssignment.select(ProductAssignment.station, ProductAssignment.product).where(
        ProductAssignment.station.is_in([row["id"] for row in ticked])
    ):
        held[row["station"]].add(row["product"])
    starts = at or datetime.now(UTC)
    for station in ticked:
        for name in station["products"]:
            product = by_name.get(name)
            if product is None:
                done.dropped.append((station["charge_box_id"], str(name), "not in the catalogue"))
                continue
            if product["id"] in held[station["id"]]:
                continue
            actor = system_actor(station["tenant"], "upgrade")
            result = await assign(actor, product["id"], [station["id"]], at=starts)
            if result.created:
                done.converted.append((station["charge_box_id"], name))
            for skipped in result.skipped:
                done.dropped.append((station["charge_box_id"], name, skipped.reason.render()))
    await mirror_products([row["id"] for row in ticked])
    return done
