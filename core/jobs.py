"""Background jobs as seen from core and the portal: a name and its arguments.

Who runs a job (a Dramatiq actor on Redis, or the embedded in-process broker) is wired by csms/app.py
and csms/cli.py at start-up, so that no adapter imports the workers' internals.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Sender = Callable[..., Any]

_senders: dict[str, Sender] = {}


class JobNotWired(RuntimeError):
    """A job was enqueued before the process registered who runs it (a wiring bug, not bad input)."""


class RetryLater(Exception):
    """An expected outcome, not a bug: the job could not finish now (a partner or a mail server is away) and its
    owner (the outbox) hands it over again later. Logged as one warning line with the message, never a traceback;
    the message names what was not done and for whom."""


def register(name: str, sender: Sender) -> None:
    _senders[name] = sender


def enqueue(name: str, *args: Any) -> None:
    sender = _senders.get(name)
    if sender is None:
        raise JobNotWired(f"no runner registered for job {name!r}")
    sender(*args)


def registered() -> frozenset[str]:
    return frozenset(_senders)
