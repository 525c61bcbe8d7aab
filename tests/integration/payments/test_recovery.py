"""A crash at each step of a payment, then recovery in a "fresh process": nothing lost, nobody charged twice."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from decimal import Decimal
from typing import Any

import pytest

from core.payments import recovery, sandbox, service
from core.payments.tables import Payment, SandboxCall, SandboxIntent
from tests.integration.payments.conftest import RETURN_URL, SUCCESS, Site, later


async def _charging(site: Site, stopped: bool = True) -> dict[str, Any]:
    payment = await service.authorise((await site.payment())["id"], SUCCESS, RETURN_URL)
    await service.session_starting(payment["id"])
    return await service.session_started(payment["id"], await site.session(payment, stopped=stopped))


async def _intent(reference: str) -> dict[str, Any]:
    row = await SandboxIntent.select().where(SandboxIntent.reference == reference).first()
    assert row is not None
    return row


async def test_crash_during_pre_authorisation_then_release(site: Site, crash_after: Any) -> None:
    payment = await site.payment()
    with crash_after("authorise"):  # the provider held the money, we never heard
        await service.authorise(payment["id"], SUCCESS, RETURN_URL)
    stuck = await service.get_payment(payment["id"])
    assert stuck["state"] == "authorising" and stuck["provider_reference"] == ""
    await recovery.recover_payments(now=later(), tenant_id=site.ctx.id)
    done = await service.get_payment(payment["id"])
    assert done["state"] == "released" and done["provider_reference"]
    assert (await _intent(done["provider_reference"]))["status"] == "released"
    # the same key was sent again, so the provider made one payment, not two
    calls = await SandboxCall.select().where(SandboxCall.idempotency_key.like(f"%{payment['uid']}-authorise"))
    assert len(calls) == 1
    assert any(e["summary"].get("replayed") for e in await service.events(payment["id"]))


async def test_crash_after_pre_authorisation_releases_after_the_timeout(site: Site) -> None:
    payment = await service.authorise((await site.payment())["id"], SUCCESS, RETURN_URL)
    await recovery.recover_payments(tenant_id=site.ctx.id)  # the driver may still be on the page: not yet
    assert (await service.get_payment(payment["id"]))["state"] == "authorised"
    await recovery.recover_payments(now=later(), tenant_id=site.ctx.id)
    assert (await service.get_payment(payment["id"]))["state"] == "released"
    assert (await _intent(payment["provider_reference"]))["status"] == "released"


async def test_crash_after_start_command_when_the_station_did_start(site: Site) -> None:
    payment = await service.authorise((await site.payment())["id"], SUCCESS, RETURN_URL)
    await service.session_starting(payment["id"])
    session_id = await site.session(payment)  # the station started (and the driver stopped) without us hearing
    await recovery.recover_payments(now=later(), tenant_id=site.ctx.id)
    done = await service.get_payment(payment["id"])
    assert (done["state"], done["session"], done["amount_captured"]) == ("captured", session_id, Decimal("4.76"))
    assert len(await sandbox.captures(payment["provider_reference"])) == 1


async def test_crash_after_start_command_when_the_station_did_not_start(site: Site) -> None:
    payment = await service.authorise((await site.payment())["id"], SUCCESS, RETURN_URL)
    await service.session_starting(payment["id"])
    await recovery.recover_payments(now=later(), tenant_id=site.ctx.id)
    done = await service.get_payment(payment["id"])
    assert (done["state"], done["failure"]) == ("released", "start_not_confirmed")
    assert (await _intent(payment["provider_reference"]))["status"] == "released"


async def test_running_session_is_not_captured_until_it_ends(site: Site) -> None:
    payment = await _charging(site, stopped=False)
    await recovery.recover_payments(now=later(), tenant_id=site.ctx.id)
    assert (await service.get_payment(payment["id"]))["state"] == "charging"
    assert not await sandbox.captures(payment["provider_reference"])


async def test_crash_between_capture_and_its_record(site: Site, crash_after: Any) -> None:
    payment = await _charging(site)
    with crash_after("capture"):  # the provider captured, the process died before writing it down
        await service.capture(payment["id"], Decimal("4.76"))
    assert (await service.get_payment(payment["id"]))["state"] == "capturing"
    await recovery.recover_payments(tenant_id=site.ctx.id)
    await recovery.recover_payments(tenant_id=site.ctx.id)
    done = await service.get_payment(payment["id"])
    assert (done["state"], done["amount_captured"]) == ("captured", Decimal("4.76"))
    captures = await sandbox.captures(payment["provider_reference"])
    assert len(captures) == 1 and captures[0]["response"]["amount"] == 476
    assert (await _intent(payment["provider_reference"]))["amount_captured"] == 476


async def test_crash_between_capture_and_receipt(site: Site) -> None:
    payment = await _charging(site)
    await service.capture(payment["id"], Decimal("4.76"))
    await recovery.recover_payments(tenant_id=site.ctx.id)  # no receipt step wired yet: stays captured, nothing lost
    assert (await service.get_payment(payment["id"]))["state"] == "captured"
    sent: list[str] = []

    async def send_receipt(p: dict[str, Any]) -> bool:
        sent.append(p["uid"])
        return True

    hooks = recovery.PaymentHooks(send_receipt=send_receipt)
    await recovery.recover_payments(hooks=hooks, tenant_id=site.ctx.id)
    await recovery.recover_payments(hooks=hooks, tenant_id=site.ctx.id)
    assert (await service.get_payment(payment["id"]))["state"] == "receipt_sent"
    assert sent == [payment["uid"]] and len(await sandbox.captures(payment["provider_reference"])) == 1


async def test_two_recoveries_at_once_capture_once(site: Site, crash_after: Any) -> None:
    payment = await _charging(site)
    with crash_after("capture"):
        await service.capture(payment["id"], Decimal("4.76"))
    results = await asyncio.gather(
        recovery.recover_payments(tenant_id=site.ctx.id), recovery.recover_payments(tenant_id=site.ctx.id)
    )
    assert sum(r["moved_by_another"] for r in results) <= 1
    assert (await service.get_payment(payment["id"]))["state"] == "captured"
    assert len(await sandbox.captures(payment["provider_reference"])) == 1


async def test_recovery_when_the_process_dies_during_start_failure(site: Site, crash_after: Any) -> None:
    payment = await service.authorise((await site.payment())["id"], SUCCESS, RETURN_URL)
    await service.session_starting(payment["id"])
    with crash_after("release"):  # released at the provider, not yet recorded
        await service.start_failed(payment["id"], "station_offline")
    assert (await service.get_payment(payment["id"]))["state"] == "start_failed"
    await recovery.recover_payments(tenant_id=site.ctx.id)
    assert (await service.get_payment(payment["id"]))["state"] == "released"
    assert (await _intent(payment["provider_reference"]))["status"] == "released"


def _die_in_a_process(step: str, payment_id: int, arg: str) -> None:
    """Run ``step`` in a separate process that dies right after the provider did it (crash_child)."""
    from tests.integration.payments import crash_child

    proc = subprocess.run(
        [sys.executable, "-m", "tests.integration.payments.crash_child", step, str(payment_id), arg],
        capture_output=True, text=True, timeout=120, check=False, env=os.environ.copy(),
    )  # fmt: skip
    assert proc.returncode == crash_child.DIED, proc.stdout + proc.stderr


async def test_process_killed_after_pre_authorisation_and_after_capture(site: Site) -> None:
    held = await site.payment()
    await asyncio.to_thread(_die_in_a_process, "authorise", held["id"], SUCCESS)
    charging = await _charging(site)
    await asyncio.to_thread(_die_in_a_process, "capture", charging["id"], "4.76")
    assert [(await service.get_payment(p["id"]))["state"] for p in (held, charging)] == ["authorising", "capturing"]

    outcome = await recovery.recover_payments(now=later(), tenant_id=site.ctx.id)  # a fresh process: this one
    # what this run did; the server's own minute-by-minute recovery may have finished a capture first (then it is
    # not counted here): the states and the one capture below are what must hold
    assert set(outcome) <= {"authorising->released", "captured->captured"} and all(n == 1 for n in outcome.values())
    released = await service.get_payment(held["id"])
    assert released["state"] == "released"
    assert (await _intent(released["provider_reference"]))["status"] == "released"
    captured = await service.get_payment(charging["id"])
    assert (captured["state"], captured["amount_captured"]) == ("captured", Decimal("4.76"))
    assert len(await sandbox.captures(charging["provider_reference"])) == 1


async def test_a_node_without_the_payments_provider_leaves_them_waiting_and_says_so_once(
    site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    payment = await service.authorise((await site.payment())["id"], SUCCESS, RETURN_URL)
    await Payment.update({Payment.provider: "elsewhere"}).where(Payment.id == payment["id"])
    recovery._unavailable_said.discard("elsewhere")
    with caplog.at_level("WARNING", logger=recovery.log.name):
        first = await recovery.recover_payments(now=later(), tenant_id=site.ctx.id)
        second = await recovery.recover_payments(now=later(), tenant_id=site.ctx.id)
    assert first["provider_unavailable"] == 1 and second["provider_unavailable"] == 1
    assert (await service.get_payment(payment["id"]))["state"] == "authorised"  # untouched, for a node that can
    said = [r.getMessage() for r in caplog.records if "elsewhere" in r.getMessage()]
    assert said == ["payments of provider 'elsewhere' wait for a node with its settings"]
