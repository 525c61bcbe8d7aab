"""What `csms worker` hands Dramatiq: the actors (workers.actors) with the hub's links wired first, as csms.app
wires them for `csms serve` (workers must not import hub; the jobs reach it through core's interfaces)."""

from __future__ import annotations

from csms.wiring import wire_hub, wire_payments

wire_hub()
wire_payments()

from csms.runtime import tune_gc  # noqa: E402
from workers.actors import *  # noqa: E402,F403 - Dramatiq finds the actors (and the broker) in this module

tune_gc()  # in each worker process Dramatiq starts: they import this module
