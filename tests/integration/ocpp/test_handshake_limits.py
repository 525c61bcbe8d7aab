"""The handshake's limits over real sockets: charge box ids by the OCPP identity rules, the brute-force throttle per
charge box id and per source address (short windows through the settings), and the unknown-station storm.

Each test connects from its own loopback address (127.x.y.z reaches the server on Linux), so the per-address
counts of one test never meet another's."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Iterator
from typing import Any

import pytest
import websockets
from websockets.exceptions import InvalidStatus

from core.charging import handshake
from core.charging.tables import UnknownStation
from core.settings import StationLimits, get_settings
from core.tenancy.tables import Tenant
from tests.integration.ocpp.conftest import OCPP16, Station, basic, make_station
from tests.support import TenantCtx


def address(unique: str, host: int = 1) -> str:
    """A loopback address of this test's own."""
    digits = int(unique[:6], 16)
    return f"127.{digits >> 16 & 255}.{digits >> 8 & 255}.{(digits + host) % 254 + 1}"


async def handshake_status(url: str, user: str | None, password: str, source: str, path_id: str | None = None) -> int:
    """101 when the station got in, else the HTTP status of the refusal."""
    headers = basic(user, password) if user is not None else {}
    try:
        async with websockets.connect(
            f"{url}/{path_id if path_id is not None else user}", subprotocols=OCPP16, additional_headers=headers,
            local_addr=(source, 0), open_timeout=10,
        ):  # fmt: skip
            return 101
    except InvalidStatus as exc:
        return int(exc.response.status_code)


async def retry_after(url: str, st: Station, source: str) -> int:
    with pytest.raises(InvalidStatus) as info:
        async with websockets.connect(
            f"{url}/{st.charge_box_id}", subprotocols=OCPP16, additional_headers=basic(st.charge_box_id, "wrong"),
            local_addr=(source, 0),
        ):  # fmt: skip
            pass
    assert info.value.response.status_code == 429
    return int(info.value.response.headers["Retry-After"])


@pytest.fixture
def limits(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Set the handshake's limits for this test: ``limits(auth_window=2, ...)``."""

    def apply(**values: int) -> StationLimits:
        current = dataclasses.replace(StationLimits(), **values)
        settings = dataclasses.replace(get_settings(), station_limits=current)
        monkeypatch.setattr(handshake, "get_settings", lambda: settings)
        return current

    yield apply


@pytest.mark.parametrize(
    "path_id",
    ["%00", "OC-REAL%00", "A%0AB", "A%20B", "A%E2%80%8BB", "A%2FB", "A%3FB", "..%2F..", "x" * 49, "%FF%FE", "-LEAD"],
)
async def test_ids_outside_the_identity_rules_are_refused_before_any_write(
    ocpp_url: str, cpo: TenantCtx, unique: str, path_id: str
) -> None:
    await Tenant.update({Tenant.allow_unknown_stations: True}).where(Tenant.id == cpo.id)
    try:
        before = await UnknownStation.count()
        assert await handshake_status(ocpp_url, None, "", address(unique), path_id) == 400
        assert await handshake_status(ocpp_url, "x", "password-0123456789", address(unique), path_id) == 400
        assert await UnknownStation.count() == before
    finally:
        await Tenant.update({Tenant.allow_unknown_stations: False}).where(Tenant.id == cpo.id)


async def test_a_real_station_id_with_a_nul_is_not_that_station(ocpp_url: str, station: Station, unique: str) -> None:
    source = address(unique)
    assert await handshake_status(ocpp_url, station.charge_box_id, station.password, source,
                                  station.charge_box_id + "%00") == 400  # fmt: skip
    assert await handshake_status(ocpp_url, station.charge_box_id, station.password, source) == 101


async def test_forty_wrong_passwords_lock_the_id_until_the_window_passed(
    ocpp_url: str, station: Station, unique: str, limits: Any, caplog: pytest.LogCaptureFixture
) -> None:
    window = limits(auth_failures_per_id=10, auth_failures_per_address=1_000, auth_window=12).auth_window
    attacker, station_address = address(unique, 1), address(unique, 2)
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="csms.ocpp"):
        # One wrong password, verified once (Argon2 takes up to half a second on a busy machine), counts 40 times.
        answers = [await handshake_status(ocpp_url, station.charge_box_id, "guess-0123456789", attacker)
                   for _ in range(40)]  # fmt: skip
    assert time.monotonic() - started < window, "the machine is too slow for this window"
    assert answers == [401] * 10 + [429] * 30
    assert any(f"station:{station.charge_box_id} refused" in r.getMessage() for r in caplog.records)
    # The right password from the station's own address is refused too while the window lasts ...
    assert await handshake_status(ocpp_url, station.charge_box_id, station.password, station_address) == 429
    wait = await retry_after(ocpp_url, station, station_address)
    assert 1 <= wait <= window
    # ... and gets in once it passed: the refusals did not extend it.
    await asyncio.sleep(wait + 0.2)
    assert await handshake_status(ocpp_url, station.charge_box_id, station.password, station_address) == 101


async def test_one_address_guessing_many_ids_is_refused_but_not_the_stations(
    ocpp_url: str, cpo: TenantCtx, unique: str, limits: Any
) -> None:
    limits(auth_failures_per_id=1_000, auth_failures_per_address=6, auth_window=30)
    stations = [await make_station(cpo, f"{unique}G{n}", points=1) for n in range(3)]
    attacker, honest = address(unique, 1), address(unique, 2)
    answers = [await handshake_status(ocpp_url, st.charge_box_id, "wrong-password-01234", attacker)
               for st in stations for _ in range(3)]  # fmt: skip
    assert answers == [401] * 6 + [429] * 3
    assert await handshake_status(ocpp_url, stations[0].charge_box_id, stations[0].password, attacker) == 429
    for st in stations:  # the same stations from their own addresses: not affected
        assert await handshake_status(ocpp_url, st.charge_box_id, st.password, honest) == 101


