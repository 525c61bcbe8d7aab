"""Tables of tenancy: tenants, staff users and their portal sessions, user groups, API keys, logins and failed
key checks, preferences, the audit trail.

Every row that belongs to a CPO or EMP carries ``tenant`` so that isolation is one filter.
"""

from __future__ import annotations

from decimal import Decimal

from piccolo.columns import (
    JSON,
    Boolean,
    ForeignKey,
    Integer,
    Numeric,
    OnDelete,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Tenant(Table):
    """A Mandant: a CPO, an EMP or a reseller with its sub-CPOs."""

    id: Serial  # Piccolo's implicit primary key, declared for type checkers
    slug = Varchar(length=40, unique=True, index=True)
    name = Varchar(length=200)
    kind = Varchar(length=10, default="CPO")  # core.tenancy.tenants.TenantKind
    country_code = Varchar(length=2, default="DE")  # ISO 3166-1 alpha-2, as in OCPI credentials
    party_id = Varchar(length=3, default="")  # OCPI party id, also the EVSE-ID operator id
    currency = Varchar(length=3, default="EUR")
    vat_rate = Numeric(digits=(5, 2), default=Decimal("19.00"))
    parent: ForeignKey = ForeignKey(references="self", null=True, on_delete=OnDelete.restrict)
    language = Varchar(length=5, default="")  # empty: derived from country
    allow_unknown_stations = Boolean(default=False)
    # Company data (Unternehmensdaten, core.tenancy.company): what receipts print as the issuer; empty until entered.
    legal_name = Varchar(length=200, default="")
    street = Varchar(length=200, default="")
    postal_code = Varchar(length=10, default="")
    city = Varchar(length=100, default="")
    address_country = Varchar(length=2, default="")  # ISO 3166-1 alpha-2
    vat_id = Varchar(length=20, default="")  # USt-IdNr.
    commercial_register = Varchar(length=120, default="")  # e.g. Amtsgericht Köln HRB 12345
    support_email = Varchar(length=254, default="")
    hotline = Varchar(length=40, default="")
    # Direct Payment (core.payments.direct_settings): what is held on a driver's card before the start, and how
    # long a station that accepted the remote start has to send its StartTransaction.
    hold_amount = Numeric(digits=(8, 2), default=Decimal("50.00"))
    start_confirm_seconds = Integer(default=90)
    # Billing (core.billing): the platform's customer number of the tenant, and for a reseller how its sub-CPOs are
    # billed (seed 003): RESELLER (it bills them itself) or AFFILIATE (the platform bills them, it earns commission).
    debtor_number = Varchar(length=20, default="")
    reseller_model = Varchar(length=10, default="RESELLER")  # core.tenancy.tenants.ResellerModel
    created_at = Timestamptz(default=TimestamptzNow())


class StaffUser(Table):
    """A person of a tenant who logs into the portal."""

    id: Serial
    tenant = ForeignKey(references=Tenant, on_delete=OnDelete.cascade, index=True)
    email = Varchar(length=254, unique=True, index=True)
    name = Varchar(length=200, default="")
    password_hash = Varchar(length=200)
    is_admin = Boolean(default=False)
    active = Boolean(default=True)
    language = Varchar(length=5, default="")
    last_login_at = Timestamptz(null=True, default=None)
    # Failed logins before this no longer slow the account down (core.tenancy.logins).
    password_changed_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class StaffInvitation(Table):
    """A set-password link mailed to a new staff user (core.tenancy.invitations): only the SHA-256 of its random
    token is stored; single use (``used_at``), valid until ``expires_at``."""

    id: Serial
    user = ForeignKey(references=StaffUser, on_delete=OnDelete.cascade, index=True)
    token_hash = Varchar(length=64, unique=True)
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class StaffSession(Table):
    """A portal login. The session cookie carries a random id; only its SHA-256 is stored here, so that deleting
    the row ends the session on every node (core.tenancy.staff_sessions)."""

    id: Serial
    user = ForeignKey(references=StaffUser, on_delete=OnDelete.cascade, index=True)
    token_hash = Varchar(length=64, unique=True)
    remote_addr = Varchar(length=64, default="")
    user_agent = Varchar(length=400, default="")
    created_at = Timestamptz(default=TimestamptzNow())
    last_seen_at = Timestamptz(default=TimestamptzNow(), index=True)


class UserGroup(Table):
    """A Benutzergruppe with permission switches (codes from core.tenancy.permissions)."""

    id: Serial
    tenant = ForeignKey(references=Tenant, on_delete=OnDelete.cascade, index=True)
    name = Varchar(length=120)
    description = Text(default="")
    permissions = JSON(default=[])
    created_at = Timestamptz(default=TimestamptzNow())


class UserGroupMember(Table):
    id: Serial
    group = ForeignKey(references=UserGroup, on_delete=OnDelete.cascade, index=True)
    user = ForeignKey(references=StaffUser, on_delete=OnDelete.cascade, index=True)


class ApiKey(Table):
    """A bearer key for the REST API; only a SHA-256 of the key is stored."""

    id: Serial
    tenant = ForeignKey(references=Tenant, on_delete=OnDelete.cascade, index=True)
    name = Varchar(length=120, default="")
    prefix = Varchar(length=16)
    key_hash = Varchar(length=64, unique=True, index=True)
    # Permission codes the key grants (core.tenancy.permissions); NULL: every permission (keys from before key scopes).
    permissions = JSON(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    last_used_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)


class LoginAttempt(Table):
    """Failed and successful logins, for throttling per account and per address across nodes."""

    id: Serial
    email = Varchar(length=254, index=True)
    remote_addr = Varchar(length=64, default="", index=True)
    # A hash of the browser's device cookie when it proved an earlier login of this account, else empty.
    device = Varchar(length=64, default="")
    succeeded = Boolean(default=False)
    created_at = Timestamptz(default=TimestamptzNow(), index=True)


class ApiKeyFailure(Table):
    """A REST API call with an unknown or revoked key, for throttling its address across nodes."""

    id: Serial
    remote_addr = Varchar(length=64, default="", index=True)
    prefix = Varchar(length=16, default="")  # what the key began with, for the operator's log reading
    created_at = Timestamptz(default=TimestamptzNow(), index=True)


class UserPreference(Table):
    """Remembered per user: overview filters, columns, sort."""

    id: Serial
    user = ForeignKey(references=StaffUser, on_delete=OnDelete.cascade, index=True)
    key = Varchar(length=80)
    value = JSON(default={})


class AuditEntry(Table):
    """Who changed what on which entity, shown where the entity is shown."""

    id: Serial
    tenant = ForeignKey(references=Tenant, on_delete=OnDelete.cascade, index=True)
    actor = ForeignKey(references=StaffUser, null=True, on_delete=OnDelete.set_null)
    actor_label = Varchar(length=254, default="")
    entity_type = Varchar(length=40, index=True)
    entity_id = Integer(index=True)
    action = Varchar(length=40)
    changes = JSON(default={})
    created_at = Timestamptz(default=TimestamptzNow(), index=True)
