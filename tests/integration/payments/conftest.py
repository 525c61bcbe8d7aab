"""Direct Payment tests: the sandbox provider on the real database, and a way to stop "the process" mid-step."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from core.charging.tables import ChargingSession
from core.payments import provider as providers
from core.payments import recovery, sandbox, service
from tests.integration.cdrs.test_cdr_pipeline import seed_tariff
from tests.integration.ocpp.conftest import Station, make_station
from tests.integration.payments.crash_child import CrashAfter
from tests.support import TenantCtx

SUCCESS = "4242 4242 4242 4242"
DECLINE = "4000 0000 0000 0002"
CHALLENGE = "4000 0027 6000 3184"
PENDING = "4000 0000 0000 0408"
RETURN_URL = "https://csms.example/pay/return"


class SimulatedCrash(BaseException):
    """The process dies here: nothing after this point runs (BaseException, so no ``except Exception`` stops it)."""


def _raise_crash(operation: str) -> None:
    raise SimulatedCrash(operation)


@pytest.fixture(autouse=True)
def without_the_receipt_step() -> Iterator[None]:
    """The payment core's tests run without the receipt step, whatever ran before in this process (csms.wiring
    registers the receipt mail whenever an app is made); tests that need one pass their own ``PaymentHooks``. The
    receipts themselves: tests/integration/driver_pay/test_receipts.py."""
    wired = recovery.hooks().send_receipt
    recovery.register_receipt_sender(None)
    yield
    recovery.register_receipt_sender(wired)


@pytest.fixture
def crash_after() -> Iterator[Any]:
    """``with crash_after("capture"): ...`` runs the steps with a provider after whose capture the process dies;
    afterwards the sandbox is registered as usual again (the "fresh process" that runs recovery)."""
    import contextlib

    @contextlib.contextmanager
    def crashing(operation: str) -> Iterator[None]:
        providers.register_provider(sandbox.NAME, lambda: CrashAfter(operation, _raise_crash))
        try:
            with pytest.raises(SimulatedCrash):
                yield
        finally:
            providers.register_provider(sandbox.NAME, sandbox.SandboxProvider)

    yield crashing
    providers.register_provider(sandbox.NAME, sandbox.SandboxProvider)


@dataclass
class Site:
    ctx: TenantCtx
    station: Station

    @property
    def charge_point(self) -> dict[str, Any]:
        return self.station.charge_points[0]

    async def payment(self, amount: str = "30.00") -> dict[str, Any]:
        return await service.create_payment(
            self.ctx.id, amount=Decimal(amount), currency="EUR", charge_point_id=self.charge_point["id"],
            evse_id=self.charge_point.get("evse_id") or "", email="driver@example.org", language="en",
            provider=sandbox.NAME,
        )  # fmt: skip

    async def session(self, payment: dict[str, Any], *, energy_wh: int = 10_000, stopped: bool = True) -> int:
        """The session the charge point started with the payment's idTag (written as the OCPP handlers do)."""
        start = datetime.now(UTC) + timedelta(seconds=1)  # after the tariff's assignment (seed_tariff: now)
        session = ChargingSession(
            tenant=self.ctx.id, station=self.station.id, charge_point=self.charge_point["id"], connector_id=1,
            id_tag=payment["id_tag"], auth_source="REMOTE", auth_status="Accepted", started_at=start,
            stopped_at=start + timedelta(minutes=30) if stopped else None, meter_start_wh=0,
            meter_stop_wh=energy_wh if stopped else None, last_meter_wh=energy_wh, energy_wh=energy_wh,
            status="STOPPED" if stopped else "STARTED", stop_reason="EVDisconnected" if stopped else "",
        )  # fmt: skip
        await session.save()
        return int(session.id)


@pytest.fixture
async def site(cpo: TenantCtx, unique: str) -> Site:
    """A charge point with the seed's tariff: 0.40 EUR/kWh net, 19 % VAT (10 kWh in 30 minutes: 4.76 EUR)."""
    st = await make_station(cpo, unique, points=1)
    await seed_tariff(cpo, st.charge_points[0]["id"])
    return Site(cpo, st)


def later(minutes: int = 60) -> datetime:
    return datetime.now(UTC) + timedelta(minutes=minutes)
