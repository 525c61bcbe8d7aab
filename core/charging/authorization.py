"""The one decision whether an id tag may charge at a charge point.

``authorize(tenant_id, charge_point, id_tag, auth_source)`` is called by OCPP Authorize and StartTransaction
now, and by OCPI (a roaming token's real-time authorization) and direct payment later. It looks at:

1. the charge point's allowed auth types (``auth_local_rfid`` for RFID cards, ``auth_remote`` for remote starts
   from the portal, API or an eMSP app, ``auth_direct_payment`` for ad-hoc payment): a source the charge point
   does not allow is ``Invalid`` with reason ``auth_type_not_allowed``;
2. the charging card of the charge point's tenant with that uid: missing -> ``Invalid`` (``unknown_card``),
   blocked -> ``Blocked``, past ``valid_until`` -> ``Expired``;
3. the card's driver group (core.access.driver_groups), if it has one: an archived group -> ``Blocked``
   (``driver_group_archived``); a group whose scope does not cover the charge point -> ``Invalid``
   (``outside_driver_group_scope``). Station-wide Authorize names no charge point, so the scope is checked at
   StartTransaction;
4. an open session of the same id tag anywhere in the tenant -> ``ConcurrentTx`` (OCPP 1.6 meaning: the tag is
   already in a transaction), unless the caller passes ``ignore_session_id`` (the session being started).

Why these statuses: OCPP 1.6 has no "not at this location" (2.0.1's ``NotAtThisLocation``). ``Blocked`` says "this
identifier may not charge" - true everywhere for a card of an archived group, like a blocked card. Outside the
scope the card is fine but not here, which 1.6 can only say with ``Invalid`` (as for an auth type the charge point
does not allow); a station caches idTagInfo only for itself, so neither status leaks to other charge points.

A remote start from the portal or API carries an id tag chosen by staff: it must still be a card of the tenant.

A Direct Payment idTag (``PAY...``) is decided by the payment check csms registered (core.payments.driver): accepted
at the payment's own charge point while money is held for it, before any card is looked for. A payment terminal's
idTag (``TRM...``) likewise by core.payments.terminals: accepted at the stations the active terminal serves. A terminal
start needs no auth type switch of the charge point: attaching the station to the terminal is the CPO's consent.

An RFID id tag that is no card of the tenant may be a roaming partner's token: ``authorize_roaming`` asks the check
csms registered (core.roaming.token_auth; charging sits below roaming and does not import it). That check may wait
for the eMSP's real-time answer, so callers run it outside their database transactions.

The result carries the OCPP status, a reason code for logs and the authorization monitor, the card row id and the
driver group's terms (or the roaming partner and its authorization reference) that the session records at its start.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from core.access import driver_groups
from core.access.cards import normalize_uid
from core.access.tables import ChargingCard
from core.charging.tables import ChargingSession

OPEN_SESSION_STATUSES = ("STARTED", "CHARGING", "PAUSED")


class AuthSource(StrEnum):
    RFID = "RFID"
    REMOTE = "REMOTE"
    DIRECT_PAYMENT = "DIRECT_PAYMENT"
    TERMINAL = "TERMINAL"  # paid at a card terminal (core.payments.terminals), started remotely by csms


class AuthStatus(StrEnum):
    """OCPP 1.6 AuthorizationStatus."""

    ACCEPTED = "Accepted"
    BLOCKED = "Blocked"
    EXPIRED = "Expired"
    INVALID = "Invalid"
    CONCURRENT_TX = "ConcurrentTx"


@dataclass(frozen=True)
class AuthResult:
    status: AuthStatus
    reason: str  # machine-readable: accepted, unknown_card, blocked, expired, auth_type_not_allowed, ...
    card_id: int | None = None
    expiry: datetime | None = None
    driver_group: dict[str, Any] | None = None  # the card's group row (id, tariff, tariff_mode, ...)
    # A roaming partner's token: the partner, the token's contract id (EMAID) and the eMSP's authorization reference
    roaming_partner_id: int | None = None
    roaming_contract_id: str = ""
    authorization_reference: str = ""
    roaming_token: dict[str, str] | None = None  # OCPI CdrToken (country_code, party_id, uid, type, contract_id)

    @property
    def accepted(self) -> bool:
        return self.status is AuthStatus.ACCEPTED

    def session_terms(self) -> dict[str, Any]:
        """The driver group columns a session records at its start (core.access.driver_groups.session_terms).

        Only an accepted start charges under the group's terms; a refused one does not count as its use."""
        return driver_groups.session_terms(self.driver_group if self.accepted else None)

    def roaming_terms(self) -> dict[str, Any]:
        """The session columns of a roaming partner's token (empty for a card)."""
        return {
            "roaming_partner_id": self.roaming_partner_id,
            "roaming_contract_id": self.roaming_contract_id,
            "authorization_reference": self.authorization_reference,
            "roaming_token": self.roaming_token,
        }

    def id_tag_info(self) -> dict[str, Any]:
        """The OCPP 1.6 idTagInfo object."""
        info: dict[str, Any] = {"status": self.status.value}
        if self.expiry is not None:
            info["expiryDate"] = self.expiry.astimezone(UTC).isoformat().replace("+00:00", "Z")
        return info


