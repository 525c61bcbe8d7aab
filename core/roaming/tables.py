"""Roaming tables: partners and their connection, contract groups, station roaming settings."""

from __future__ import annotations

from piccolo.columns import JSON, Boolean, ForeignKey, Integer, OnDelete, Serial, SmallInt, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from core.infrastructure.tables import ChargingStation
from core.tenancy import audit
from core.tenancy.tables import Tenant


class Partner(Table):
    """An OCPI party with its own connection to csms's hub node: an EMP tenant of csms (``kind`` EMP, owned by that
    tenant) or an external roaming platform (``kind`` PLATFORM, owned by the installation's HUB tenant).

    Tokens csms only checks (token A, and the token the partner sends us) are kept as SHA-256 hashes; the token csms
    sends the partner must be kept as it is."""

    id: Serial
    tenant = ForeignKey(references=Tenant, on_delete=OnDelete.cascade, index=True)  # who manages the connection
    kind = Varchar(length=10, default="EMP")  # core.roaming.partners.PartnerKind
    name = Varchar(length=200)
    state = Varchar(length=12, default="NEW")  # core.roaming.partners.PartnerState
    token_a_hash = Varchar(length=64, null=True, default=None, unique=True)  # dies with the registration
    incoming_token_hash = Varchar(length=64, null=True, default=None, unique=True)  # token B or C they send us
    # csms's offer of a new token during its own POST or PUT: the partner may call back with it before it answers.
    pending_token_hash = Varchar(length=64, null=True, default=None, unique=True)
    outgoing_token = Varchar(length=64, default="")  # what csms sends them
    tokens_unencoded = Boolean(default=False)  # 2.1.1-era peers: the token as it is, not Base64
    versions_url = Varchar(length=500, default="")
    version = Varchar(length=10, default="")
    endpoints = JSON(default=[])  # [{"identifier", "role", "url"}] from their version details
    roles = JSON(default=[])  # [{"role", "country_code", "party_id", "name"}] from their credentials
    client_status = Varchar(length=12, default="")  # hubclientinfo ConnectionStatus they reported of themselves
    registered_at = Timestamptz(null=True, default=None)
    last_pull_at = Timestamptz(null=True, default=None)  # their last successful request to csms
    last_push_at = Timestamptz(null=True, default=None)  # csms's last successful request to them
    # The periodic health check (core.roaming.health): csms GETs their versions; None: not checked yet.
    health_ok = Boolean(null=True, default=None)
    health_checked_at = Timestamptz(null=True, default=None)
    health_error = Varchar(length=300, default="")
    created_at = Timestamptz(default=TimestamptzNow())


class PartnerClientInfo(Table):
    """A ClientInfo object a partner (a hub) pushed to csms: the connection state of a party behind it."""

    id: Serial
    partner = ForeignKey(references=Partner, on_delete=OnDelete.cascade, index=True)
    country_code = Varchar(length=2)
    party_id = Varchar(length=3)
    role = Varchar(length=10)
    status = Varchar(length=12)
    last_updated = Timestamptz(default=TimestamptzNow())


class OcpiExchange(Table):
    """One OCPI request and its response, in either direction, for the partner's log page. Payloads are dropped
    after a retention period (core.roaming.exchange_log.prune); the row itself stays as long as the partner."""

    id: Serial
    tenant = ForeignKey(references=Tenant, on_delete=OnDelete.cascade, index=True)
    partner = ForeignKey(references=Partner, on_delete=OnDelete.cascade, index=True)
    direction = Varchar(length=3)  # "in": the partner called csms; "out": csms called the partner
    method = Varchar(length=7)
    url = Varchar(length=1000)
    module = Varchar(length=20, default="")
    http_status = SmallInt(default=0)  # 0: no answer (timeout, refused)
    ocpi_status = Integer(null=True, default=None)
    duration_ms = Integer(default=0)
    request_id = Varchar(length=64, default="")
    correlation_id = Varchar(length=64, default="")
    request_body = Text(default="")
    response_body = Text(default="")
    error = Varchar(length=300, default="")
    created_at = Timestamptz(default=TimestamptzNow(), index=True)


# --- contract groups, the roaming hub switch and the stations' marketing (issue 13, "who sees what") ----------


