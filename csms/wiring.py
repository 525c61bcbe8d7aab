"""core's interfaces to the OCPI node (connections, pushes, token authorization, commands), wired in `csms serve`
(csms.app) and in each `csms worker` (csms.worker): core and workers must not import hub."""

from __future__ import annotations

from core.charging import authorization
from core.payments import driver, receipts, terminals
from core.payments.provider import register_provider, register_webhook
from core.payments.recovery import register_receipt_sender
from core.roaming import cdr_push, commands, connections, pushes, session_push, token_auth
from hub.cdr_push import HubCdrLink
from hub.client import HubLink
from hub.pushes import HubPushLink
from hub.session_push import HubSessionLink
from payment_providers.stripe import NAME as STRIPE
from payment_providers.stripe import StripeProvider
from payment_providers.stripe import webhook as stripe_webhook


def wire_hub() -> None:
    connections.register_link(HubLink())
    pushes.register_link(HubPushLink())
    # partners' tokens at OCPP Authorize / StartTransaction, with the eMSP's real-time answer over HTTP
    token_auth.register_link(HubLink())
    authorization.register_roaming_check(token_auth.authorize_at)
    # partners' commands: the CommandResult POSTed to their response_url
    commands.register_link(HubLink())
    # new CDRs of partners' drivers, POSTed to them (through the outbox)
    cdr_push.register_link(HubCdrLink())
    # sessions of partners' drivers: PUT at the start, PATCHes at a bounded rate, the end (core.roaming.session_push)
    session_push.register_link(HubSessionLink())


def wire_payments() -> None:
    """Providers that speak HTTP (the sandbox is core's own): made when a payment needs them, from the settings."""
    register_provider(STRIPE, StripeProvider.from_settings)
    register_webhook(STRIPE, stripe_webhook)  # POST /pay/webhooks/stripe (portal.controllers.driver_pay)
    # a payment's idTag (PAY...) may start its own charge point while money is held for it
    authorization.register_payment_check(driver.authorize_payment_tag)
    # a captured payment's receipt: the mail in the driver's language, then receipt_sent (core.payments.receipts)
    register_receipt_sender(receipts.send_receipt)
    # a payment terminal's idTag (TRM...) may start the charge points of the stations it serves
    authorization.register_payment_check(terminals.authorize_terminal_tag)
