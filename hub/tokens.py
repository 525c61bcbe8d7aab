"""Tokens, receiver interface (CPO role, OCPI 2.2.1 mod_tokens): a partner pushes its eMSPs' tokens (PUT, PATCH) and
reads back what csms holds (GET), at ``/tokens/{country_code}/{party_id}/{token_uid}[?type=]``. The rules are
core.roaming.tokens; a body that breaks them is 2001, an unknown token 2004 with HTTP 404."""

from __future__ import annotations

from litestar import Response, get, patch, put

from core.errors import ValidationError
from core.roaming import tokens
from hub.envelope import OcpiError, Status
from hub.handlers import AnyRequest, answer, caller, json_body
from hub.mapping.tokens import token_object
from hub.modules import VERSION, Endpoint, register

MODULE = "tokens"
PATH = f"/{VERSION}/{MODULE}/{{country_code:str}}/{{party_id:str}}/{{token_uid:str}}"


def _address(request: AnyRequest, country_code: str, party_id: str, token_uid: str) -> tokens.TokenAddress:
    try:
        return tokens.TokenAddress.of(country_code, party_id, token_uid, request.query_params.get("type"))
    except ValidationError as exc:
        raise OcpiError(Status.INVALID_PARAMETERS, str(exc.message)) from None


def _unknown() -> OcpiError:
    return OcpiError(Status.UNKNOWN_TOKEN, "Unknown token", http_status=404)


def _invalid(exc: ValidationError) -> OcpiError:
    return OcpiError(Status.INVALID_PARAMETERS, "; ".join(str(m) for m in exc.errors.values()))


@get(PATH)
async def get_token(request: AnyRequest, country_code: str, party_id: str, token_uid: str) -> Response[bytes]:
    address = _address(request, country_code, party_id, token_uid)
    try:
        row = await tokens.stored_token(caller(request).partner, address)
    except ValidationError as exc:
        raise _invalid(exc) from None
    if row is None:
        raise _unknown()
    return answer(token_object(row))


@put(PATH)
async def put_token(request: AnyRequest, country_code: str, party_id: str, token_uid: str) -> Response[bytes]:
    address = _address(request, country_code, party_id, token_uid)
    try:
        await tokens.put_token(caller(request).partner, address, await json_body(request))
    except ValidationError as exc:
        raise _invalid(exc) from None
    return answer(None)


@patch(PATH)
async def patch_token(request: AnyRequest, country_code: str, party_id: str, token_uid: str) -> Response[bytes]:
    address = _address(request, country_code, party_id, token_uid)
    try:
        known = await tokens.patch_token(caller(request).partner, address, await json_body(request))
    except ValidationError as exc:
        raise _invalid(exc) from None
    if not known:
        raise _unknown()
    return answer(None)


HANDLERS = [get_token, put_token, patch_token]


def register_module() -> None:
    register(Endpoint(MODULE, "RECEIVER", f"/{MODULE}"))
