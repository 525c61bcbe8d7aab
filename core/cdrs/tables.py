"""Charge detail records (CDRs): one per finished session, written by core.cdrs from the outbox, and never changed
afterwards: a correction is a credit CDR (``credit``, ``credit_reference_id``: the CDR it cancels) plus a new CDR
(``corrects_cdr_id``), written together (core.cdrs.building.correct_cdr); the session names its current one.

Field names follow the OCPI 2.2.1 CDR object (start_date_time, total_energy, total_time, cdr_token,
auth_method, signed_data, total_cost ...) so that the OCPI hub can export them without renaming. The
location and charge point are copied (``CdrLocation`` in OCPI): a CDR keeps what was true when it was made.
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
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from core.access.tables import ChargingCard, DriverGroup
from core.charging.tables import ChargingSession
from core.infrastructure.tables import ChargePoint, ChargingStation, Location
from core.tenancy.tables import Tenant


class Cdr(Table):
    """A charge detail record. A session has one, or after corrections its first one, each correction's credit CDR
    and new CDR (``ChargingSession.cdr_id`` names the current one)."""

    id: Serial
    tenant = ForeignKey(references=Tenant, on_delete=OnDelete.cascade, index=True)
    session = ForeignKey(references=ChargingSession, on_delete=OnDelete.cascade, index=True)
    charge_point = ForeignKey(references=ChargePoint, on_delete=OnDelete.set_null, null=True, default=None)
    station = ForeignKey(references=ChargingStation, on_delete=OnDelete.set_null, null=True, default=None)
    location = ForeignKey(references=Location, on_delete=OnDelete.set_null, null=True, default=None)
    # CdrLocation snapshot
    location_name = Varchar(length=255, default="")
    address = Varchar(length=45, default="")  # street and number
    city = Varchar(length=45, default="", index=True)
    postal_code = Varchar(length=10, default="")
    country = Varchar(length=3, default="", index=True)  # ISO 3166-1 alpha-3
    evse_id = Varchar(length=48, default="")
    charge_box_id = Varchar(length=64, default="")
    connector_id = Integer(default=0)
    power_type = Varchar(length=2, default="AC", index=True)  # AC | DC
    # times (UTC) and totals
    start_date_time = Timestamptz(index=True)
    end_date_time = Timestamptz()
    total_energy = Numeric(digits=(12, 3), default=Decimal("0"))  # kWh
    total_time = Numeric(digits=(12, 6), default=Decimal("0"))  # hours, start to end
    total_parking_time = Numeric(digits=(12, 6), default=Decimal("0"))  # hours plugged in without charging
    # who charged
    auth_method = Varchar(length=20, default="WHITELIST")  # OCPI AuthMethod
    auth_source = Varchar(length=20, default="RFID", index=True)  # core.charging.authorization.AuthSource
    token_uid = Varchar(length=36, default="")  # OCPI cdr_token.uid (the OCPP idTag)
    token_type = Varchar(length=12, default="RFID")  # OCPI cdr_token.type
    card = ForeignKey(references=ChargingCard, on_delete=OnDelete.set_null, null=True, default=None)
    # a roaming partner's token (core.charging.tables.ChargingSession has the same three): who is billed, the EMAID,
    # and the eMSP's authorization reference that the OCPI CDR carries back
    roaming_partner_id = Integer(null=True, default=None, index=True)
    roaming_contract_id = Varchar(length=36, default="")
    authorization_reference = Varchar(length=36, default="")
    roaming_token = JSON(null=True, default=None)  # OCPI CdrToken of the partner's token
    # price
    tariff = JSON(null=True, default=None)  # core.tariffs.pricing.TariffSnapshot.to_json() of the tariff at start
    tariff_code = Varchar(length=40, default="")
    price_components = JSON(default=[])  # core.tariffs.pricing.PriceComponent.to_json() items
    currency = Varchar(length=3, default="", index=True)
    vat_rate = Numeric(digits=(5, 2), default=Decimal("0"))
    total_cost_excl_vat = Numeric(digits=(12, 2), default=Decimal("0"))
    total_vat = Numeric(digits=(12, 2), default=Decimal("0"))
    total_cost_incl_vat = Numeric(digits=(12, 2), default=Decimal("0"))
    # False: priced for the record only (a documentation tariff of a driver group); never invoiced.
    billable = Boolean(default=True)
    driver_group = ForeignKey(references=DriverGroup, on_delete=OnDelete.set_null, null=True, default=None)
    remark = Varchar(length=255, default="")  # OCPI remark, e.g. why there is no price
    # Eichrecht
    eichrecht_compliant = Boolean(default=False, index=True)  # the charge point's flag when the CDR was made
    signed_data = JSON(null=True, default=None)  # OCPI SignedData: encoding_method + signed_values (verbatim)
    # core.eichrecht.ocmf.SignatureStatus of the signed data ("" when made before signatures were checked) and the
    # result behind it (readings, meter, problems); checked again when the station's public key changes.
    signature_status = Varchar(length=24, default="", index=True)
    signature_check = JSON(null=True, default=None)
    # how it ended
    status = Varchar(length=12, default="COMPLETED", index=True)  # core.cdrs.building.CdrStatus
    stop_reason = Varchar(length=40, default="")
    flags = JSON(default=[])  # the session's flags (meter_backwards, ...)
    # Corrections (OCPI credit CDRs): a credit CDR repeats the CDR it cancels with the amounts negated (OCPI:
    # only total_cost is negative; energy and times stay as they were); the new CDR names the CDR it corrects.
    credit = Boolean(default=False)
    credit_reference_id = Integer(null=True, default=None, index=True)  # the cancelled CDR's id
    corrects_cdr_id = Integer(null=True, default=None, index=True)  # on the new CDR: the CDR it replaces
    created_at = Timestamptz(default=TimestamptzNow())
