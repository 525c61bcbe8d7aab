"""Commands, receiver interface (CPO role, OCPI 2.2.1 mod_commands): a partner asks csms to start or stop a
session, unlock a connector or reserve an EVSE at ``/commands/{command}``. The rules are core.roaming.commands; a
body that breaks them is 2001, an unknown command a CommandResponse NOT_SUPPORTED."""

from __future__ import annotations

from litestar import Response, post

from core.errors import ValidationError
from core.roaming import commands
from hub.envelope import OcpiError, Status
from hub.handlers import AnyRequest, answer, caller, json_body
from hub.modules import VERSION, Endpoint, register

MODULE = "commands"

_REVERSED = (
    ("OCPI-to-country-code", "OCPI-from-country-code"),
    ("OCPI-to-party-id", "OCPI-from-party-id"),
    ("OCPI-from-country-code", "OCPI-to-country-code"),
    ("OCPI-from-party-id", "OCPI-to-party-id"),
)


def _result_routing(request: AnyRequest) -> dict[str, str]:
    """The CommandResult goes back the way the command came: from the CPO party it addressed to the sender."""
    return {back: request.headers[came] for came, back in _REVERSED if request.headers.get(came)}


@post(f"/{VERSION}/{MODULE}/{{command:str}}", status_code=200)
async def post_command(request: AnyRequest, command: str) -> Response[bytes]:
    body = await json_body(request)
    try:
        response = await commands.receive(caller(request).partner, command, body, _result_routing(request))
    except ValidationError as exc:
        raise OcpiError(Status.INVALID_PARAMETERS, "; ".join(f"{k}: {m}" for k, m in exc.errors.items())) from None
    return answer(response.as_ocpi())


HANDLERS = [post_command]


def register_module() -> None:
    register(Endpoint(MODULE, "RECEIVER", f"/{MODULE}"))