class RoamingSettings(Table):
    """A CPO tenant's roaming switches ("Roaming-Hub aktiviert"); a tenant without a row has the hub off."""

    id: Serial
    tenant = ForeignKey(references=Tenant, on_delete=OnDelete.cascade, unique=True, index=True)
    hub_enabled = Boolean(default=False)
    updated_at = Timestamptz(default=TimestamptzNow())


class ContractGroup(Table):
    """A Vertragsgruppe (CPO): the EMP tenants a CPO allows in general (seed 000)."""

    id: Serial
    tenant = ForeignKey(references=Tenant, on_delete=OnDelete.cascade, index=True)
    name = Varchar(length=120)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class ContractGroupMember(Table):
    id: Serial
    group = ForeignKey(references=ContractGroup, on_delete=OnDelete.cascade, index=True)
    emp_tenant = ForeignKey(references=Tenant, on_delete=OnDelete.cascade, index=True)


class StationRoaming(Table):
    """A station's marketing switches ("Zugang" tab) and its roaming hub settings ("Roaming" tab).

    ``last_updated`` rises on every change of what partners may see of the station, including changes of its
    contract groups and of the tenant's hub switch, so that an OCPI GET with ``date_from`` and the pushes find
    the stations whose visibility changed (core.roaming.visibility).
    """

    id: Serial
    tenant = ForeignKey(references=Tenant, on_delete=OnDelete.cascade, index=True)
    station = ForeignKey(references=ChargingStation, on_delete=OnDelete.cascade, unique=True, index=True)
    marketing = Boolean(default=False)
    roaming = Boolean(default=False)
    roaming_plus = Boolean(default=False)
    platform_name = Varchar(length=100, default="")
    hub_authorised = Boolean(default=False)
    last_updated = Timestamptz(default=TimestamptzNow(), index=True)


class StationContractGroup(Table):
    """A contract group enabled on a station (its "Roaming" tab)."""

    id: Serial
    station = ForeignKey(references=ChargingStation, on_delete=OnDelete.cascade, index=True)
    group = ForeignKey(references=ContractGroup, on_delete=OnDelete.cascade, index=True)


audit.show_name(ContractGroup.name, "contract_group", "contract_group_id", "contract_group_ids")
audit.show_name(Tenant.name, "emp_tenant_ids")


# --- pushes to partners (core.roaming.pushes) ---------------------------------------------------------------------


class PushState(Table):
    """One partner's pushes: how far they got (``watermark``), who runs them now (``lease_*``, several worker
    processes) and whether they rest after failures (``paused_until``)."""

    id: Serial
    partner = ForeignKey(references=Partner, on_delete=OnDelete.cascade, unique=True, index=True)
    watermark = Timestamptz(null=True, default=None)  # None: nothing sent yet, the next run sends everything
    # {location id: its last_updated} handled by the last run within the look-back window: not handled twice.
    window = JSON(default={})
    resend = Boolean(default=False)  # "send everything again": the next run forgets what was sent (under the lease)
    queued_until = Timestamptz(null=True, default=None)  # a job is enqueued; no other until it ran or this passed
    lease_token = Varchar(length=32, default="")
    lease_until = Timestamptz(null=True, default=None)
    paused_until = Timestamptz(null=True, default=None)  # the circuit: consecutive failures rest the partner
    last_run_at = Timestamptz(null=True, default=None)
    last_error = Varchar(length=300, default="")
    last_error_at = Timestamptz(null=True, default=None)


class PushedObject(Table):
    """What csms last sent a partner of one object (a location's own fields, an EVSE, a tariff), as a digest: the
    next push compares the current state with it and sends only what changed. An EVSE's status is kept apart so
    that a status change is a small PATCH."""

    id: Serial
    partner = ForeignKey(references=Partner, on_delete=OnDelete.cascade, index=True)
    key = Varchar(length=160)  # hub.pushes: "L|E|T/<country>/<party>/<id>[/<evse uid>]"
    location_id = Integer(null=True, default=None, index=True)
    digest = Varchar(length=64)
    status = Varchar(length=12, default="")
    sent_at = Timestamptz(default=TimestamptzNow())


# --- partners' tokens (issue 14, OCPI mod_tokens, CPO receiver) ------------------------------------------------


