"""In-process jobs for embedded mode: each message runs as a task on the server's own event loop.

Running on the serving loop (instead of Dramatiq's worker threads and their own loop) means actors
share the process's database engine and connection pool exactly as request handlers do.
Retries follow the actor's ``max_retries`` / ``min_backoff`` / ``max_backoff`` / ``throws`` options.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import random
from typing import Any

from dramatiq import Message
from dramatiq.brokers.stub import StubBroker

from core import jobs

log = logging.getLogger("csms.jobs")

DEFAULT_MAX_RETRIES = 20  # Dramatiq's own default
DEFAULT_MIN_BACKOFF_MS = 15_000
DEFAULT_MAX_BACKOFF_MS = 3_600_000


class EmbeddedBroker(StubBroker):
    def __init__(self) -> None:
        super().__init__()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        """From now on messages run on ``loop``; ones queued before are started now."""
        self._loop = loop
        for queue_name in list(self.queues):
            queue = self.queues[queue_name]
            while not queue.empty():
                self._schedule(Message.decode(queue.get_nowait()), 0, 0)

    def detach(self) -> None:
        self._loop = None

    def enqueue(self, message: Message[Any], *, delay: int | None = None) -> Message[Any]:
        if self._loop is None:
            return super().enqueue(message, delay=delay)
        self.emit_before("enqueue", message, delay)
        try:
            on_loop = asyncio.get_running_loop() is self._loop
        except RuntimeError:
            on_loop = False
        if on_loop:
            self._schedule(message, delay or 0, 0)
        else:
            self._loop.call_soon_threadsafe(self._schedule, message, delay or 0, 0)
        self.emit_after("enqueue", message, delay)
        return message

    def _schedule(self, message: Message[Any], delay_ms: int, attempt: int) -> None:
        assert self._loop is not None
        task = self._loop.create_task(self._run(message, delay_ms, attempt))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, message: Message[Any], delay_ms: int, attempt: int) -> None:
        if delay_ms:
            await asyncio.sleep(delay_ms / 1000)
        actor = self.get_actor(message.actor_name)
        fn = getattr(actor.fn, "__wrapped__", actor.fn)
        try:
            if inspect.iscoroutinefunction(fn):
                await fn(*message.args, **message.kwargs)
            else:
                await asyncio.to_thread(fn, *message.args, **message.kwargs)
        except Exception as exc:
            options = {**actor.options, **message.options}
            throws = options.get("throws") or ()
            if isinstance(exc, throws) or attempt >= options.get("max_retries", DEFAULT_MAX_RETRIES):
                if isinstance(exc, jobs.RetryLater):  # expected (a partner is away): one line, no stack
                    log.warning("job %s(%s) not done now: %s", message.actor_name, message.message_id, exc)
                    return
                log.exception("job %s(%s) failed for good", message.actor_name, message.message_id)
                return
            base = options.get("min_backoff", DEFAULT_MIN_BACKOFF_MS) * 2**attempt
            backoff = min(base, options.get("max_backoff", DEFAULT_MAX_BACKOFF_MS))
            log.warning("job %s failed (%s); retry %d in %d ms", message.actor_name, exc, attempt + 1, backoff)
            self._schedule(message, int(backoff * random.uniform(0.9, 1.1)), attempt + 1)

    async def drain(self, timeout: float = 30.0) -> None:
        """Waits until every scheduled job (including retries already due) has finished."""
        await asyncio.sleep(0)  # let messages sent from other threads get scheduled
        deadline = asyncio.get_running_loop().time() + timeout
        while self._tasks and asyncio.get_running_loop().time() < deadline:
            await asyncio.wait(set(self._tasks), timeout=max(0.0, deadline - asyncio.get_running_loop().time()))
