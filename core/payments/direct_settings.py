"""Direct Payment settings of a tenant (issue 15): the amount held on a driver's card before the start
(Reservierungsbetrag, default 50.00 in the tenant's currency) and the seconds a station that accepted the remote
start has to send its StartTransaction before the hold is released (default 90).

Read with ``company.view``, changed with ``company.manage`` (the settings sit on the company data page); audited as
entity ``direct_payment`` (the tenant's id). ``of_tenant`` is what the driver's flow (core.payments.driver) reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from core.db import transaction
from core.errors import NotFound
from core.tenancy import audit
from core.tenancy.actor import Actor
from core.tenancy.permissions import Permission
from core.tenancy.tables import Tenant
from core.validation import Field, FormSpec

DEFAULT_HOLD_AMOUNT = Decimal("50.00")
DEFAULT_START_CONFIRM_SECONDS = 90
HOLD_MIN, HOLD_MAX = Decimal("5"), Decimal("500")  # in the tenant's currency
CONFIRM_MIN, CONFIRM_MAX = 30, 300  # seconds

SETTINGS_SPEC = FormSpec(
    "direct_payment",
    (
        Field("hold_amount", kind="decimal", required=True, min_value=HOLD_MIN, max_value=HOLD_MAX,
              label="Amount held on the card before the start"),
        Field("start_confirm_seconds", kind="int", required=True, min_value=CONFIRM_MIN, max_value=CONFIRM_MAX,
              label="Seconds a station has to confirm the start"),
    ),
)  # fmt: skip


@dataclass(frozen=True)
class DirectPaymentSettings:
    hold_amount: Decimal
    start_confirm_seconds: int
    currency: str


def settings_of(row: Mapping[str, Any] | None) -> DirectPaymentSettings:
    row = row or {}
    hold = row.get("hold_amount")
    seconds = row.get("start_confirm_seconds")
    return DirectPaymentSettings(
        hold_amount=Decimal(str(hold)) if hold is not None else DEFAULT_HOLD_AMOUNT,
        start_confirm_seconds=int(seconds) if seconds is not None else DEFAULT_START_CONFIRM_SECONDS,
        currency=str(row.get("currency") or "EUR"),
    )


_COLUMNS = (Tenant.hold_amount, Tenant.start_confirm_seconds, Tenant.currency)


async def of_tenant(tenant_id: int) -> DirectPaymentSettings:
    return settings_of(await Tenant.select(*_COLUMNS).where(Tenant.id == tenant_id).first())


async def get_settings(actor: Actor) -> DirectPaymentSettings:
    actor.require(Permission.COMPANY_VIEW)
    row = await Tenant.select(*_COLUMNS).where(Tenant.id == actor.tenant_id).first()
    if row is None:
        raise NotFound("tenant")
    return settings_of(row)


async def save_settings(actor: Actor, raw: Mapping[str, Any]) -> DirectPaymentSettings:
    """Change the own tenant's hold amount and start confirmation time; ValidationError naming each field."""
    actor.require(Permission.COMPANY_MANAGE)
    current = await get_settings(actor)
    clean = SETTINGS_SPEC.parse(raw)
    clean["hold_amount"] = Decimal(clean["hold_amount"]).quantize(Decimal("0.01"))
    before = {"hold_amount": current.hold_amount, "start_confirm_seconds": current.start_confirm_seconds}
    changes = audit.diff(before, clean)
    if changes:
        async with transaction():
            await Tenant.update({Tenant.hold_amount: clean["hold_amount"],
                                 Tenant.start_confirm_seconds: clean["start_confirm_seconds"]}).where(
                Tenant.id == actor.tenant_id
            )  # fmt: skip
            await audit.record(actor, actor.tenant_id, "direct_payment", actor.tenant_id, "update", changes)
    return await get_settings(actor)