class PartnerToken(Table):
    """A Token a partner pushed to csms (OCPI Token object), kept per partner: the EMP's card, app or ad-hoc id
    that its drivers charge with at the CPO tenants' stations that allow that partner."""

    id: Serial
    partner = ForeignKey(references=Partner, on_delete=OnDelete.cascade, index=True)
    # "{partner}|{country_code}|{party_id}|{type}|{UID}": one row per token and partner (uid is a CiString)
    key = Varchar(length=80, unique=True)
    uid_key = Varchar(length=36, index=True)  # the uid upper-cased: what an OCPP id tag is looked up by
    country_code = Varchar(length=2)
    party_id = Varchar(length=3)
    uid = Varchar(length=36)
    type = Varchar(length=12, default="RFID")  # OCPI TokenType
    contract_id = Varchar(length=36)
    visual_number = Varchar(length=64, default="")
    issuer = Varchar(length=64)
    group_id = Varchar(length=36, default="")
    valid = Boolean(default=True)
    whitelist = Varchar(length=16)  # OCPI WhitelistType
    language = Varchar(length=2, default="")
    default_profile_type = Varchar(length=10, default="")  # OCPI ProfileType
    energy_contract = JSON(null=True, default=None)
    last_updated = Timestamptz(index=True)  # the EMP's, as sent
    received_at = Timestamptz(default=TimestamptzNow())


# --- partners' reservations (issue 14, OCPI mod_commands RESERVE_NOW, CPO receiver) ----------------------------------


class PartnerReservation(Table):
    """A reservation a partner made with RESERVE_NOW: its ``reservation_id`` and the OCPP ``reservationId`` the
    station knows it by (the ReserveNow command record's id), so that CANCEL_RESERVATION and a repeated RESERVE_NOW
    reach the same reservation at the station."""

    id: Serial
    partner = ForeignKey(references=Partner, on_delete=OnDelete.cascade, index=True)
    key = Varchar(length=50, unique=True)  # "{partner}|{reservation_id}"
    reservation_id = Varchar(length=36)  # the partner's
    ocpp_reservation_id = Integer()
    station = ForeignKey(references=ChargingStation, on_delete=OnDelete.cascade, index=True)
    evse_number = Integer(default=0)  # OCPP connectorId reserved
    token = JSON(default={})  # CdrToken of the command's Token
    expiry_date = Timestamptz()
    created_at = Timestamptz(default=TimestamptzNow())


# --- session pushes to the partner whose token charges (core.roaming.session_push) ----------------------------------


class SessionPushState(Table):
    """One partner's session pushes: how far they got (``watermark``), who runs them now (``lease_*``), whether they
    rest after failures (``paused_until``), and what the partner page shows (requests taken and given up)."""

    id: Serial
    partner = ForeignKey(references=Partner, on_delete=OnDelete.cascade, unique=True, index=True)
    watermark = Timestamptz(null=True, default=None)  # sessions changed before this (minus a lag) were handled
    queued_until = Timestamptz(null=True, default=None)
    lease_token = Varchar(length=32, default="")
    lease_until = Timestamptz(null=True, default=None)
    paused_until = Timestamptz(null=True, default=None)
    sent = Integer(default=0)  # PUTs and PATCHes the partner took
    failed = Integer(default=0)  # given up after the brief retries (never sent later)
    last_sent_at = Timestamptz(null=True, default=None)
    last_error = Varchar(length=300, default="")
    last_error_at = Timestamptz(null=True, default=None)


class SessionPush(Table):
    """What the partner was last sent of one session: the OCPI Session it took (``sent``, the base of the next PATCH's
    difference), when csms last tried (the rate per session), a change held back until ``due_at`` (coalesced: the run
    then sends the state as it is by then), and ``final`` once the end was sent or given up (nothing follows)."""

    id: Serial
    partner = ForeignKey(references=Partner, on_delete=OnDelete.cascade, index=True)
    session_id = Integer(unique=True, index=True)  # core.charging.tables.ChargingSession (one partner per session)
    sent = JSON(null=True, default=None)  # None: the partner took nothing of it yet (the next request is a PUT)
    attempted_at = Timestamptz(null=True, default=None)
    due_at = Timestamptz(null=True, default=None, index=True)
    final = Boolean(default=False)
