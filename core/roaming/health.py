"""The partners' health check: every OCPI_PARTNER_CHECK_MINUTES csms GETs each registered partner's versions with
its token (through the PartnerLink, so the exchange is in the partner's OCPI log) and records on the partner whether
it answered, when, and the error if not.

``check_due_partners`` is periodic work: every worker process runs it, so each partner is claimed in the database
(its check time moved on by a conditional update) before it is checked, and is checked by one process a period.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from core.roaming.connections import LinkFailed, link
from core.roaming.partners import PartnerState, now
from core.roaming.tables import Partner
from core.settings import get_settings

ERROR_MAX = 300
log = logging.getLogger("csms.roaming.health")


def check_period() -> timedelta | None:
    minutes = get_settings().ocpi_partner_check_minutes
    return timedelta(minutes=minutes) if minutes > 0 else None


def _due(cutoff: datetime) -> Any:
    """Registered, and last checked (or, never checked, registered: the handshake itself showed it reachable) a
    period ago or earlier."""
    never = Partner.health_checked_at.is_null() & (Partner.registered_at <= cutoff)
    return (Partner.state == PartnerState.REGISTERED) & (never | (Partner.health_checked_at <= cutoff))


async def check_due_partners() -> int:
    """Checks every registered partner not checked within the period; returns how many this process checked."""
    period = check_period()
    if period is None:
        return 0
    checked = 0
    cutoff = now() - period
    for row in await Partner.select(Partner.id).where(_due(cutoff)).order_by(Partner.id):
        claimed = await (
            Partner.update({Partner.health_checked_at: now()})
            .where((Partner.id == row["id"]) & _due(cutoff))
            .returning(Partner.id)
        )
        if not claimed:  # another process took it first
            continue
        try:
            await check_partner(row["id"])
        except Exception:  # one partner's surprise (its data, the database for a moment) must not stop the others
            log.exception("health check of partner %s failed", row["id"])
        checked += 1
    return checked


async def check_partner(partner_id: int) -> None:
    partner = await Partner.select().where(Partner.id == partner_id).output(load_json=True).first()
    if partner is None or partner["state"] != PartnerState.REGISTERED:
        return
    error = ""
    try:
        await link().check(partner)
    except LinkFailed as exc:
        error = str(exc.message)[:ERROR_MAX]
    await Partner.update(
        {Partner.health_ok: not error, Partner.health_error: error, Partner.health_checked_at: now()}
    ).where(Partner.id == partner_id)
