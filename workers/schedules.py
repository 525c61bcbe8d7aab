"""The periodic work (core.periodic) csms runs without cron: registered at start-up, run on the server's loop when
embedded and in each `csms worker` process, so every function here is safe to run in several processes at once."""

from __future__ import annotations

from core import periodic
from core.alerts import detect as alerts
from core.billing import runs as billing_runs
from core.community.statements import due_months
from core.firmware import campaigns as firmware_campaigns
from core.payments.recovery import recover_payments
from core.roaming import commands, exchange_log, health, pushes, session_push
from core.settings import get_settings
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
    # community charging: each community's last month, once it has ended (the job writes a month only once)
    periodic.every("community.due_months", HOUR, due_months)
    # billing: a preview of the month that has just ended is waiting on the 1st; the platform operator finalises it
    periodic.every("billing.due_months", HOUR, billing_runs.due_months)
    # alerts from the stations' statuses, connections and anomalies, and their mails (one tick at a time: a lease)
    periodic.every("alerts.tick", get_settings().alerts.tick_seconds, alerts.tick)
    # firmware campaigns: start stations (at most max_parallel at once), fail stalled ones (one tick at a time: a lease)
    # it sends UpdateFirmware: on the serve nodes, which hold the command bus (core.periodic.STATIONS)
    periodic.every("firmware.campaigns", firmware_campaigns.TICK_SECONDS, firmware_campaigns.tick, periodic.STATIONS)
