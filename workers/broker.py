"""The Dramatiq broker: Redis in production, in-process when embedded (no REDIS_URL).

Import this module before any actor module so that actors bind to the right broker.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import dramatiq
from dramatiq.middleware import AsyncIO, Middleware

from core.periodic import JOBS, STATIONS
from core.settings import get_settings
from workers.embedded import EmbeddedBroker

_settings = get_settings()
log = logging.getLogger("csms.worker")


class DatabasePool(Middleware):
    """`csms worker` processes open the database pool on the loop their async actors run on, before the worker
    threads start taking messages: a job that began on a bare connection while the pool was being opened would
    hand that connection back to the new pool after its commit, which fails (``Pool.release() received invalid
    connection``). Added after AsyncIO, whose ``before_worker_boot`` starts that loop."""

    def before_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        from dramatiq.asyncio import get_event_loop_thread

        from core import db

        loop_thread = get_event_loop_thread()
        if loop_thread is None:
            return
        try:
            loop_thread.run_coroutine(db.open_pool(_settings.db_pool_size))
        except Exception as exc:
            # Without a pool the worker must not take jobs: the process exits (its loop thread first, which
            # would keep it alive), and `csms worker` with it.
            log.error("csms worker cannot open the database pool: %s", exc)
            loop_thread.stop()
            loop_thread.join()
            raise SystemExit(3) from None

    def after_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        # After the worker threads finished their jobs; before AsyncIO stops the loop (after_* run in reverse).
        from dramatiq.asyncio import get_event_loop_thread

        from core import db

        loop_thread = get_event_loop_thread()
        if loop_thread is not None:
            loop_thread.run_coroutine(db.close_pool())


class OutboxRelay(Middleware):
    """Each `csms worker` process relays the outbox periodically (claims are safe across processes) and runs the
    periodic work (core.periodic), on the pool that DatabasePool opened."""

    relay: Any = None
    scheduler: Any = None

    def after_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        from dramatiq.asyncio import get_event_loop_thread

        loop_thread = get_event_loop_thread()
        if loop_thread is not None:
            self.relay = loop_thread.run_coroutine(_start_relay(periodic=True))
            self.scheduler = loop_thread.run_coroutine(_start_scheduler(JOBS))

    def before_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        from dramatiq.asyncio import get_event_loop_thread

        loop_thread = get_event_loop_thread()
        if loop_thread is not None and self.scheduler is not None:
            loop_thread.run_coroutine(self.scheduler.stop())
        if loop_thread is not None and self.relay is not None:
            loop_thread.run_coroutine(self.relay.stop())


broker: dramatiq.Broker
if _settings.redis_url:
    from dramatiq.brokers.redis import RedisBroker

    broker = RedisBroker(url=_settings.redis_url, namespace="csms")
    broker.add_middleware(AsyncIO())
    broker.add_middleware(DatabasePool())
    broker.add_middleware(OutboxRelay())  # after DatabasePool: the relay needs the pool
else:
    broker = EmbeddedBroker()

dramatiq.set_broker(broker)


def start_embedded_jobs() -> EmbeddedBroker | None:
    """Embedded mode runs jobs on the server's event loop; production leaves them to `csms worker`."""
    if isinstance(broker, EmbeddedBroker):
        broker.attach(asyncio.get_running_loop())
        return broker
    return None


async def _start_relay(periodic: bool) -> Any:
    from core.outbox import DEFAULT_INTERVAL_SECONDS, Relay

    relay = Relay(interval=DEFAULT_INTERVAL_SECONDS if periodic else None)
    relay.start()
    return relay


async def _start_scheduler(where: str | None) -> Any:
    from core.periodic import Scheduler

    scheduler = Scheduler(where)
    scheduler.start()
    return scheduler


async def start_periodic() -> Any:
    """The periodic work (core.periodic) on the server's loop in embedded mode, all of it; in production each
    `csms worker` runs the jobs' part and each serve node the stations' part (it needs the node's command bus)."""
    return await _start_scheduler(None if isinstance(broker, EmbeddedBroker) else STATIONS)


async def start_outbox_relay() -> Any:
    """The outbox relay on the server's loop: periodic when jobs run embedded, else only kicked after commits
    (in production `csms worker` relays periodically; a kick here only cuts the latency). Returns it to stop."""
    return await _start_relay(periodic=isinstance(broker, EmbeddedBroker))
