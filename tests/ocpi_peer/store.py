"""What the peer holds and what it received, in memory, behind the Crud and Authenticator extrawest-ocpi calls.

Runs in the peer's virtualenv. extrawest-ocpi owns the OCPI endpoints and leaves storage and token checks to
these two classes; everything else the peer does (registering as a client, crawling, the control API) is in
server.py.
"""

from __future__ import annotations

import itertools
import secrets
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from py_ocpi.core.authentication.authenticator import Authenticator
from py_ocpi.core.crud import Crud
from py_ocpi.core.enums import Action, ModuleID, RoleEnum


def new_token() -> str:
    # Hex, 40 characters: also valid Base64, so that extrawest's decoding of an unencoded token behaves one way
    # (README.md, "Credentials tokens and authentication").
    return secrets.token_hex(20)


@dataclass
class Identity:
    role: str  # "EMSP" or "CPO"
    country_code: str
    party_id: str
    name: str

    def credentials_role(self) -> dict[str, Any]:
        return {"role": self.role, "business_details": {"name": self.name},
                "party_id": self.party_id, "country_code": self.country_code}  # fmt: skip


@dataclass
class Partner:
    """A registered counterpart: ``our_token`` is what it sends us, ``their_token`` what we send it."""

    our_token: str
    their_token: str | None = None
    versions_url: str | None = None
    version: str | None = None
    roles: list[dict[str, Any]] = field(default_factory=list)
    endpoints: list[dict[str, Any]] = field(default_factory=list)
    registered_by: str = ""  # "partner" (it POSTed to our credentials), "peer" (we POSTed), "preshared"

    def endpoint(self, module: str, role: str | None = None) -> str | None:
        for endpoint in self.endpoints:
            if endpoint.get("identifier") == module and (role is None or endpoint.get("role") == role):
                return str(endpoint["url"])
        return None

    def party(self, role: str | None = None) -> dict[str, Any] | None:
        matching = [r for r in self.roles if role is None or r.get("role") == role] or self.roles
        return matching[0] if matching else None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _key(*parts: Any) -> tuple[str, ...]:
    # OCPI ids are CiStrings; extrawest lower-cases what it parsed while seeded objects keep their case.
    return tuple(str(p or "").lower() for p in parts)


class PeerState:
    def __init__(self, identity: Identity, versions_url: str, record: bool) -> None:
        self.identity = identity
        self.versions_url = versions_url
        self.record = record
        self.reset()

    def reset(self) -> None:
        self.tokens_a: set[str] = set()
        self.partners: dict[str, Partner] = {}
        self.objects: dict[str, dict[tuple[str, ...], dict[str, Any]]] = {}
        self.received: list[dict[str, Any]] = []
        self._ordered: dict[str, list[dict[str, Any]]] = {}

    def credentials(self, token: str) -> dict[str, Any]:
        """Our Credentials object, carrying the token the counterpart shall use with us."""
        return {"token": token, "url": self.versions_url, "roles": [self.identity.credentials_role()]}

    def put(self, module: str, key: tuple[Any, ...], obj: dict[str, Any]) -> None:
        self.objects.setdefault(module, {})[_key(*key)] = obj
        self._ordered.pop(module, None)

    def find(self, module: str, object_id: Any, country_code: Any = None, party_id: Any = None) -> Any:
        held = self.objects.get(module, {})
        if country_code is not None or party_id is not None:
            return held.get(_key(country_code, party_id, object_id))
        # Single-object GETs on the sender interface carry no country code and party id.
        wanted = str(object_id).lower()
        return next((obj for key, obj in held.items() if key[-1] == wanted), None)

    def ordered(self, module: str) -> list[dict[str, Any]]:
        if module not in self._ordered:
            self._ordered[module] = list(self.objects.get(module, {}).values())
        return self._ordered[module]


def authenticator_for(state: PeerState) -> type[Authenticator]:
    """extrawest calls its authenticator's classmethods, so the state is bound into a class of its own."""

    class PeerAuthenticator(Authenticator):
        @classmethod
        async def get_valid_token_c(cls) -> list[str]:
            return list(state.partners)

        @classmethod
        async def get_valid_token_a(cls) -> list[str]:
            return list(state.tokens_a)

    return PeerAuthenticator


def _utc_text(moment: datetime) -> str:
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


def _in_range(obj: dict[str, Any], filters: dict[str, Any]) -> bool:
    """date_from inclusive, date_to exclusive (transport_and_format, paginated request)."""
    stamp = str(obj.get("last_updated", ""))
    date_from, date_to = filters.get("date_from"), filters.get("date_to")
    # last_updated strings are RFC 3339 in UTC ("...Z"), so they compare in time order as text.
    if date_from is not None and stamp < _utc_text(date_from):
        return False
    return not (date_to is not None and stamp >= _utc_text(date_to))