async def test_handshakes_without_credentials_guess_nothing(
    ocpp_url: str, station: Station, unique: str, limits: Any
) -> None:
    limits(auth_failures_per_id=3, auth_failures_per_address=3, auth_window=30)
    source = address(unique)
    assert [await handshake_status(ocpp_url, None, "", source, station.charge_box_id) for _ in range(6)] == [401] * 6
    assert await handshake_status(ocpp_url, station.charge_box_id, station.password, source) == 101


async def test_unknown_station_storm_is_capped_per_address_and_deduplicated(
    ocpp_url: str, cpo: TenantCtx, unique: str, limits: Any
) -> None:
    limits(unknown_per_address=5, unknown_window=60)
    await Tenant.update({Tenant.allow_unknown_stations: True}).where(Tenant.id == cpo.id)
    try:
        storm = [await handshake_status(ocpp_url, f"STORM-{unique}-{n}", "x", address(unique, 1)) for n in range(30)]
        assert storm == [404] * 30
        assert await UnknownStation.count().where(UnknownStation.charge_box_id.like(f"STORM-{unique}-%")) == 5
        # The same id again and again is one row counting attempts; at once, too.
        same = f"STORM-{unique}-0"
        answers = await asyncio.gather(*(handshake_status(ocpp_url, same, "x", address(unique, 1)) for _ in range(8)))
        assert answers == [404] * 8
        row = await UnknownStation.select().where(UnknownStation.charge_box_id == same).first()
        assert row is not None and row["attempts"] == 9 and row["tenant"] == cpo.id
        # Another address may still report a new station.
        assert await handshake_status(ocpp_url, f"OTHER-{unique}", "x", address(unique, 2)) == 404
        assert await UnknownStation.exists().where(UnknownStation.charge_box_id == f"OTHER-{unique}")
    finally:
        await Tenant.update({Tenant.allow_unknown_stations: False}).where(Tenant.id == cpo.id)


async def test_unknown_stations_are_capped_per_tenant_and_in_all(
    ocpp_url: str, cpo: TenantCtx, unique: str, limits: Any
) -> None:
    await Tenant.update({Tenant.allow_unknown_stations: True}).where(Tenant.id == cpo.id)
    try:
        limits(unknown_max_per_tenant=3, unknown_per_address=1_000)
        for n in range(6):
            assert await handshake_status(ocpp_url, f"CAP-{unique}-{n}", "x", address(unique, n)) == 404
        assert await UnknownStation.count().where(UnknownStation.tenant == cpo.id) == 3
        waiting = await UnknownStation.count().where(UnknownStation.adopted == False)  # noqa: E712
        limits(unknown_max=waiting, unknown_per_address=1_000)
        await UnknownStation.delete().where(UnknownStation.charge_box_id == f"CAP-{unique}-0")
        for n in range(6, 9):
            assert await handshake_status(ocpp_url, f"CAP-{unique}-{n}", "x", address(unique, n)) == 404
        assert await UnknownStation.count().where(UnknownStation.tenant == cpo.id) == 3  # one free place, taken once
    finally:
        await Tenant.update({Tenant.allow_unknown_stations: False}).where(Tenant.id == cpo.id)


def test_an_ipv6_host_counts_as_its_64() -> None:
    assert handshake.source_of("2001:db8:1:2:aaaa::1") == handshake.source_of("2001:db8:1:2:bbbb::9")
    assert handshake.source_of("2001:db8:1:2:aaaa::1") == "2001:db8:1:2::/64"
    assert handshake.source_of("::ffff:192.0.2.7") == "192.0.2.7"
    assert handshake.source_of("192.0.2.7") != handshake.source_of("192.0.2.8")


async def test_the_migration_drops_unknown_stations_recorded_with_invalid_ids(unique: str) -> None:
    import importlib

    from core.db import transaction

    migration = importlib.import_module("migrations.core.core_2026_12_06t03_30_00_000000")
    kept, dropped = f"GOOD-{unique}", [f"OC-{unique}\n", f"OC {unique}", f"OC-{unique}\u200b", f"-{unique}"]
    for charge_box_id in (kept, *dropped):
        await UnknownStation(charge_box_id=charge_box_id).save()
    # In a write transaction taken up front (core.db): the migration's own would be deferred, and on SQLite a deferred
    # transaction that read first fails at once when a background writer of this process committed meanwhile.
    async with transaction():
        await (await migration.forwards()).run()
    left = await UnknownStation.select(UnknownStation.charge_box_id).where(
        UnknownStation.charge_box_id.is_in([kept, *dropped])
    )  # fmt: skip
    assert left == [{"charge_box_id": kept}]


@pytest.mark.redis
async def test_redis_counters_read_at_once_share_a_round_trip_and_keep_their_own_counts(unique: str) -> None:
    import os

    from ocpp_cs.attempts import RedisAttempts

    if not os.environ.get("REDIS_URL"):
        pytest.skip("needs Redis")
    store = RedisAttempts(os.environ["REDIS_URL"])
    try:
        keys = [f"test:{unique}:{n}" for n in range(40)]
        for n, key in enumerate(keys):
            for _ in range(n % 4):
                await store.add([key], 60)
        counts = await asyncio.gather(*(store.counts([key, f"test:{unique}:none"]) for key in keys))
        assert [[c.count for c in pair] for pair in counts] == [[n % 4, 0] for n in range(40)]
        assert all(0 < pair[0].seconds_left <= 60 for n, pair in enumerate(counts) if n % 4)
    finally:
        await store.close()
