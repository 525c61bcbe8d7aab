"""Wrong REST API keys from one address are throttled (core.tenancy.api_keys), across nodes and behind a proxy."""

from __future__ import annotations

import os
from datetime import timedelta

import httpx

from core.settings import get_settings
from core.tenancy.tables import ApiKeyFailure
from tests.integration.api.conftest import bearer
from tests.support import app_client, client_address, csms_serve

SETTINGS = get_settings()
WRONG = bearer("csms_" + "x" * 40)


async def test_wrong_keys_from_one_address_are_throttled_and_the_throttle_ends(key: str) -> None:
    address = client_address()
    async with app_client(address) as guesser:
        for _ in range(SETTINGS.api_key_max_failures):
            assert (await guesser.get("/api/v1/locations", headers=WRONG)).status_code == 401
        for headers in (WRONG, bearer(key)):  # no key is looked at, not even a right one
            throttled = await guesser.get("/api/v1/locations", headers=headers)
            assert throttled.status_code == 429
            assert throttled.json()["detail"] and int(throttled.headers["retry-after"]) > 0
        assert (await guesser.get("/api/v1/locations")).status_code == 401  # no key given: nothing to throttle

        async with app_client() as elsewhere:
            assert (await elsewhere.get("/api/v1/locations", headers=bearer(key))).status_code == 200

        window = timedelta(seconds=SETTINGS.login_lockout_seconds)
        rows = await ApiKeyFailure.select().where(ApiKeyFailure.remote_addr == address)
        assert len(rows) == SETTINGS.api_key_max_failures and {r["prefix"] for r in rows} == {"csms_xxxxxxx"}
        for row in rows:  # the window passes
            older = row["created_at"] - window
            await ApiKeyFailure.update({ApiKeyFailure.created_at: older}).where(ApiKeyFailure.id == row["id"])
        assert (await guesser.get("/api/v1/locations", headers=bearer(key))).status_code == 200


def test_behind_a_proxy_the_forwarded_address_counts(key: str) -> None:
    """`csms serve` trusts X-Forwarded-For from FORWARDED_ALLOW_IPS (127.0.0.1 here): each forwarded client is
    counted on its own, on a node other than the one of the other tests."""
    guesser, colleague = client_address(), client_address()
    with csms_serve({**os.environ, "FORWARDED_ALLOW_IPS": "127.0.0.1"}) as base, httpx.Client(base_url=base) as proxy:
        for _ in range(SETTINGS.api_key_max_failures):
            assert proxy.get("/api/v1/locations", headers={**WRONG, "x-forwarded-for": guesser}).status_code == 401
        throttled = proxy.get("/api/v1/locations", headers={**bearer(key), "x-forwarded-for": guesser})
        assert throttled.status_code == 429
        assert proxy.get("/api/v1/locations", headers={**bearer(key), "x-forwarded-for": colleague}).status_code == 200
