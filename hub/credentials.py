"""Versions, version details and credentials (csms as the credentials receiver: the partner registers with it)."""

from __future__ import annotations

from typing import Any

from litestar import Response, delete, get, post, put

from core.errors import ValidationError
from core.roaming import partners
from core.roaming.partners import Connection, PartnerState
from hub import client
from hub.auth import presented_token
from hub.envelope import OcpiError, Status
from hub.handlers import AnyRequest, answer, caller, json_body
from hub.modules import ENDPOINTS, VERSION


def _base() -> str:
    return partners.versions_url().removesuffix("/versions")


@get(["/versions", "/versions/"])
async def versions(request: AnyRequest) -> Response[bytes]:
    caller(request)
    return answer([{"version": VERSION, "url": f"{_base()}/{VERSION}"}])


@get([f"/{VERSION}", f"/{VERSION}/"])
async def version_details(request: AnyRequest) -> Response[bytes]:
    caller(request)
    endpoints = [{"identifier": e.identifier, "role": e.role, "url": f"{_base()}/{VERSION}{e.path}"} for e in ENDPOINTS]
    return answer({"version": VERSION, "endpoints": endpoints})


CREDENTIALS = [f"/{VERSION}/credentials", f"/{VERSION}/credentials/"]


def _presented_token(request: AnyRequest) -> str:
    """The token the caller authenticated with: GET credentials echoes it (csms keeps only its hash)."""
    return presented_token(request.headers.get("authorization", ""), bool(caller(request).partner["tokens_unencoded"]))


@get(CREDENTIALS)
async def get_credentials(request: AnyRequest) -> Response[bytes]:
    who = caller(request)
    return answer(await client.own_credentials(who.partner, _presented_token(request)))


async def _register(request: AnyRequest, partner: dict[str, Any]) -> Response[bytes]:
    """Fetches the client's endpoints with its token, stores them and answers csms's credentials with a new token."""
    body = await json_body(request)
    if not isinstance(body, dict) or not isinstance(body.get("token"), str) or not isinstance(body.get("url"), str):
        raise OcpiError(Status.INVALID_PARAMETERS, "Credentials need token, url and roles")
    token, url = body["token"], body["url"]
    if not 1 <= len(token) <= 64 or not token.isascii():
        raise OcpiError(Status.INVALID_PARAMETERS, "The token must be 1 to 64 ASCII characters")
    try:
        roles = await partners.check_roles(partner, body.get("roles"))
    except ValidationError as exc:
        raise OcpiError(Status.INVALID_PARAMETERS, str(exc.message)) from None
    # The partner's new token is what csms sends it from now on, also to fetch its endpoints.
    outgoing = {**partner, "outgoing_token": token}
    _, endpoints = await client.fetch_version(client.OcpiClient(outgoing), url)
    if not any(e["identifier"] == "credentials" for e in endpoints):
        raise OcpiError(Status.NO_MATCHING_ENDPOINTS, "The client lists no credentials endpoint")
    own_token = partners.new_token()
    connection = Connection(outgoing_token=token, versions_url=url, version=VERSION, endpoints=endpoints, roles=roles)
    await partners.complete_registration(partner["id"], connection, own_token)
    return answer(await client.own_credentials(partner, own_token))


def _not_allowed(message: str) -> OcpiError:
    return OcpiError(Status.CLIENT_ERROR, message, http_status=405)


@post(CREDENTIALS, status_code=200)
async def post_credentials(request: AnyRequest) -> Response[bytes]:
    who = caller(request)
    if not who.with_token_a or who.partner["state"] != PartnerState.NEW:
        raise _not_allowed("Already registered: use PUT to update the credentials")
    return await _register(request, who.partner)


@put(CREDENTIALS)
async def put_credentials(request: AnyRequest) -> Response[bytes]:
    who = caller(request)
    if who.with_token_a or who.partner["state"] != PartnerState.REGISTERED:
        raise _not_allowed("Not registered yet: use POST to register")
    return await _register(request, who.partner)


@delete(CREDENTIALS, status_code=200)
async def delete_credentials(request: AnyRequest) -> Response[bytes]:
    who = caller(request)
    if who.with_token_a or who.partner["state"] != PartnerState.REGISTERED:
        raise _not_allowed("Not registered: nothing to delete")
    await partners.end_connection(who.partner["id"])
    return answer(None)


HANDLERS = [versions, version_details, get_credentials, post_credentials, put_credentials, delete_credentials]