# (tenant id, station id, charge point or None, id tag) -> the decision for a roaming partner's token, None when the
# id tag is no partner's token at this station.
RoamingCheck = Callable[[int, int, dict[str, Any] | None, str], Awaitable[AuthResult | None]]
_roaming_check: RoamingCheck | None = None


def register_roaming_check(check: RoamingCheck | None) -> None:
    """csms wires core.roaming.token_auth here at start-up (serve and worker)."""
    global _roaming_check
    _roaming_check = check


async def authorize_roaming(
    tenant_id: int, station_id: int, charge_point: dict[str, Any] | None, id_tag: str
) -> AuthResult | None:
    """A roaming partner's token at this station (or charge point); None when it is none (or roaming is not wired).
    May wait for the eMSP: call it outside a database transaction."""
    if _roaming_check is None or not id_tag:
        return None
    return await _roaming_check(tenant_id, station_id, charge_point, id_tag)


# (tenant id, charge point or None, id tag, session to ignore) -> the decision for a Direct Payment idTag (``PAY...``,
# core.payments.driver), None when the id tag is no payment's.
PaymentCheck = Callable[[int, dict[str, Any] | None, str, int | None], Awaitable[AuthResult | None]]
_payment_checks: list[PaymentCheck] = []


def register_payment_check(check: PaymentCheck) -> None:
    """csms wires core.payments.driver and core.payments.terminals here at start-up (serve and worker); each check
    answers None for an idTag that is not its own."""
    if check not in _payment_checks:
        _payment_checks.append(check)


async def is_card(tenant_id: int, id_tag: str) -> bool:
    uid = normalize_uid(id_tag)
    return bool(uid) and await ChargingCard.exists().where(
        (ChargingCard.tenant == tenant_id) & (ChargingCard.uid == uid)
    )


_AUTH_TYPE_COLUMN = {
    AuthSource.RFID: "auth_local_rfid",
    AuthSource.REMOTE: "auth_remote",
    AuthSource.DIRECT_PAYMENT: "auth_direct_payment",
}


async def authorize(
    tenant_id: int,
    charge_point: dict[str, Any] | None,
    id_tag: str,
    auth_source: AuthSource | str = AuthSource.RFID,
    *,
    at: datetime | None = None,
    ignore_session_id: int | None = None,
) -> AuthResult:
    """Decide for one id tag; ``charge_point`` is None for OCPP 1.6 Authorize (it names no connector)."""
    source = AuthSource(auth_source)
    column = _AUTH_TYPE_COLUMN.get(source)
    if charge_point is not None and column is not None and not charge_point.get(column, False):
        return AuthResult(AuthStatus.INVALID, "auth_type_not_allowed")
    uid = normalize_uid(id_tag)
    if not uid:
        return AuthResult(AuthStatus.INVALID, "unknown_card")
    for check in _payment_checks:
        paid = await check(tenant_id, charge_point, uid, ignore_session_id)
        if paid is not None:
            return paid
    cards = await ChargingCard.select(
        ChargingCard.id, ChargingCard.status, ChargingCard.valid_until, ChargingCard.driver_group
    ).where((ChargingCard.tenant == tenant_id) & (ChargingCard.uid == uid))
    if not cards:
        return AuthResult(AuthStatus.INVALID, "unknown_card")
    card = cards[0]
    if card["status"] != "ACTIVE":
        return AuthResult(AuthStatus.BLOCKED, "blocked", card["id"])
    at = at or datetime.now(UTC)
    valid_until = card["valid_until"]
    if valid_until is not None and valid_until <= at:
        return AuthResult(AuthStatus.EXPIRED, "expired", card["id"], valid_until)
    group = None
    if card["driver_group"] is not None:
        group = await driver_groups.group_of_card(card["driver_group"])
        if group is not None and group["archived_at"] is not None:
            return AuthResult(AuthStatus.BLOCKED, "driver_group_archived", card["id"], driver_group=group)
        if group is not None and charge_point is not None and not await driver_groups.covers(group, charge_point):
            return AuthResult(AuthStatus.INVALID, "outside_driver_group_scope", card["id"], driver_group=group)
    open_query = ChargingSession.exists().where(
        (ChargingSession.tenant == tenant_id)
        & (ChargingSession.id_tag == uid)
        & ChargingSession.status.is_in(list(OPEN_SESSION_STATUSES))
    )
    if ignore_session_id is not None:
        open_query = open_query.where(ChargingSession.id != ignore_session_id)
    if await open_query:
        return AuthResult(AuthStatus.CONCURRENT_TX, "concurrent_transaction", card["id"], valid_until, group)
    return AuthResult(AuthStatus.ACCEPTED, "accepted", card["id"], valid_until, group)
