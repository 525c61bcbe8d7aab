"""The platform's product catalogue: what a product unlocks, what it costs per month, how a month is billed.

The catalogue is the platform operator's, the same for every tenant; ``ensure_catalogue`` writes the products csms
ships (seed 003's eOperate professional AC / DC, seed 001's 360.SUPPORT) once and never overwrites a price the
operator has changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from core.errors import Message, ValidationError
from core.products.rules import BillingRule
from core.products.tables import Product
from core.validation import Field, FormSpec


class Feature(StrEnum):
    MARKETING = "marketing"  # the station's "Vermarktung" switches (POI, marketing, roaming publication)
    ROAMING = "roaming"  # partners' drivers may charge (OCPI)
    SUPPORT_360 = "support_360"  # 360.SUPPORT: monitoring, diagnosis, 24/7 driver hotline


FEATURE_LABELS: dict[str, Message] = {
    Feature.MARKETING: Message("Marketing (show as POI, Direct Payment, roaming publication)"),
    Feature.ROAMING: Message("Roaming: partners' drivers may charge"),
    Feature.SUPPORT_360: Message("360.SUPPORT: monitoring, diagnosis, 24/7 driver hotline"),
}


class ProductCode(StrEnum):
    EOPERATE_AC = "EOPERATE_AC"
    EOPERATE_DC = "EOPERATE_DC"
    SUPPORT_360 = "SUPPORT_360"


@dataclass(frozen=True)
class ShippedProduct:
    code: ProductCode
    name: str
    monthly_net_cents: int
    billing_rule: BillingRule
    features: tuple[Feature, ...]
    power_type: str  # "AC" / "DC" / "" (any station)


SHIPPED: tuple[ShippedProduct, ...] = (
    ShippedProduct(ProductCode.EOPERATE_AC, "eOperate professional AC", 990, BillingRule.PRO_RATA,
                   (Feature.MARKETING, Feature.ROAMING), "AC"),
    ShippedProduct(ProductCode.EOPERATE_DC, "eOperate professional DC", 2990, BillingRule.PRO_RATA,
                   (Feature.MARKETING, Feature.ROAMING), "DC"),
    ShippedProduct(ProductCode.SUPPORT_360, "360.SUPPORT", 1490, BillingRule.FULL_MONTH, (Feature.SUPPORT_360,), ""),
)  # fmt: skip


async def ensure_catalogue() -> None:
    """Writes the shipped products that are missing (by code); existing rows, their prices included, stay."""
    have = {row["code"] for row in await Product.select(Product.code)}
    missing = [
        Product(code=item.code, name=item.name, monthly_net_cents=item.monthly_net_cents,
                billing_rule=item.billing_rule, features=[str(feature) for feature in item.features],
                power_type=item.power_type)
        for item in SHIPPED
        if item.code not in have
    ]  # fmt: skip
    if missing:
        await Product.insert(*missing).on_conflict(target=Product.code, action="DO NOTHING")


async def products(*, offered_only: bool = True) -> list[dict[str, Any]]:
    query = Product.select().order_by(Product.name).output(load_json=True)
    if offered_only:
        query = query.where(Product.active == True)  # noqa: E712
    return await query


async def product_by_code(code: str) -> dict[str, Any] | None:
    return await Product.select().where(Product.code == code).output(load_json=True).first()


PRICE_SPEC = FormSpec(
    "product_price",
    (Field("price", kind="decimal", required=True, min_value=Decimal(0), max_value=Decimal(100_000),
           label="Monthly net price"),),
)  # fmt: skip


async def set_price(code: str, price: str) -> dict[str, Any]:
    """The platform operator's price change (``csms products set-price``): the monthly net price in the catalogue's
    currency, e.g. "12,90". Assignments keep the price approved when they were made (Kostenfreigabe)."""
    product = await product_by_code(code.strip().upper())
    if product is None:
        known = ", ".join(item.code for item in SHIPPED)
        raise ValidationError({"code": Message("No product has this code (%(codes)s).", {"codes": known})})
    value: Decimal = PRICE_SPEC.parse({"price": price})["price"]
    if value != value.quantize(Decimal("0.01")):
        raise ValidationError({"price": Message("Enter the price in euros and cents, e.g. 12,90.")})
    cents = int(value * 100)
    await Product.update({Product.monthly_net_cents: cents}).where(Product.id == product["id"])
    return {**product, "monthly_net_cents": cents}
