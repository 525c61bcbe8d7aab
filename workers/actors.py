"""Actors run by `csms worker` (Redis) or in-process (embedded). Import the broker first."""

from __future__ import annotations

from workers import (
    broker,  # noqa: F401 - binds actors to the configured broker
    import_actors,  # noqa: F401,E402 - bulk imports of stations and charge points
)
