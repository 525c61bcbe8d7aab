"""Roaming tables: partners and their connection, contract groups, station roaming settings."""

from __future__ import annotations

from piccolo.columns import Boolean, ForeignKey, OnDelete, Serial, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from core.infrastructure.tables import ChargingStation
from core.tenancy import audit
from core.tenancy.tables import Tenant

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
    direct_payment = Boolean(default=False)
    platform_name = Varchar(length=100, default="")
    hub_authorised = Boolean(default=False)
    last_updated = Timestamptz(default=TimestamptzNow(), index=True)


class StationContractGroup(Table):
    """A contract group enabled on a station (its "Roaming" tab)."""

    id: Serial
    station = ForeignKey(references=ChargingStation, on_delete=OnDelete.cascade, index=True)
    group = ForeignKey(references=ContractGroup, on_delete=OnDelete.cascade, index=True)


audit.show_name(ContractGroup.name, "contract_group", "contract_group_id")
