"""Tables of Direct Payment: the payment, its append-only event log, and the sandbox provider's own state."""

from __future__ import annotations

from decimal import Decimal

from piccolo.columns import JSON, Boolean, ForeignKey, Integer, Numeric, OnDelete, Serial, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from core.charging.tables import ChargingSession
from core.infrastructure.tables import ChargePoint, ChargingStation
from core.tenancy.tables import Tenant


class Payment(Table):
    """One ad-hoc payment of a driver at a charge point. Amounts in the currency's major unit (EUR)."""

    id: Serial
    uid = Varchar(length=32, unique=True, index=True)  # public reference, the base of the idempotency keys
    tenant = ForeignKey(references=Tenant, on_delete=OnDelete.cascade, index=True)
    charge_point = ForeignKey(references=ChargePoint, on_delete=OnDelete.set_null, null=True, default=None)
    evse_id = Varchar(length=48, default="")  # kept when the charge point is deleted: receipts name it
    id_tag = Varchar(length=20, default="", index=True)  # the OCPP idTag the session is started with
    session = ForeignKey(references=ChargingSession, on_delete=OnDelete.set_null, null=True, default=None, index=True)
    state = Varchar(length=20, default="created", index=True)  # core.payments.states.PaymentState
    state_changed_at = Timestamptz(default=TimestamptzNow(), index=True)
    currency = Varchar(length=3, default="EUR")
    amount_authorised = Numeric(digits=(12, 2), default=Decimal("0"))  # the hold asked for (and granted)
    amount_to_capture = Numeric(digits=(12, 2), null=True, default=None)  # fixed before capturing: retries reuse it
    amount_captured = Numeric(digits=(12, 2), default=Decimal("0"))
    amount_refunded = Numeric(digits=(12, 2), default=Decimal("0"))
    provider = Varchar(length=20, default="sandbox")
    provider_reference = Varchar(length=255, default="", index=True)
    payment_method = Varchar(length=255, default="")  # opaque token given to the provider (resent on recovery)
    return_url = Varchar(length=1000, default="")  # where the issuer's challenge sends the driver back to
    challenge_url = Varchar(length=1000, default="")
    card_last4 = Varchar(length=4, default="")
    card_brand = Varchar(length=20, default="")
    email = Varchar(length=255, default="")
    language = Varchar(length=5, default="de")
    failure = Varchar(length=255, default="")  # why it was declined / did not start (a code, shown translated)
    # the receipt page's address /pay/receipt/{receipt_token}: random, unguessable, not the uid (which is shown)
    receipt_token = Varchar(length=64, default="", index=True)
    created_at = Timestamptz(default=TimestamptzNow())


class PaymentEvent(Table):
    """Append-only: every state change and provider call of a payment, with the provider's answer in short."""

    id: Serial
    payment = ForeignKey(references=Payment, on_delete=OnDelete.cascade, index=True)
    at = Timestamptz(default=TimestamptzNow())
    from_state = Varchar(length=20, default="")
    to_state = Varchar(length=20, default="")
    step = Varchar(length=20, default="")  # core.payments.provider.Step or a session step (start, stop, ...)
    idempotency_key = Varchar(length=100, default="")
    summary = JSON(default={})


class SandboxIntent(Table):
    """The sandbox provider's view of one payment (like a Stripe PaymentIntent), kept across restarts."""

    id: Serial
    reference = Varchar(length=40, unique=True, index=True)
    status = Varchar(length=20)  # authorised | requires_action | pending | declined | captured | released
    currency = Varchar(length=3)
    amount = Integer()  # minor units held
    amount_captured = Integer(default=0)
    amount_refunded = Integer(default=0)
    card_last4 = Varchar(length=4, default="")
    card_brand = Varchar(length=20, default="")
    created_at = Timestamptz(default=TimestamptzNow())


class SandboxCall(Table):
    """Each idempotency key the sandbox answered, with its answer: a repeated key gets the same answer."""

    id: Serial
    idempotency_key = Varchar(length=100, unique=True)
    operation = Varchar(length=20, index=True)  # authorise | capture | release | refund
    reference = Varchar(length=40, default="", index=True)
    response = JSON(default={})
    created_at = Timestamptz(default=TimestamptzNow())


class PaymentTerminal(Table):
    """A card terminal at a site (like the vaylensPay iM30) that takes the payment and has csms start a charge point
    of one of its stations (core.payments.terminals)."""

    id: Serial
    tenant = ForeignKey(references=Tenant, on_delete=OnDelete.cascade, index=True)
    serial_number = Varchar(length=64, default="")
    model = Varchar(length=64, default="vaylensPay iM30")
    name = Varchar(length=255, default="")
    notes = Varchar(length=500, default="")  # where it stands, how it is mounted
    active = Boolean(default=True)
    # the idTags of its payments are TRM + this code + a per-payment part (core.payments.terminals.id_tag_for)
    tag_code = Varchar(length=6, unique=True, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class TerminalStation(Table):
    """A station a terminal serves (at most core.payments.terminals.MAX_STATIONS per terminal)."""

    id: Serial
    terminal = ForeignKey(references=PaymentTerminal, on_delete=OnDelete.cascade, index=True)
    station = ForeignKey(references=ChargingStation, on_delete=OnDelete.cascade, index=True)
