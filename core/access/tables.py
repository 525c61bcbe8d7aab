"""Driver groups (Nutzergruppen): on what terms a set of cards charges, and where (rules in core.driver_groups)."""

from __future__ import annotations

from piccolo.columns import ForeignKey, OnDelete, Serial, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from core.tables import Location, Tenant
from core.tables_tariffs import Tariff


class DriverGroup(Table):
    """A Nutzergruppe of a tenant: its kind, an optional tariff (documentation only or billed) and its scope."""

    id: Serial
    tenant = ForeignKey(references=Tenant, on_delete=OnDelete.cascade, index=True)
    name = Varchar(length=120)
    kind = Varchar(length=20)  # core.driver_groups.GroupKind
    tariff = ForeignKey(references=Tariff, on_delete=OnDelete.restrict, null=True, default=None)
    tariff_mode = Varchar(length=10, default="")  # core.driver_groups.TariffMode; "" without a tariff
    scope = Varchar(length=10, default="ALL")  # core.driver_groups.Scope: ALL infrastructure or chosen targets
    archived_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class DriverGroupScope(Table):
    """One place a driver group with scope ``CHOSEN`` may charge.

    Today a target is a location; charge groups (Ladegruppen) get their own nullable column next to it, so a
    row names exactly one target and the check in core.driver_groups asks "is the charge point in any target".
    """

    id: Serial
    driver_group = ForeignKey(references=DriverGroup, on_delete=OnDelete.cascade, index=True)
    location = ForeignKey(references=Location, on_delete=OnDelete.cascade, null=True, default=None, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
