"""A reseller's sub-CPOs (seed 003, "Erstellung im Partnerportal"): the reseller onboards a sub-CPO with its company
data, a debtor number (Debitorennummer) and its OCPI party id, and its first administrator is invited by e-mail.

- Only a tenant of kind RESELLER has sub-CPOs; its staff need the switch ``resellers.sub_cpos``. Another tenant's
  staff are refused (PermissionDenied), and a sub-CPO of another reseller is not found.
- ``onboard`` writes the tenant (parent: the reseller), its company data (core.tenancy.company's spec and checks),
  its first administrator without a usable password, and mails that person a set-password link
  (core.tenancy.invitations) in the sub-CPO's language, all in one transaction; audited on the new tenant.
- The party id follows OCPI (3 upper-case letters or digits) and is unique per country among tenants; the debtor
  number is unique among tenants.
- The reseller model (RESELLER: the reseller bills its sub-CPOs from the usage export; AFFILIATE: the platform bills
  them and the reseller earns commission) is the platform operator's to set (``set_reseller_model``, the CLI).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core import outbox
from core.db import transaction
from core.errors import Conflict, Message, NotFound, PermissionDenied, ValidationError
from core.infrastructure.tables import ChargingStation
from core.mail import mail_language, queue_mail
from core.tenancy import audit, company, invitations, users
from core.tenancy.actor import Actor, system_actor
from core.tenancy.permissions import Permission
from core.tenancy.tables import StaffUser, Tenant
from core.tenancy.tenants import ResellerModel, TenantKind, create_tenant, get_tenant_by_slug, tenant_language
from core.validation import Field, FormSpec

DEBTOR_NUMBER = r"[A-Za-z0-9][A-Za-z0-9./-]{0,19}"
MASTER_SPEC = FormSpec(
    "sub_cpo",
    (Field("debtor_number", required=True, max_length=20, pattern=DEBTOR_NUMBER, label="Debtor number"),),
)
ONBOARD_SPEC = FormSpec(
    "sub_cpo_onboarding",
    (
        Field("name", required=True, max_length=200, label="Name"),
        Field("slug", required=True, max_length=40, pattern=r"[a-z0-9][a-z0-9-]{1,39}", label="Slug"),
        Field("country_code", kind="choice", required=True, choices=company.COUNTRIES, label="Country"),
        Field("party_id", required=True, max_length=3, pattern=r"[A-Z0-9]{3}", label="Party id"),
        *MASTER_SPEC.fields,
        Field("admin_name", required=True, max_length=200, label="Administrator's name"),
        Field("admin_email", kind="email", required=True, max_length=254, label="Administrator's e-mail"),
    ),
)
FORM_FIELDS = tuple(f.name for f in ONBOARD_SPEC.fields) + company.FIELDS
MASTER_FIELDS = ("debtor_number", *company.FIELDS)


def require_reseller(actor: Actor) -> None:
    actor.require(Permission.SUB_CPOS_MANAGE)
    if actor.tenant_kind != TenantKind.RESELLER:
        raise PermissionDenied()


def _only(spec: FormSpec, raw: Mapping[str, Any]) -> dict[str, Any]:
    names = {f.name for f in spec.fields}
    return {key: value for key, value in raw.items() if key in names}


def _parse(spec: FormSpec, raw: Mapping[str, Any], errors: dict[str, Message]) -> dict[str, Any]:
    """The spec's fields of ``raw`` (a form carries others too), checked; errors collected into ``errors``."""
    try:
        if spec is company.COMPANY_SPEC:
            return company.parse_company(_only(spec, raw))
        return spec.parse(_only(spec, raw))
    except ValidationError as exc:
        errors.update(exc.errors)
        return {}


