"""Connecting, rotating and ending a partner's connection from csms's side: the staff's actions, over the HTTP
client of the hub node, which core knows only as the ``PartnerLink`` interface (registered by csms at start-up,
implemented by hub.client)."""

from __future__ import annotations

from typing import Any, Protocol

from core.errors import Conflict, DomainError, Message
from core.roaming.partners import (
    CONNECT_SPEC,
    MANAGE,
    TARGET_SPEC,
    PartnerState,
    end_connection,
    get_partner,
    new_partner_kind,
    partner_by_id,
)
from core.roaming.tables import Partner
from core.tenancy.actor import Actor


class LinkFailed(DomainError):
    """The partner could not be reached or answered with an error; the message says which step."""


class PartnerLink(Protocol):
    async def register(self, partner: dict[str, Any], versions_url: str, token_a: str) -> None:
        """csms as the credentials sender: GET their versions and details with token A, POST csms's credentials
        (a new token for them to use), store what they answered. Raises LinkFailed."""

    async def rotate(self, partner: dict[str, Any]) -> None:
        """PUT new credentials (a new token for them) and store the new token they answer."""

    async def unregister(self, partner: dict[str, Any]) -> None:
        """DELETE csms's credentials at the partner."""

    async def check(self, partner: dict[str, Any]) -> None:
        """GET the partner's versions with csms's token (the health check); raises LinkFailed saying why not."""


_link: PartnerLink | None = None


def register_link(link: PartnerLink | None) -> None:
    global _link
    _link = link


def link() -> PartnerLink:
    if _link is None:
        raise RuntimeError("no OCPI client registered (csms.app wires hub.client)")
    return _link


async def connect_to(actor: Actor, raw: dict[str, Any]) -> dict[str, Any]:
    """A partner that issued csms a token A: csms registers with it at once. The partner row stays (NEW) when the
    handshake fails, so that its log shows why; the error is raised."""
    actor.require(MANAGE)
    data = CONNECT_SPEC.parse(raw)
    kind = await new_partner_kind(actor)
    partner = Partner(
        tenant=actor.tenant_id, kind=kind, name=data["name"], tokens_unencoded=bool(data.get("tokens_unencoded")),
        versions_url=data["versions_url"],
    )  # fmt: skip
    await partner.save()
    row = await partner_by_id(partner.id)
    await link().register(row, data["versions_url"], data["token_a"])
    return await partner_by_id(partner.id)


async def reconnect(actor: Actor, partner_id: int, raw: dict[str, Any]) -> None:
    """Register again with a (new) token A the partner issued, e.g. after a failed first attempt."""
    actor.require(MANAGE)
    partner = await get_partner(actor, partner_id)
    if partner["state"] == PartnerState.REGISTERED:
        raise Conflict(Message("The partner is registered already."))
    target = TARGET_SPEC.parse(raw)
    await Partner.update({Partner.versions_url: target["versions_url"]}).where(Partner.id == partner_id)
    await link().register(await partner_by_id(partner_id), target["versions_url"], target["token_a"])


async def rotate(actor: Actor, partner_id: int) -> None:
    actor.require(MANAGE)
    partner = await get_partner(actor, partner_id)
    if partner["state"] != PartnerState.REGISTERED:
        raise Conflict(Message("Only a registered partner's tokens can be renewed."))
    await link().rotate(partner)


async def end(actor: Actor, partner_id: int) -> None:
    """Unregisters at the partner and ends the connection here; ends it here even when the partner cannot be
    reached (its token is dead for csms either way), and then says so."""
    actor.require(MANAGE)
    partner = await get_partner(actor, partner_id)
    if partner["state"] == PartnerState.ENDED:
        return
    failure: LinkFailed | None = None
    if partner["state"] == PartnerState.REGISTERED:
        try:
            await link().unregister(partner)
        except LinkFailed as exc:
            failure = exc
    await end_connection(partner_id)
    if failure is not None:
        raise failure