class PeerCrud(Crud):
    """Objects by module and (country code, party id, id); credentials as partners of the state."""

    def __init__(self, state: PeerState) -> None:
        self.state = state

    async def get(self, module: ModuleID, role: RoleEnum, id: Any, *args: Any, **kwargs: Any) -> Any:
        if module == ModuleID.credentials_and_registration:
            return self.state.credentials(id) if id in self.state.partners else None
        if module == ModuleID.tokens:
            token = self.state.find("tokens", id)
            wanted_type = kwargs.get("token_type")
            if token is not None and wanted_type is not None and token.get("type") != str(wanted_type.value):
                return None
            return token
        return self.state.find(module.value, id, kwargs.get("country_code"), kwargs.get("party_id"))

    async def list(self, module: ModuleID, role: RoleEnum, filters: dict, *args: Any, **kwargs: Any) -> Any:
        objects = self.state.ordered(module.value)
        if filters.get("date_from") is not None or filters.get("date_to") is not None:
            objects = [obj for obj in objects if _in_range(obj, filters)]
        offset, limit = filters["offset"], filters["limit"]
        page = list(itertools.islice(objects, offset, offset + limit))
        return page, len(objects), offset + limit >= len(objects)

    async def create(self, module: ModuleID, role: RoleEnum, data: dict, *args: Any, **kwargs: Any) -> Any:
        if module == ModuleID.credentials_and_registration:
            return self._register_partner(data, kwargs["auth_token"])
        country_code = kwargs.get("country_code") or data.get("country_code")
        party_id = kwargs.get("party_id") or data.get("party_id")
        self.state.put(module.value, (country_code, party_id, data.get("id") or data.get("uid")), data)
        return data

    async def update(self, module: ModuleID, role: RoleEnum, data: dict, id: Any, *args: Any, **kwargs: Any) -> Any:
        if module == ModuleID.credentials_and_registration:
            return self._update_partner(data, kwargs["auth_token"])
        if module == ModuleID.commands:
            # A CommandResult, POSTed by the CPO to the response_url the peer gave with its command.
            self.state.put("commands", ("", "", id), {"uid": id, **data, "received_at": time.time()})
            return data
        self.state.put(module.value, (kwargs.get("country_code"), kwargs.get("party_id"), id), data)
        return data

    async def delete(self, module: ModuleID, role: RoleEnum, id: Any, *args: Any, **kwargs: Any) -> Any:
        if module == ModuleID.credentials_and_registration:
            self.state.partners.pop(id, None)
            return None
        self.state.objects.get(module.value, {}).pop(_key(kwargs.get("country_code"), kwargs.get("party_id"), id), None)
        self.state._ordered.pop(module.value, None)
        return None

    async def do(self, module: ModuleID, role: Any, action: Action, *args: Any, data: Any = None, **kwargs: Any) -> Any:
        if action == Action.authorize_token and data is not None:
            token = self.state.find("tokens", data["token_uid"])
            if token is None:
                return None
            # A seeded token may name its answer ("allowed": "NO_CREDIT" ...); else its validity decides.
            allowed = token.get("allowed") or ("ALLOWED" if token.get("valid") else "BLOCKED")
            self.state.put("authorizations", ("", "", new_token()), {**data, "allowed": allowed})
            return {"allowed": allowed, "token": token, "location": data.get("location_reference"),
                    "authorization_reference": secrets.token_hex(8)}  # fmt: skip
        return None

    def _register_partner(self, data: dict, token_a: str) -> dict[str, Any]:
        # extrawest has fetched the client's versions and details (with the client's token) before calling this.
        credentials, details = data["credentials"], data["endpoints"]
        partner = Partner(our_token=new_token(), their_token=credentials["token"], versions_url=credentials["url"],
                          version=details.get("version"), roles=[dict(r) for r in credentials["roles"]],
                          endpoints=list(details.get("endpoints", [])), registered_by="partner")  # fmt: skip
        self.state.tokens_a.discard(token_a)  # CREDENTIALS_TOKEN_A may no longer be used
        self.state.partners[partner.our_token] = partner
        return self.state.credentials(partner.our_token)

    def _update_partner(self, data: dict, old_token: str) -> dict[str, Any]:
        partner = self.state.partners.pop(old_token)
        credentials, details = data["credentials"], data["endpoints"]
        partner.our_token, partner.their_token = new_token(), credentials["token"]
        partner.version, partner.versions_url = details.get("version"), credentials["url"]
        partner.roles = [dict(r) for r in credentials["roles"]]
        partner.endpoints = list(details.get("endpoints", []))
        self.state.partners[partner.our_token] = partner
        return self.state.credentials(partner.our_token)
