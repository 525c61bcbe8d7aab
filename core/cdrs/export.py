"""The charging-data CSV as people in the user's language expect it: German spreadsheets want ``;`` between
cells, a decimal comma, day.month.year and German headers; English ones ``,``, a decimal point and ISO dates.
Times are local to the tenant (core.tenancy.tenants.tenant_time_zone). The REST API is not affected: it stays
ISO 8601 in UTC with decimal points.

The database formats every value once as text (core.cdrs.charging_data.export_batches); this only rewrites the
few columns that differ by language, batch by batch.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from core.cdrs.charging_data import EXPORT_COLUMNS, TEXT_DECIMALS, TEXT_FLAGS, TEXT_TIMES
from core.errors import Message

# The header of each column, in the user's language (OCPI field names are in the REST API).
EXPORT_HEADERS: dict[str, Message] = {
    "session_id": Message("Session"), "cdr_id": Message("CDR"), "status": Message("Status"),
    "evse_id": Message("EVSE-ID"), "charge_box_id": Message("Charge box id"), "country": Message("Country"),
    "city": Message("City"), "postal_code": Message("Postal code"), "address": Message("Address"),
    "start_date_time": Message("Start"), "end_date_time": Message("End"),
    "total_energy": Message("Energy (kWh)"), "total_time": Message("Duration (h)"),
    "total_parking_time": Message("Parking time (h)"), "power_type": Message("AC/DC"),
    "auth_source": Message("Authorisation"), "token_uid": Message("Card / token"),
    "eichrecht_compliant": Message("Eichrecht compliant"), "signed": Message("Signed meter data"),
    "signature_status": Message("Signature check"), "tariff_code": Message("Tariff"),
    "currency": Message("Currency"), "total_cost_excl_vat": Message("Net amount"), "total_vat": Message("VAT"),
    "total_cost_incl_vat": Message("Gross amount"), "billable": Message("Billable"),
    "credit_reference_id": Message("Credit note for CDR"), "corrects_cdr_id": Message("Correction of CDR"),
}  # fmt: skip


# How a session was authorised, as the charging data pages name it (core.charging.authorization.AuthSource).
AUTH_SOURCE_LABELS: dict[str, Message] = {
    "RFID": Message("RFID card"), "REMOTE": Message("Remote"), "DIRECT_PAYMENT": Message("Direct Payment"),
    "TERMINAL": Message("Payment terminal"),
}  # fmt: skip


@dataclass(frozen=True)
class CsvStyle:
    delimiter: str
    decimal_comma: bool
    time_format: str
    time_zone: str
    yes: str  # the flags' words, translated by the caller
    no: str
    auth_sources: Mapping[str, str] = field(default_factory=dict)  # AUTH_SOURCE_LABELS translated by the caller


def csv_style(language: str, time_zone: str, yes: str, no: str, auth_sources: Mapping[str, str] | None = None
              ) -> CsvStyle:  # fmt: skip
    labels = dict(auth_sources or {})
    if language == "de":
        return CsvStyle(";", True, "%d.%m.%Y %H:%M:%S", time_zone, yes, no, labels)
    return CsvStyle(",", False, "%Y-%m-%d %H:%M:%S", time_zone, yes, no, labels)


_INDEX = {name: i for i, name in enumerate(EXPORT_COLUMNS)}
_TIMES = [_INDEX[k] for k in TEXT_TIMES]
_DECIMALS = [_INDEX[k] for k in TEXT_DECIMALS]
_FLAGS = [_INDEX[k] for k in TEXT_FLAGS]
_AUTH = _INDEX["auth_source"]


def localized_row(row: Sequence[Any], style: CsvStyle, zone: ZoneInfo) -> list[Any]:
    """One exported row (as the database formats it: ISO UTC times, decimal points, true/false) in ``style``."""
    out = list(row)
    for i in _TIMES:
        if out[i]:
            out[i] = (
                datetime.fromisoformat(str(out[i]).replace("Z", "+00:00")).astimezone(zone).strftime(style.time_format)
            )
    if style.decimal_comma:
        for i in _DECIMALS:
            if out[i] is not None:
                out[i] = str(out[i]).replace(".", ",")
    for i in _FLAGS:
        if out[i] is not None:
            out[i] = style.yes if str(out[i]).lower() in {"true", "1"} else style.no
    if out[_AUTH] is not None:  # a label, not the code; a code without a label stays as it is
        out[_AUTH] = style.auth_sources.get(str(out[_AUTH]), out[_AUTH])
    return out


async def localized_batches(
    batches: AsyncIterator[Sequence[Sequence[Any]]], style: CsvStyle
) -> AsyncIterator[list[list[Any]]]:
    zone = ZoneInfo(style.time_zone)
    async for batch in batches:
        yield [localized_row(row, style, zone) for row in batch]
