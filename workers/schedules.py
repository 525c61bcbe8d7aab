"""The periodic work (core.periodic) csms runs without cron: registered at start-up, run on the server's loop when
embedded and in each `csms worker` process, so every function here is safe to run in several processes at once."""

from __future__ import annotations

from core import periodic
from core.payments.recovery import recover_payments
from core.roaming import commands, exchange_log, health, pushes, session_push
from core.tariffs.assignments import mark_assignments_in_force

HOUR = 3600
# How often each process looks for partners due for a health check; the check period itself is a setting
# (OCPI_PARTNER_CHECK_MINUTES) and a claim in the database keeps it to one check per partner and period.
HEALTH_TICK = 60


def register_periodic() -> None:
    periodic.every("roaming.pushes", pushes.TICK_SECONDS, pushes.tick)
    periodic.every("roaming.session_pushes", session_push.TICK_SECONDS, session_push.tick)
    periodic.every("roaming.prune_log", HOUR, exchange_log.prune_expired)
    periodic.every("roaming.prune_reservations", HOUR, commands.prune_reservations)
    periodic.every("roaming.partner_health", HEALTH_TICK, health.check_due_partners)
    # a scheduled tariff taking effect changes its locations' tariff_ids without a writer: raise their last_updated
    periodic.every("tariffs.assignments_in_force", 30, mark_assignments_in_force)
    # payments a crash or a walked-away driver left half done (core.payments.recovery); safe in several processes
    periodic.every("payments.recovery", 60, recover_payments)
