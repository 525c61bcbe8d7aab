"""CDRs sent to the partner whose token charged (OCPI mod_cdrs, the CPO POSTs each new CDR to the eMSP's receiver).

Unlike location pushes, a CDR is billing data that must arrive: core.cdrs publishes every new CDR of a partner's
driver to the outbox (``cdr.roaming``), and the job ``roaming.send_cdr`` POSTs it; a failure stays undelivered and
the outbox hands it over again after its backoff (about a day of attempts). The POST runs outside any database
transaction. A partner without a CDRs receiver, or no longer registered, reads its CDRs by GET (hub/cdrs.py).
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

from core import jobs, outbox
from core.cdrs.building import ROAMING_CDR_TOPIC
from core.cdrs.tables import Cdr
from core.outbox import OutboxMessage
from core.roaming.charged import ChargedCdr, bundles
from core.roaming.partners import PartnerState, endpoint_url, may_push_to, partner_by_id

log = logging.getLogger("csms.roaming.cdrs")

JOB = "roaming.send_cdr"
BY_GET = "by_get"  # in a message's payload once done without a POST: the partner has no CDRs receiver, reads by GET
outbox.route(ROAMING_CDR_TOPIC, JOB)


class NotSent(jobs.RetryLater):
    """The partner did not take the CDR (yet): the outbox hands it over again later."""


class CdrLink(Protocol):
    async def post_cdr(self, partner: dict[str, Any], cdr: ChargedCdr) -> str | None:
        """POST the CDR to the partner's CDRs receiver; None when it took it, else why not."""


_link: CdrLink | None = None


def register_link(link: CdrLink | None) -> None:
    global _link
    _link = link


CLAIM_SECONDS = 120  # longer than a POST with its retries takes


async def _mark(message_id: int, error: str = "", by_get: bool = False) -> None:
    """The outcome of a try: ``error`` (undelivered, tried again), else done; ``by_get``: done without a POST (the
    partner reads the CDR by GET), kept in the payload for the partner's CDR list (core.roaming.partner_activity)."""
    payload = None
    if by_get:
        row = await OutboxMessage.select(OutboxMessage.payload).where(OutboxMessage.id == message_id).first()
        payload = {**outbox._payload(row["payload"] if row else {}), BY_GET: True}
    await outbox.settle(message_id, error, payload)


async def send(message_id: int) -> bool:
    """The job: POST the message's CDR to its partner; True when done (sent, or nothing to send)."""
    rows = await OutboxMessage.select(OutboxMessage.payload, OutboxMessage.delivered_at).where(
        (OutboxMessage.id == message_id) & (OutboxMessage.topic == ROAMING_CDR_TOPIC)
    )
    if not rows or rows[0]["delivered_at"] is not None:
        return True
    if not await outbox.claim(message_id, CLAIM_SECONDS):
        return True  # another run is sending it and settles it: one CDR is POSTed once
    payload = outbox._payload(rows[0]["payload"])
    cdr = await Cdr.select().where(Cdr.id == int(payload["cdr_id"])).output(load_json=True).first()
    if cdr is None or cdr["roaming_partner_id"] is None:
        await _mark(message_id)
        return True
    partner = await partner_by_id(int(cdr["roaming_partner_id"]))
    if partner["state"] != PartnerState.REGISTERED or endpoint_url(partner, "cdrs", "RECEIVER") is None:
        await _mark(message_id, by_get=True)  # it reads its CDRs by GET
        return True
    token = cdr["roaming_token"] or {}
    party = (str(token.get("country_code", "")), str(token.get("party_id", "")))
    if _link is None or not await may_push_to(partner, *party):
        await _mark(message_id, "the partner is not connected now; the CDR is sent when it is")
        raise NotSent(f"CDR {cdr['id']} to partner {partner['id']}: not connected")
    error = await _link.post_cdr(partner, (await bundles([cdr]))[0])
    if error:
        await _mark(message_id, error)
        raise NotSent(f"CDR {cdr['id']} to partner {partner['id']}: {error}")
    await _mark(message_id)
    return True
