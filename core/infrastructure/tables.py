"""Tables of infrastructure: locations, charging stations, charge points (EVSEs), connectors, charge groups and
bulk import jobs.

Names follow ../shared/docs/domain.md and OCPI 2.2.1 where OCPI has a name for the idea.
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

from core.tenancy import audit
from core.tenancy.tables import StaffUser, Tenant


class Location(Table):
    """A Standort (OCPI Location)."""

    id: Serial
    tenant = ForeignKey(references=Tenant, on_delete=OnDelete.cascade, index=True)
    name = Varchar(length=255)
    address = Varchar(length=45)
    postal_code = Varchar(length=10, default="", index=True)
    city = Varchar(length=45, index=True)
    state = Varchar(length=20, default="")
    country = Varchar(length=3, default="DEU", index=True)  # ISO 3166-1 alpha-3, as in OCPI
    latitude = Numeric(digits=(10, 7), null=True, default=None)
    longitude = Numeric(digits=(10, 7), null=True, default=None)
    time_zone = Varchar(length=64, default="Europe/Berlin")
    twentyfourseven = Boolean(default=True)
    opening_hours = JSON(default=[])  # OCPI RegularHours: [{"weekday", "period_begin", "period_end"}]
    parking_type = Varchar(length=30, default="")  # OCPI ParkingType
    parking_restrictions = JSON(default=[])  # OCPI ParkingRestriction values
    directions = Text(default="")
    hotline = Varchar(length=40, default="")
    operator_name = Varchar(length=100, default="")
    operator_website = Varchar(length=255, default="")
    operator_email = Varchar(length=254, default="")
    publish = Boolean(default=True)
    decommissioned_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    # OCPI's Location.last_updated: raised by every change of the location, its stations, charge points (status and
    # connection included), connectors, tariff assignments and roaming settings (core.infrastructure.changes). The
    # OCPI lists page by it and the pushes find what changed by it: index (last_updated, id), made by a migration,
    # the lists' order.
    last_updated = Timestamptz(default=TimestamptzNow())


class ChargingStation(Table):
    """A Ladestation: the OCPP device, identified by its charge box id."""

    id: Serial
    tenant = ForeignKey(references=Tenant, on_delete=OnDelete.cascade, index=True)
    location = ForeignKey(references=Location, on_delete=OnDelete.restrict, index=True)
    charge_box_id = Varchar(length=64, unique=True, index=True)
    name = Varchar(length=120, default="")
    vendor = Varchar(length=50, default="", index=True)
    model = Varchar(length=50, default="", index=True)
    serial_number = Varchar(length=50, default="")
    firmware_version = Varchar(length=50, default="", index=True)
    ocpp_version = Varchar(length=10, default="1.6", index=True)
    ocpp_password_hash = Varchar(length=200, default="")
    technician_name = Varchar(length=120, default="")
    technician_phone = Varchar(length=40, default="")
    technician_email = Varchar(length=254, default="")
    installation_status = Varchar(length=20, default="PLANNED")  # core.infrastructure.specs.InstallationStatus
    installation_date = Timestamptz(null=True, default=None)
    access_type = Varchar(length=20, default="PUBLIC_PAID")  # core.infrastructure.specs.AccessType
    show_as_poi = Boolean(default=True)
    products = JSON(default=[])
    attributes = JSON(default={})
    connected = Boolean(default=False)
    # The csms serve node (CSMS_NODE_ID) that set `connected`: a node that goes away takes only its own flags.
    connected_node = Varchar(length=64, default="")
    last_heartbeat_at = Timestamptz(null=True, default=None)
    last_message_at = Timestamptz(null=True, default=None)
    # The station's own status (StatusNotification for connector 0), as an OCPI EvseStatus and as sent; it decides
    # with each charge point's status what a charge point really is (core.infrastructure.evse_status).
    status = Varchar(length=20, default="UNKNOWN")
    status_detail = Varchar(length=30, default="")
    error_code = Varchar(length=50, default="")
    status_updated_at = Timestamptz(null=True, default=None)
    boot_info = JSON(default={})  # last BootNotification: iccid, imsi, meter type/serial, ...
    firmware_status = Varchar(length=30, default="")  # last FirmwareStatusNotification
    diagnostics_status = Varchar(length=30, default="")  # last DiagnosticsStatusNotification
    # Eichrecht: the meter's public key (upper-case hex of the DER SubjectPublicKeyInfo, core.eichrecht.ocmf) that its
    # signed readings (OCMF) are verified with; "" until the CPO enters it from the station's label.
    meter_public_key = Text(default="")
    decommissioned_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class ChargePoint(Table):
    """A Ladepunkt: OCPI EVSE, OCPP 1.6 connectorId, OCPP 2.0.1 evseId.

    Status and power fields are kept here as well as on connectors so that the
    advanced overview filters 100,000 rows without aggregating connectors.
    """

    id: Serial
    tenant = ForeignKey(references=Tenant, on_delete=OnDelete.cascade, index=True)
    station = ForeignKey(references=ChargingStation, on_delete=OnDelete.cascade, index=True)
    evse_number = Integer(default=1)  # OCPP connectorId (1.6) / evseId (2.0.1) on the station
    evse_id = Varchar(length=48, null=True, default=None, unique=True, index=True)
    physical_reference = Varchar(length=16, default="")
    floor_level = Varchar(length=4, default="")
    status = Varchar(length=20, default="UNKNOWN", index=True)  # OCPI EvseStatus
    status_detail = Varchar(length=30, default="")  # the station's own status, e.g. SuspendedEV
    error_code = Varchar(length=50, default="")
    status_updated_at = Timestamptz(null=True, default=None)
    error_rate = Numeric(digits=(5, 2), default=Decimal("0"), index=True)  # % failed sessions, 30 days
    auth_local_rfid = Boolean(default=True)
    auth_remote = Boolean(default=True)
    auth_direct_payment = Boolean(default=False)
    # Eichrecht (German calibration law): the meter signs its readings (OCMF) and the charge point is approved.
    eichrecht_compliant = Boolean(default=False)
    power_type = Varchar(length=12, default="AC_3_PHASE", index=True)  # OCPI PowerType
    max_power_kw = Numeric(digits=(8, 2), default=Decimal("22"))
    # The grid phase a single-phase charge point is wired to (L1, L2, L3); "": not known, so load management
    # reserves its current on every phase.
    grid_phase = Varchar(length=2, default="")
    connector_standards = Varchar(length=200, default="", index=True)  # "|"-joined, kept by core
    decommissioned_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class Connector(Table):
    """A plug or socket of a charge point (OCPI Connector)."""

    id: Serial
    tenant = ForeignKey(references=Tenant, on_delete=OnDelete.cascade, index=True)
    charge_point = ForeignKey(references=ChargePoint, on_delete=OnDelete.cascade, index=True)
    connector_number = Integer(default=1)
    standard = Varchar(length=40, default="IEC_62196_T2")  # OCPI ConnectorType
    format = Varchar(length=10, default="SOCKET")  # OCPI ConnectorFormat
    power_type = Varchar(length=12, default="AC_3_PHASE")  # OCPI PowerType
    max_voltage = Integer(default=400)
    max_amperage = Integer(default=32)
    max_electric_power = Integer(default=22000)  # watts
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class ChargeGroup(Table):
    """A Ladegruppe: charge points that share access rules and notifications."""

    id: Serial
    tenant = ForeignKey(references=Tenant, on_delete=OnDelete.cascade, index=True)
    name = Varchar(length=120)
    access_control = Boolean(default=False)
    created_at = Timestamptz(default=TimestamptzNow())


class ChargeGroupMember(Table):
    id: Serial
    group = ForeignKey(references=ChargeGroup, on_delete=OnDelete.cascade, index=True)
    charge_point = ForeignKey(references=ChargePoint, on_delete=OnDelete.cascade, index=True)


class ImportJob(Table):
    """One uploaded file: its text is kept so that a background job can import it later."""

    id: Serial
    tenant = ForeignKey(references=Tenant, on_delete=OnDelete.cascade, index=True)
    user = ForeignKey(references=StaffUser, null=True, on_delete=OnDelete.set_null)
    filename = Varchar(length=255, default="")
    content = Text(default="")
    mode = Varchar(length=10, default="")  # "all" | "valid" once the user chose
    status = Varchar(length=12, default="PREVIEW")  # core.infrastructure.bulk_import.JobStatus
    total = Integer(default=0)  # rows to import
    done = Integer(default=0)
    valid = Integer(default=0)
    invalid = Integer(default=0)
    errors = JSON(default=[])  # [{"row": n, "field": name, "message": msgid, "params": {...}}]
    created = JSON(default={})  # {"locations": n, "stations": n, "charge_points": n}
    created_at = Timestamptz(default=TimestamptzNow())
    finished_at = Timestamptz(null=True, default=None)


audit.show_name(Location.name, "location", "location_id", "location_ids")
audit.show_name(ChargingStation.charge_box_id, "station", "station_id")
