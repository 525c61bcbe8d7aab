"""The driver's receipts (issue 15): ``/pay/receipt/{token}`` (the address in the receipt mail and on the finished
charge's page) and the public lookup "Beleg anfordern" at ``/pay/receipt``.

No login. The receipt's address holds a random token stored with the payment. The lookup is throttled per address
(core.attempts, like paying) and answers "nothing found" and "too many attempts" with the same neutral page, so
that it tells nobody whether a charge exists beyond the one receipt asked for. Rules in core.payments.receipts.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect

from core import attempts
from core.errors import ValidationError
from core.payments import receipts
from portal.auth import client_address
from portal.templating import render

AnyRequest = Request[Any, Any, Any]
LOOKUP_ATTEMPTS = 10  # lookups one address may make ...
LOOKUP_WINDOW = 600.0  # ... within this many seconds
FIELDS = ("evse_id", "date", "amount", "last4")


def _lookup_page(request: AnyRequest, values: dict[str, str], errors: dict[str, Any], *, neutral: bool = False,
                 status_code: int = 200) -> Response[str]:  # fmt: skip
    context = {"next": "/pay/receipt", "values": values, "errors": errors, "neutral": neutral}
    return render(request, "pay/receipt_lookup.html", context, status_code=status_code)


class DriverReceiptController(Controller):
    path = "/pay/receipt"
    include_in_schema = False

    @get("/")
    async def lookup_form(self, request: AnyRequest) -> Response[str]:
        return _lookup_page(request, {}, {})

    @post("/")
    async def lookup(self, request: AnyRequest) -> Response[Any]:
        form = await request.form()
        values = {name: str(form.get(name, ""))[:100] for name in FIELDS}
        (count,) = await attempts.store().add([f"receipt:{client_address(request)}"], LOOKUP_WINDOW)
        try:
            query = receipts.parse_lookup(values["evse_id"], values["date"], values["amount"], values["last4"],
                                          datetime.now(UTC).date())  # fmt: skip
        except ValidationError as exc:
            return _lookup_page(request, values, exc.errors, status_code=400)
        found = None if count.count > LOOKUP_ATTEMPTS else await receipts.find_receipt(query)
        if found is None:  # no match and throttled look the same
            return _lookup_page(request, values, {}, neutral=True)
        return Redirect(receipts.receipt_path(found.token), status_code=303)

    @get("/{token:str}")
    async def receipt(self, request: AnyRequest, token: str) -> Response[str]:
        found = await receipts.receipt_by_token(token)
        if found is None:
            return render(request, "pay/receipt_not_found.html", {"next": "/pay/receipt"}, status_code=404)
        return render(request, "pay/receipt.html", {"next": request.url.path, "receipt": found})
