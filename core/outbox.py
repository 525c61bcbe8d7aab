"""The transactional outbox: work for workers, written in the same transaction as the change that causes it.

``publish(topic, dedupe_key, payload)`` runs INSIDE the change's ``core.db.transaction()``: either both the
change and its message are committed or neither is. The dedupe key is unique, so the same event published
twice (a repeated StopTransaction, a retried request) is stored once.

A ``Relay`` hands undelivered messages to the job that handles their topic (``route(topic, job)`` names it;
``core.jobs`` knows who runs the job: a Dramatiq actor on Redis or the embedded in-process broker). It claims
a batch (PostgreSQL: ``FOR UPDATE SKIP LOCKED``, so several relays on several nodes never claim one row
twice), counts the attempt and moves ``available_at`` forward by an exponential backoff *before* handing the
message over. The job then calls ``consume(message_id, handler)``: the handler's writes and ``delivered_at``
commit in one transaction, so a message is handled exactly once in effect even when it is handed over again.
A failed handler leaves the row undelivered with ``last_error``; the relay hands it over again when its
backoff has passed, up to ``MAX_ATTEMPTS`` times. So the outbox, not the broker, owns retries: actors that
consume it are declared with ``max_retries=0``.

The relay runs periodically (embedded mode: on the server's loop; production: in ``csms worker``) and is
kicked right after a commit that published something (``kick()``) for low latency.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from piccolo.columns import JSON, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from core import jobs
from core.db import engine, is_postgres, transaction

log = logging.getLogger("csms.outbox")


class OutboxMessage(Table):
    """Work for workers written in the same transaction as the change that caused it."""

    id: Serial
    topic = Varchar(length=60, index=True)
    dedupe_key = Varchar(length=200, unique=True)
    payload = JSON(default={})
    attempts = Integer(default=0)
    last_error = Text(default="")
    available_at = Timestamptz(default=TimestamptzNow(), index=True)
    delivered_at = Timestamptz(null=True, default=None, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    # A job that talks to the outside world outside a transaction holds the message until then (claim()): the
    # relay's backoff may hand it over again while a slow partner is still answering the first run.
    claimed_until = Timestamptz(null=True, default=None)


MIN_BACKOFF_SECONDS = 10
MAX_BACKOFF_SECONDS = 3600
MAX_ATTEMPTS = 25  # about a day of retries; after that the row stays for a human (last_error says why)
BATCH_SIZE = 100
DEFAULT_INTERVAL_SECONDS = 5.0

Handler = Callable[[dict[str, Any]], Awaitable[None]]

_routes: dict[str, str] = {}  # topic -> core.jobs name
_relays: list[Relay] = []


def now() -> datetime:
    return datetime.now(UTC)


def route(topic: str, job: str) -> None:
    """Messages of ``topic`` are handled by the job ``job`` (called with the message id)."""
    _routes[topic] = job


def routes() -> dict[str, str]:
    return dict(_routes)


def backoff(attempts: int) -> timedelta:
    """How long a message handed over for the ``attempts``-th time waits before it may be handed over again."""
    seconds = MIN_BACKOFF_SECONDS * 2 ** max(0, attempts - 1)
    return timedelta(seconds=min(seconds, MAX_BACKOFF_SECONDS))


async def publish(topic: str, dedupe_key: str, payload: dict[str, Any]) -> bool:
    """Store a message in the current transaction; False when a message with this key exists already."""
    if engine().current_transaction.get() is None:
        raise RuntimeError("outbox.publish must run inside the transaction of the change (core.db.transaction)")
    inserted = (
        await OutboxMessage.insert(OutboxMessage(topic=topic, dedupe_key=dedupe_key, payload=payload))
        .on_conflict(target=OutboxMessage.dedupe_key, action="DO NOTHING")
        .returning(OutboxMessage.id)
    )
    return bool(inserted)


def kick() -> None:
    """After the commit of a transaction that published: let the running relays look now (no-op without one)."""
    for relay in list(_relays):
        relay.kick()


def _payload(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        value = json.loads(value) if value else {}
    return value if isinstance(value, dict) else {}


async def claim(message_id: int, seconds: float) -> bool:
    """Reserve an undelivered message for this run for ``seconds``; False when it is delivered or another run holds
    it (that run settles it). For jobs whose work cannot sit in the message's transaction (an HTTP POST, SMTP)."""
    at = now()
    claimed = (
        await OutboxMessage.update({OutboxMessage.claimed_until: at + timedelta(seconds=seconds)})
        .where(
            (OutboxMessage.id == message_id)
            & OutboxMessage.delivered_at.is_null()
            & (OutboxMessage.claimed_until.is_null() | (OutboxMessage.claimed_until < at))
        )
        .returning(OutboxMessage.id)
    )
    return bool(claimed)


async def settle(message_id: int, error: str = "", payload: dict[str, Any] | None = None) -> None:
    """The outcome of a claimed run: delivered without ``error``; else undelivered with the error kept for the next
    try. The claim ends either way; ``payload`` replaces the message's payload (a note for whoever lists it)."""
    values: dict[Any, Any] = {OutboxMessage.last_error: error[:2000], OutboxMessage.claimed_until: None}
    if not error:
        values[OutboxMessage.delivered_at] = now()
    if payload is not None:
        values[OutboxMessage.payload] = payload
    await OutboxMessage.update(values).where((OutboxMessage.id == message_id) & OutboxMessage.delivered_at.is_null())


