"""core.roaming.cdr_push.CdrLink over HTTP: a new CDR POSTed to the partner's CDRs receiver (OCPI mod_cdrs), with the
routing headers from the CPO party to the eMSP whose token charged; the request is in the partner's OCPI log."""

from __future__ import annotations

from typing import Any

from core.roaming.charged import ChargedCdr
from core.roaming.connections import LinkFailed
from core.roaming.partners import endpoint_url
from hub.client import OcpiClient
from hub.mapping.cdrs import cdr_object


class HubCdrLink:
    def __init__(self, transport: Any = None) -> None:
        self.transport = transport

    async def post_cdr(self, partner: dict[str, Any], cdr: ChargedCdr) -> str | None:
        url = endpoint_url(partner, "cdrs", "RECEIVER")
        if url is None:
            return "the partner lists no CDRs receiver"
        body = cdr_object(cdr)
        token = body["cdr_token"]
        roles = partner.get("roles") or [{}]
        routing = {
            "OCPI-from-country-code": body["country_code"], "OCPI-from-party-id": body["party_id"],
            "OCPI-to-country-code": token.get("country_code") or str(roles[0].get("country_code", "")),
            "OCPI-to-party-id": token.get("party_id") or str(roles[0].get("party_id", "")),
        }  # fmt: skip
        try:
            answer = await OcpiClient(partner, transport=self.transport).request(
                "POST", url, "cdrs", json=body, routing=routing
            )
        except LinkFailed as exc:
            return str(exc)
        return None if answer.ok else f"POST {url}: {answer.failure()}"
