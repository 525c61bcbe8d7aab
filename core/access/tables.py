"""Tables of access: charging cards (Ladekarten) and driver groups (Nutzergruppen) with their scope.

Rules in core.access.cards and core.access.driver_groups.
"""

from __future__ import annotations

from typing import Any

from piccolo.columns import ForeignKey, OnDelete, Serial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from core.infrastructure.tables import Location
from core.tariffs.tables import Tariff
from core.tenancy import audit
from core.tenancy.tables import Tenant


class DriverGroup(Table):
    """A Nutzergruppe of a tenant: its kind, an optional tariff (documentation only or billed) and its scope."""

    id: Serial
    tenant = ForeignKey(references=Tenant, on_delete=OnDelete.cascade, index=True)
    name = Varchar(length=120)
    kind = Varchar(length=20)  # core.access.driver_groups.GroupKind
    tariff = ForeignKey(references=Tariff, on_delete=OnDelete.restrict, null=True, default=None)
    tariff_mode = Varchar(length=10, default="")  # core.access.driver_groups.TariffMode; "" without a tariff
    scope = Varchar(length=10, default="ALL")  # core.access.driver_groups.Scope: ALL infrastructure or chosen targets
    archived_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class DriverGroupScope(Table):
    """One place a driver group with scope ``CHOSEN`` may charge.

    Today a target is a location; charge groups (Ladegruppen) get their own nullable column next to it, so a
    row names exactly one target and the check in core.access.driver_groups asks "is the charge point in any target".
    """

    id: Serial
    driver_group = ForeignKey(references=DriverGroup, on_delete=OnDelete.cascade, index=True)
    location = ForeignKey(references=Location, on_delete=OnDelete.cascade, null=True, default=None, index=True)
    created_at = Timestamptz(default=TimestamptzNow())


class ChargingCard(Table):
    """A Ladekarte: an RFID id tag of a tenant (OCPI Token of type RFID)."""

    id: Serial
    tenant = ForeignKey(references=Tenant, on_delete=OnDelete.cascade, index=True)
    uid = Varchar(length=20, index=True)  # OCPP idTag, normalised uppercase hex
    label = Varchar(length=120, default="")
    visual_number = Varchar(length=64, default="")
    status = Varchar(length=10, default="ACTIVE")  # core.access.cards.CardStatus
    valid_until = Timestamptz(null=True, default=None)
    owner_note = Text(default="")
    driver_group: ForeignKey[Any] = ForeignKey(  # a Nutzergruppe (core.access.driver_groups)
        references=DriverGroup, on_delete=OnDelete.set_null, null=True, default=None, index=True
    )
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


audit.show_name(DriverGroup.name, "driver_group")
