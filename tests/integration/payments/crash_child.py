"""Crashes at a payment step. ``CrashAfter`` is the sandbox provider with a crash right after one operation (the
tests' in-process crash raises; this module's process dies). Run as a module, a process runs one payment step and
dies (os._exit) right after the provider did it, before csms could write the answer down:
``python -m tests.integration.payments.crash_child STEP PAYMENT_ID ARG``.

Steps: ``authorise`` (ARG: the card number) and ``capture`` (ARG: the final price). Exit code 3 means it died where
it should; anything else is a failure the test reports with the output.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable
from decimal import Decimal

from core.payments import provider as providers
from core.payments import sandbox, service
from core.payments.provider import AuthoriseRequest, CardEntry, ProviderResult

DIED = 3


class CrashAfter:
    """The sandbox provider, but ``crash(operation)`` runs right after the provider has done ``operation``."""

    name = sandbox.NAME
    card_entry = CardEntry.INLINE

    def __init__(self, operation: str, crash: Callable[[str], None]) -> None:
        self.inner = sandbox.SandboxProvider()
        self.operation = operation
        self.crash = crash

    def _after(self, operation: str, result: ProviderResult) -> ProviderResult:
        if operation == self.operation:
            self.crash(operation)
        return result

    async def authorise(self, request: AuthoriseRequest) -> ProviderResult:
        return self._after("authorise", await self.inner.authorise(request))

    async def retrieve(self, reference: str) -> ProviderResult:
        return await self.inner.retrieve(reference)

    async def capture(self, reference: str, amount: int, idempotency_key: str) -> ProviderResult:
        return self._after("capture", await self.inner.capture(reference, amount, idempotency_key))

    async def release(self, reference: str, idempotency_key: str) -> ProviderResult:
        return self._after("release", await self.inner.release(reference, idempotency_key))

    async def refund(self, reference: str, amount: int, idempotency_key: str) -> ProviderResult:
        return self._after("refund", await self.inner.refund(reference, amount, idempotency_key))


def die(operation: str) -> None:
    sys.stdout.flush()
    os._exit(DIED)  # no cleanup, no finally, no commit of anything after this point


async def main(step: str, payment_id: int, arg: str) -> None:
    providers.register_provider(sandbox.NAME, lambda: CrashAfter(step, die))
    if step == "authorise":
        await service.authorise(payment_id, arg, "https://csms.example/pay/return")
    elif step == "capture":
        await service.capture(payment_id, Decimal(arg))
    raise SystemExit(f"step {step} finished without dying")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), sys.argv[3]))
