"""Tables of community charging: the community (on a driver group), its members, their cards, the magic links and
driver sessions of the driver page, and the monthly statements and credit notes.

Rules in core.community.communities, .links and .statements; month arithmetic in core.community.months.
"""

from __future__ import annotations

from piccolo.columns import JSON, BigInt, ForeignKey, Integer, OnDelete, Serial, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from core.access.tables import ChargingCard, DriverGroup
from core.tenancy.tables import Tenant


class Community(Table):
    """Community charging on a driver group: the group holds the name, the tariff (billed) and the cards; the
    community adds the invited drivers, their driver page and the monthly statements."""

    id: Serial
    tenant = ForeignKey(references=Tenant, on_delete=OnDelete.cascade, index=True)
    driver_group = ForeignKey(references=DriverGroup, on_delete=OnDelete.restrict, unique=True, index=True)
    time_zone = Varchar(length=64, default="Europe/Berlin")  # months of statements begin at local midnight
    created_at = Timestamptz(default=TimestamptzNow())


class CommunityMember(Table):
    """An invited driver: status INVITED until the first link is opened, then ACTIVE; REMOVED keeps the history."""

    id: Serial
    tenant = ForeignKey(references=Tenant, on_delete=OnDelete.cascade, index=True)
    community = ForeignKey(references=Community, on_delete=OnDelete.cascade, index=True)
    name = Varchar(length=120, default="")
    email = Varchar(length=254, index=True)  # lower case
    language = Varchar(length=5, default="de")
    status = Varchar(length=10, default="INVITED")  # core.community.communities.MemberStatus
    invited_at = Timestamptz(default=TimestamptzNow())
    activated_at = Timestamptz(null=True, default=None)
    removed_at = Timestamptz(null=True, default=None)


class MemberCard(Table):
    """A charging card of a member (a card belongs to at most one member)."""

    id: Serial
    member = ForeignKey(references=CommunityMember, on_delete=OnDelete.cascade, index=True)
    card = ForeignKey(references=ChargingCard, on_delete=OnDelete.cascade, unique=True)
    created_at = Timestamptz(default=TimestamptzNow())


class DriverLink(Table):
    """A magic link: single-use, expiring, only the SHA-256 of its token stored."""

    id: Serial
    member = ForeignKey(references=CommunityMember, on_delete=OnDelete.cascade, index=True)
    token_hash = Varchar(length=64, unique=True)
    purpose = Varchar(length=10)  # core.community.links.LinkPurpose
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class DriverSession(Table):
    """A driver's browser session on the driver page (cookie ``csms_driver``), separate from staff sessions and
    revocable on the server."""

    id: Serial
    member = ForeignKey(references=CommunityMember, on_delete=OnDelete.cascade, index=True)
    token_hash = Varchar(length=64, unique=True)
    expires_at = Timestamptz()
    revoked_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class CommunityStatement(Table):
    """A member's statement of one month: its sessions priced by the community tariff, amounts in cents."""

    id: Serial
    tenant = ForeignKey(references=Tenant, on_delete=OnDelete.cascade, index=True)
    community = ForeignKey(references=Community, on_delete=OnDelete.cascade, index=True)
    member = ForeignKey(references=CommunityMember, on_delete=OnDelete.cascade, index=True)
    period = Varchar(length=7)  # YYYY-MM, local months of the community
    number = Varchar(length=40, unique=True)
    currency = Varchar(length=3, default="EUR")
    session_count = Integer(default=0)
    energy_wh = BigInt(default=0)
    net_cents = BigInt(default=0)
    vat_cents = BigInt(default=0)
    gross_cents = BigInt(default=0)
    lines = JSON(default=[])  # core.community.months.StatementLine.to_json() items
    vat = JSON(default=[])  # per VAT rate: rate, net_cents, vat_cents, gross_cents
    created_at = Timestamptz(default=TimestamptzNow())


class CommunityCreditNote(Table):
    """The CPO's credit note of one month of a community: the sum of its members' statements."""

    id: Serial
    tenant = ForeignKey(references=Tenant, on_delete=OnDelete.cascade, index=True)
    community = ForeignKey(references=Community, on_delete=OnDelete.cascade, index=True)
    period = Varchar(length=7)
    number = Varchar(length=40, unique=True)
    currency = Varchar(length=3, default="EUR")
    statement_count = Integer(default=0)
    session_count = Integer(default=0)
    energy_wh = BigInt(default=0)
    net_cents = BigInt(default=0)
    vat_cents = BigInt(default=0)
    gross_cents = BigInt(default=0)
    vat = JSON(default=[])
    created_at = Timestamptz(default=TimestamptzNow())
