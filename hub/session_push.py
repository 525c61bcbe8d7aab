"""core.roaming.session_push.SessionLink over HTTP: a session of a partner's driver PUT to the eMSP's sessions
receiver (OCPI mod_sessions) when it starts, then PATCHed with what changed (and ``last_updated``, which a PATCH must
carry; a PATCH the partner answers with 404, not knowing the session, is followed by a PUT of the whole), under the
routing headers from the CPO party to the eMSP whose token charges. Each request goes through
``hub.client.OcpiClient`` (the partner's OCPI log has it) and is retried briefly like a location push
(hub.pushes.RETRY_DELAYS), then given up."""

from __future__ import annotations

from typing import Any

import msgspec

from core.roaming.charged import ChargedSession
from core.roaming.partners import endpoint_url
from hub.client import OcpiClient, client
from hub.envelope import encode
from hub.mapping.sessions import session_object
from hub.pushes import HubPushLink, Step, digest

MODULE = "sessions"


def patch_body(sent: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    """The PATCH from ``sent`` (what the partner holds) to ``current``: the fields that changed, a field no longer
    there as null, and ``last_updated`` always (OCPI requires it in every PATCH)."""
    body = {key: value for key, value in current.items() if sent.get(key) != value}
    body |= {key: None for key in sent if key not in current}
    body["last_updated"] = current["last_updated"]
    return body


def routing(partner: dict[str, Any], session: dict[str, Any]) -> dict[str, str]:
    """From the session's CPO party to the party of the token that charges (the partner's own, if the token has
    none)."""
    token = session.get("cdr_token") or {}
    roles = partner.get("roles") or [{}]
    return {
        "OCPI-from-country-code": session["country_code"], "OCPI-from-party-id": session["party_id"],
        "OCPI-to-country-code": str(token.get("country_code") or roles[0].get("country_code", "")).upper(),
        "OCPI-to-party-id": str(token.get("party_id") or roles[0].get("party_id", "")).upper(),
    }  # fmt: skip


class HubSessionLink:
    def __init__(self, transport: Any = None) -> None:
        self.transport = transport
        self.pushes = HubPushLink(transport)  # its brief retries

    def render(self, session: ChargedSession) -> dict[str, Any]:
        # as it goes over the wire (prices as JSON numbers): what is kept as sent compares with the next one
        result: dict[str, Any] = msgspec.json.decode(encode(session_object(session)))
        return result

    def changed(self, sent: dict[str, Any], current: dict[str, Any]) -> bool:
        return digest(sent) != digest(current)

    async def send(self, partner: dict[str, Any], current: dict[str, Any], sent: dict[str, Any] | None) -> str | None:
        base = endpoint_url(partner, MODULE, "RECEIVER")
        if base is None:
            return "the partner lists no sessions receiver"
        path = (current["country_code"], current["party_id"], current["id"])
        url = base.rstrip("/") + "/" + "/".join(path)
        put = Step(MODULE, "PUT", path, current)
        headers = routing(partner, current)
        async with client(self.transport) as http:
            ocpi = OcpiClient(partner, http=http)
            if sent is None:
                return await self.pushes.attempts(ocpi, put, url, headers)
            error, status = await self.pushes.answered(ocpi, Step(MODULE, "PATCH", path, patch_body(sent, current)),
                                                       url, headers)  # fmt: skip
            if status == 404:  # the partner does not know the session (lost it): the whole of it again
                return await self.pushes.attempts(ocpi, put, url, headers)
            return error