async def consume(message_id: int, handler: Handler, topic: str | None = None) -> bool:
    """Run ``handler(payload)`` and mark the message delivered, atomically; False if it was delivered already.

    With ``topic`` only a message of that topic is handled: a job handed an id that names another topic's
    message (a queue entry that outlived its database, e.g. after a restore) skips it instead of failing on a
    payload it does not understand.

    On PostgreSQL the row is locked first, so a message handed over twice at the same moment waits for the
    first run and then sees it delivered. A failing handler rolls back its writes; the error is kept on the row
    and the exception propagates (the relay hands the message over again after its backoff). An error raised
    after the commit (returning the connection failed) finds the row delivered: nothing is recorded, the
    message counts as handled.
    """
    lock = " FOR UPDATE" if is_postgres() else ""
    try:
        async with transaction():
            same_topic, args = ("", [message_id]) if topic is None else (" AND topic = {}", [message_id, topic])
            rows = await OutboxMessage.raw(
                f"SELECT id, payload FROM outbox_message WHERE id = {{}}{same_topic} AND delivered_at IS NULL{lock}",
                *args,
            )
            if not rows:
                return False
            await handler(_payload(rows[0]["payload"]))
            await OutboxMessage.update({OutboxMessage.delivered_at: now(), OutboxMessage.last_error: ""}).where(
                OutboxMessage.id == message_id
            )
        # what the handler published is committed only now: its own kick() came before the COMMIT, when the relay
        # could not see it yet (it then waited for the next periodic pass, up to DEFAULT_INTERVAL_SECONDS)
        kick()
        return True
    except Exception as exc:
        # Only an undelivered row takes the error: the delivered row of a committed run must not look failed.
        recorded = (
            await OutboxMessage.update({OutboxMessage.last_error: f"{type(exc).__name__}: {exc}"[:2000]})
            .where((OutboxMessage.id == message_id) & OutboxMessage.delivered_at.is_null())
            .returning(OutboxMessage.id)
        )
        if recorded or not await OutboxMessage.exists().where(OutboxMessage.id == message_id):
            raise
        log.warning("outbox message %s was delivered; an error after the commit is ignored: %r", message_id, exc)
        return True


async def _claim(topics: list[str], at: datetime, limit: int) -> list[dict[str, Any]]:
    """Due, undelivered messages of ``topics``; each gets its attempt counted and its next try scheduled."""
    marks = ", ".join("{}" for _ in topics)
    skip_locked = " FOR UPDATE SKIP LOCKED" if is_postgres() else ""
    async with transaction():
        rows = await OutboxMessage.raw(
            "SELECT id, topic, attempts FROM outbox_message WHERE delivered_at IS NULL AND available_at <= {} "
            f"AND attempts < {{}} AND topic IN ({marks}) ORDER BY id LIMIT {int(limit)}{skip_locked}",
            at, MAX_ATTEMPTS, *topics,
        )  # fmt: skip
        by_attempts: dict[int, list[int]] = {}
        for row in rows:
            row["attempts"] = int(row["attempts"]) + 1
            by_attempts.setdefault(row["attempts"], []).append(int(row["id"]))
        for attempts, ids in by_attempts.items():
            await OutboxMessage.update(
                {OutboxMessage.attempts: attempts, OutboxMessage.available_at: at + backoff(attempts)}
            ).where(OutboxMessage.id.is_in(ids))
    return list(rows)


async def relay_once(
    at: datetime | None = None, limit: int = BATCH_SIZE, routes: Mapping[str, str] | None = None
) -> int:
    """One pass: hand due messages of routed topics (whose job this process can run) to their jobs."""
    routes = _routes if routes is None else routes
    wired = jobs.registered()
    topics = sorted(topic for topic, job in routes.items() if job in wired)
    if not topics:
        return 0
    claimed = await _claim(topics, at or now(), limit)
    for row in claimed:
        try:
            jobs.enqueue(routes[row["topic"]], int(row["id"]))
        except Exception as exc:  # the broker is down: the row's backoff brings it back
            log.warning("outbox message %s not handed over: %s", row["id"], exc)
            await OutboxMessage.update({OutboxMessage.last_error: f"enqueue: {exc}"[:2000]}).where(
                OutboxMessage.id == row["id"]
            )
    return len(claimed)


class Relay:
    """Runs ``relay_once`` on one event loop: every ``interval`` seconds (None: only when kicked)."""

    def __init__(self, interval: float | None = DEFAULT_INTERVAL_SECONDS) -> None:
        self.interval = interval
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def start(self) -> None:
        """On the running loop; registers the relay for ``kick()``."""
        self._loop = asyncio.get_running_loop()
        self._task = self._loop.create_task(self._run(), name="outbox-relay")
        _relays.append(self)

    async def stop(self) -> None:
        if self in _relays:
            _relays.remove(self)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def kick(self) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            same_loop = asyncio.get_running_loop() is loop
        except RuntimeError:
            same_loop = False
        if same_loop:
            self._wake.set()
        else:
            loop.call_soon_threadsafe(self._wake.set)

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            handed = 0
            try:
                handed = await relay_once()
            except Exception:  # the database is away for a moment: try again at the next tick
                log.exception("outbox relay pass failed")
            if handed >= BATCH_SIZE:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.interval)
