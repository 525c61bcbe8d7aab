"""hubclientinfo, receiver interface: a hub partner tells csms the connection state of the parties behind it (and of
itself); core.roaming.partners.may_push_to reads it."""

from __future__ import annotations

from litestar import Response, get, put

from core.errors import ValidationError
from core.roaming import partners
from hub.envelope import OcpiError, Status
from hub.handlers import AnyRequest, answer, caller, json_body
from hub.modules import VERSION

PATH = f"/{VERSION}/hubclientinfo/{{country_code:str}}/{{party_id:str}}"


def _object(row: dict[str, object]) -> dict[str, object]:
    last = row["last_updated"]
    return {"party_id": row["party_id"], "country_code": row["country_code"], "role": row["role"],
            "status": row["status"], "last_updated": last.strftime("%Y-%m-%dT%H:%M:%SZ")}  # type: ignore[attr-defined]  # fmt: skip


@get(PATH)
async def get_client_info(request: AnyRequest, country_code: str, party_id: str) -> Response[bytes]:
    row = await partners.client_info(caller(request).partner, country_code, party_id)
    if row is None:
        raise OcpiError(Status.CLIENT_ERROR, "Unknown ClientInfo", http_status=404)
    return answer(_object(row))


@put(PATH)
async def put_client_info(request: AnyRequest, country_code: str, party_id: str) -> Response[bytes]:
    who = caller(request)
    if len(country_code) != 2 or not 1 <= len(party_id) <= 3:
        raise OcpiError(Status.INVALID_PARAMETERS, "country_code has 2 characters, party_id up to 3")
    try:
        created = await partners.store_client_info(who.partner, country_code, party_id, await json_body(request))
    except ValidationError as exc:
        raise OcpiError(Status.INVALID_PARAMETERS, str(exc.message)) from None
    return answer(None, http_status=201 if created else 200)


HANDLERS = [get_client_info, put_client_info]