def parse_onboarding(raw: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The sub-CPO's fields and its company data, checked; ValidationError naming every field to correct."""
    cleaned = dict(raw)
    cleaned["party_id"] = str(raw.get("party_id") or "").strip().upper()
    cleaned["slug"] = str(raw.get("slug") or "").strip().lower()
    errors: dict[str, Message] = {}
    data = _parse(ONBOARD_SPEC, cleaned, errors)
    firm = _parse(company.COMPANY_SPEC, raw, errors)
    if errors:
        raise ValidationError(errors)
    return data, firm


async def _check_unique(data: Mapping[str, Any], *, tenant_id: int | None = None) -> None:
    errors: dict[str, Message] = {}
    others = Tenant.id != (tenant_id or 0)
    if "slug" in data and await Tenant.exists().where(Tenant.slug == data["slug"]):
        errors["slug"] = Message("This slug is taken.")
    if "party_id" in data and await Tenant.exists().where(
        (Tenant.party_id == data["party_id"]) & (Tenant.country_code == data["country_code"]) & others
    ):
        errors["party_id"] = Message("Another tenant in this country has this party id.")
    if data.get("debtor_number") and await Tenant.exists().where(
        (Tenant.debtor_number == data["debtor_number"]) & others
    ):
        errors["debtor_number"] = Message("Another tenant has this debtor number.")
    if "admin_email" in data and await StaffUser.exists().where(StaffUser.email == data["admin_email"].lower()):
        errors["admin_email"] = Message("A user with this e-mail address exists.")
    if errors:
        raise ValidationError(errors)


async def reseller_model(actor: Actor) -> ResellerModel:
    require_reseller(actor)
    row = await Tenant.select(Tenant.reseller_model).where(Tenant.id == actor.tenant_id).first()
    return ResellerModel((row or {}).get("reseller_model") or ResellerModel.RESELLER)


async def list_sub_cpos(actor: Actor) -> list[dict[str, Any]]:
    """The reseller's sub-CPOs by name, each with its count of staff users and of stations."""
    require_reseller(actor)
    rows = await Tenant.select(
        Tenant.id, Tenant.slug, Tenant.name, Tenant.country_code, Tenant.party_id, Tenant.debtor_number,
        Tenant.legal_name, Tenant.created_at,
    ).where(Tenant.parent == actor.tenant_id).order_by(Tenant.name)  # fmt: skip
    ids = [row["id"] for row in rows] or [0]
    user_counts = await StaffUser.raw(
        "SELECT tenant, COUNT(*) AS n FROM staff_user WHERE tenant IN ({}) GROUP BY tenant".format(  # noqa: S608
            ", ".join("{}" for _ in ids)), *ids)  # fmt: skip
    station_counts = await ChargingStation.raw(
        "SELECT tenant, COUNT(*) AS n FROM charging_station WHERE tenant IN ({}) GROUP BY tenant".format(  # noqa: S608
            ", ".join("{}" for _ in ids)), *ids)  # fmt: skip
    users_of = {int(r["tenant"]): int(r["n"]) for r in user_counts}
    stations_of = {int(r["tenant"]): int(r["n"]) for r in station_counts}
    for row in rows:
        row["users"] = users_of.get(row["id"], 0)
        row["stations"] = stations_of.get(row["id"], 0)
    return rows


async def get_sub_cpo(actor: Actor, tenant_id: int) -> dict[str, Any]:
    """One of the reseller's sub-CPOs with its company data and its administrators; NotFound for anybody else's."""
    require_reseller(actor)
    row = await Tenant.select().where((Tenant.id == tenant_id) & (Tenant.parent == actor.tenant_id)).first()
    if row is None:
        raise NotFound("tenant")
    row["admins"] = (
        await StaffUser.select(
            StaffUser.id, StaffUser.email, StaffUser.name, StaffUser.last_login_at, StaffUser.password_changed_at
        )
        .where((StaffUser.tenant == tenant_id) & (StaffUser.is_admin == True))  # noqa: E712
        .order_by(StaffUser.id)
    )
    return row


async def _invite(user: Mapping[str, Any], tenant: Mapping[str, Any], reseller_name: str) -> None:
    """A new set-password link for ``user``, mailed in the user's (else the sub-CPO's) language; in the caller's
    transaction."""
    token = await invitations.issue(int(user["id"]))
    await queue_mail(
        tenant_id=int(tenant["id"]), recipient=str(user["email"]), kind="staff_invitation",
        language=mail_language(user.get("language"), tenant_language(dict(tenant))),
        context={"name": user.get("name") or "", "tenant_name": tenant["name"], "reseller_name": reseller_name,
                 "link_url": invitations.invitation_url(token), "valid_days": invitations.INVITE_DAYS},
        dedupe_key=f"staff-invitation:{token[:16]}",
    )  # fmt: skip


async def onboard(actor: Actor, raw: Mapping[str, Any]) -> dict[str, Any]:
    """A new sub-CPO of the actor's reseller with its first administrator, who gets an invitation e-mail."""
    require_reseller(actor)
    data, firm = parse_onboarding(raw)
    await _check_unique(data)
    reseller = await Tenant.select(Tenant.name, Tenant.currency).where(Tenant.id == actor.tenant_id).first()
    assert reseller is not None
    async with transaction():
        tenant = await create_tenant(
            {"slug": data["slug"], "name": data["name"], "kind": TenantKind.CPO.value,
             "country_code": data["country_code"], "party_id": data["party_id"], "currency": reseller["currency"]},
            parent_id=actor.tenant_id,
        )  # fmt: skip
        values = {"debtor_number": data["debtor_number"], **firm}
        await Tenant.update({getattr(Tenant, k): v for k, v in values.items()}).where(Tenant.id == tenant["id"])
        admin = await users.create_user(
            system_actor(tenant["id"], actor.label),
            {"email": data["admin_email"], "name": data["admin_name"], "is_admin": True},
            generate=True,  # never shown: the administrator sets a password through the invitation
        )  # fmt: skip
        created = {k: v for k, v in data.items() if k not in ("admin_name",)}
        await audit.record(actor, tenant["id"], "sub_cpo", tenant["id"], "create", audit.diff({}, {**created, **firm}))
        await _invite(admin, tenant, reseller["name"])
    outbox.kick()
    return await get_sub_cpo(actor, tenant["id"])


async def update_sub_cpo(actor: Actor, tenant_id: int, raw: Mapping[str, Any]) -> dict[str, Any]:
    """The sub-CPO's debtor number and company data (all at once, as the form posts them); audited."""
    current = await get_sub_cpo(actor, tenant_id)
    errors: dict[str, Message] = {}
    data = _parse(MASTER_SPEC, raw, errors)
    firm = _parse(company.COMPANY_SPEC, raw, errors)
    if errors:
        raise ValidationError(errors)
    await _check_unique(data, tenant_id=tenant_id)
    clean = {**data, **firm}
    changes = audit.diff({k: current.get(k) for k in MASTER_FIELDS}, clean)
    if changes:
        async with transaction():
            await Tenant.update({getattr(Tenant, k): v for k, v in clean.items()}).where(Tenant.id == tenant_id)
            await audit.record(actor, tenant_id, "sub_cpo", tenant_id, "update", changes)
    return await get_sub_cpo(actor, tenant_id)


async def resend_invitation(actor: Actor, tenant_id: int) -> str:
    """A new invitation to the sub-CPO's first administrator who has not set a password yet (earlier links end);
    returns the address. Conflict when every administrator has set one."""
    sub = await get_sub_cpo(actor, tenant_id)
    pending = [a for a in sub["admins"] if a["password_changed_at"] is None and a["last_login_at"] is None]
    if not pending:
        raise Conflict(Message("The administrator has already set a password."))
    reseller = await Tenant.select(Tenant.name).where(Tenant.id == actor.tenant_id).first()
    admin = await StaffUser.select().where(StaffUser.id == pending[0]["id"]).first()
    assert admin is not None and reseller is not None
    async with transaction():
        await _invite(admin, sub, reseller["name"])
        await audit.record(actor, tenant_id, "sub_cpo", tenant_id, "invitation_sent", {"email": [None, admin["email"]]})
    outbox.kick()
    return str(admin["email"])


async def set_reseller_model(slug: str, model: str) -> dict[str, Any]:
    """The platform operator's choice (the CLI): how the reseller ``slug``'s sub-CPOs are billed."""
    try:
        chosen = ResellerModel(model.strip().upper())
    except ValueError:
        raise ValidationError({"model": Message("Unknown value: %(value)s", {"value": model})}) from None
    tenant = await get_tenant_by_slug(slug)
    if tenant["kind"] != TenantKind.RESELLER:
        raise Conflict(Message("This tenant is not a reseller."))
    if tenant["reseller_model"] != chosen:
        await Tenant.update({Tenant.reseller_model: chosen.value}).where(Tenant.id == tenant["id"])
        await audit.record(system_actor(tenant["id"], "cli"), tenant["id"], "sub_cpo", tenant["id"], "update",
                           {"reseller_model": [tenant["reseller_model"], chosen.value]})  # fmt: skip
    return {**tenant, "reseller_model": chosen.value}
