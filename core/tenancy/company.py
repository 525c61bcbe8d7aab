"""Company data of a tenant (Unternehmensdaten, issue 15): the legal name, postal address, VAT id (USt-IdNr.),
commercial register entry, support e-mail and hotline that receipts print as their issuer.

- ``COMPANY_SPEC`` describes the fields once (form and checks); ``parse_company`` adds the checks that need two
  fields (the postal code's format depends on the country, the VAT id's prefix on nothing but its own country).
- ``get_company`` / ``save_company`` read and write the own tenant's row, checked against the actor's switches
  ``company.view`` / ``company.manage`` and audited as entity ``company`` (the tenant's id).
- ``issuer`` is what a receipt prints: the entered data, or the tenant's name alone while none is entered.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from core.db import transaction
from core.errors import Message, NotFound, ValidationError
from core.tenancy import audit
from core.tenancy.actor import Actor
from core.tenancy.permissions import Permission
from core.tenancy.tables import Tenant
from core.validation import Field, FormSpec

# The countries csms's CPOs operate in (the same as the locations' list), as ISO 3166-1 alpha-2.
COUNTRIES = ("DE", "AT", "CH", "LI", "LU", "NL", "BE", "FR", "IT", "PL", "CZ", "DK")
COUNTRY_NAMES = {
    "DE": "Germany", "AT": "Austria", "CH": "Switzerland", "LI": "Liechtenstein", "LU": "Luxembourg",
    "NL": "Netherlands", "BE": "Belgium", "FR": "France", "IT": "Italy", "PL": "Poland", "CZ": "Czechia",
    "DK": "Denmark",
}  # fmt: skip  # msgids: the portal shows them translated
POSTAL_CODES = {
    "DE": r"\d{5}", "AT": r"\d{4}", "CH": r"\d{4}", "LI": r"\d{4}", "LU": r"(L-)?\d{4}", "NL": r"\d{4} ?[A-Z]{2}",
    "BE": r"\d{4}", "FR": r"\d{5}", "IT": r"\d{5}", "PL": r"\d{2}-\d{3}", "CZ": r"\d{3} ?\d{2}", "DK": r"\d{4}",
}  # fmt: skip
# EU VAT ids: the country prefix and 2 to 12 letters or digits (DE: 9 digits); Switzerland's UID with MWST.
VAT_ID = re.compile(r"^(DE\d{9}|(ATU|BE|LU|NL|FR|IT|PL|CZ|DK)[0-9A-Z]{2,12}|CHE\d{9}(MWST|TVA|IVA)?|LI\d{5})$")
PHONE = r"\+?[0-9][0-9 ()/.-]{4,38}"
FIELDS = ("legal_name", "street", "postal_code", "city", "address_country", "vat_id", "commercial_register",
          "support_email", "hotline")  # fmt: skip


def compact_vat_id(text: str) -> str:
    """A VAT id as it is compared and stored: upper case, without spaces, dots and dashes."""
    return re.sub(r"[\s.\-]", "", text).upper()


def _vat_id(value: Any) -> Message | None:
    if value and not VAT_ID.match(compact_vat_id(str(value))):
        return Message("Enter the VAT id with its country prefix, e.g. DE123456789.")
    return None


COMPANY_SPEC = FormSpec(
    "company",
    (
        Field("legal_name", required=True, max_length=200, label="Legal name"),
        Field("street", required=True, max_length=200, label="Street and number"),
        Field("postal_code", required=True, max_length=10, label="Postal code"),
        Field("city", required=True, max_length=100, label="City"),
        Field("address_country", kind="choice", required=True, choices=COUNTRIES, label="Country"),
        Field("vat_id", max_length=20, checks=(_vat_id,), label="VAT id (USt-IdNr.)"),
        Field("commercial_register", max_length=120, label="Commercial register entry"),
        Field("support_email", kind="email", max_length=254, label="Support e-mail"),
        Field("hotline", max_length=40, pattern=PHONE, label="Hotline"),
    ),
)


def parse_company(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Clean company data; ValidationError naming every field to correct at once."""
    errors: dict[str, Message] = {}
    try:
        clean = COMPANY_SPEC.parse(raw)
    except ValidationError as exc:
        errors.update(exc.errors)
        clean = {}
    country = str(raw.get("address_country") or "").strip()
    postal = str(raw.get("postal_code") or "").strip().upper()
    if "postal_code" not in errors and country in POSTAL_CODES and not re.fullmatch(POSTAL_CODES[country], postal):
        errors["postal_code"] = Message("Enter a postal code of the chosen country.")
    if errors:
        raise ValidationError(errors)
    clean["postal_code"] = postal
    clean["vat_id"] = compact_vat_id(clean["vat_id"])
    return clean


@dataclass(frozen=True)
class Issuer:
    """Who a receipt names as the company that charged: the entered company data, or the tenant's name alone."""

    name: str
    street: str = ""
    postal_code: str = ""
    city: str = ""
    country: str = ""  # alpha-2, empty without company data
    vat_id: str = ""
    commercial_register: str = ""
    email: str = ""
    hotline: str = ""

    @property
    def has_address(self) -> bool:
        return bool(self.street and self.city)


def issuer(tenant: Mapping[str, Any] | None) -> Issuer:
    """The issuer of a tenant's receipts from its row (the company fields may be missing from a partial select)."""
    tenant = tenant or {}
    name = str(tenant.get("legal_name") or tenant.get("name") or "")
    return Issuer(
        name=name, street=str(tenant.get("street") or ""), postal_code=str(tenant.get("postal_code") or ""),
        city=str(tenant.get("city") or ""), country=str(tenant.get("address_country") or ""),
        vat_id=str(tenant.get("vat_id") or ""), commercial_register=str(tenant.get("commercial_register") or ""),
        email=str(tenant.get("support_email") or ""), hotline=str(tenant.get("hotline") or ""),
    )  # fmt: skip


ISSUER_COLUMNS = (Tenant.name, *(getattr(Tenant, name) for name in FIELDS))


async def issuer_of(tenant_id: int) -> Issuer:
    return issuer(await Tenant.select(*ISSUER_COLUMNS).where(Tenant.id == tenant_id).first())


async def get_company(actor: Actor) -> dict[str, Any]:
    """The own tenant's name and company data."""
    actor.require(Permission.COMPANY_VIEW)
    row = await Tenant.select(Tenant.id, *ISSUER_COLUMNS).where(Tenant.id == actor.tenant_id).first()
    if row is None:
        raise NotFound("tenant")
    return dict(row)


async def save_company(actor: Actor, raw: Mapping[str, Any]) -> dict[str, Any]:
    """Change the own tenant's company data (all fields at once, as the form posts them); audited."""
    actor.require(Permission.COMPANY_MANAGE)
    current = await get_company(actor)
    clean = parse_company(raw)
    changes = audit.diff({k: current.get(k) for k in FIELDS}, clean)
    if changes:
        async with transaction():
            await Tenant.update({getattr(Tenant, k): v for k, v in clean.items()}).where(Tenant.id == actor.tenant_id)
            await audit.record(actor, actor.tenant_id, "company", actor.tenant_id, "update", changes)
    return await get_company(actor)
