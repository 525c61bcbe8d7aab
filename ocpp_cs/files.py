"""Where stations upload files: the GetDiagnostics location ``{PUBLIC_URL}/station-files/diagnostics/<token>``.

HTTP PUT (raw body) and POST (raw body or multipart form with one file) are accepted, also with a file name
appended to the URL (``.../<token>/<file name>``), as stations do with a directory-like location. FTP is not
supported: csms hands out an http(s) location, which OCPP 1.6 allows. The token is unguessable and belongs
to one GetDiagnostics command; the file is stored by core.commands under CSMS_VAR_DIR and only staff of the
station's tenant can download it from the portal.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, route
from litestar.datastructures import UploadFile

from core.commands.diagnostics import MAX_UPLOAD_BYTES, store_diagnostics_upload

AnyRequest = Request[Any, Any, Any]


async def _receive(request: AnyRequest, token: str, filename: str) -> Response[str]:
    content_type = request.headers.get("content-type", "")
    data: bytes | None = None
    if request.method == "POST" and content_type.startswith("multipart/form-data"):
        form = await request.form()
        for value in form.values():
            if isinstance(value, UploadFile):
                data = await value.read()
                filename = filename or value.filename or ""
                break
        if data is None:
            return Response("no file in the upload", status_code=400, media_type="text/plain")
    else:
        data = await request.body()
    if not await store_diagnostics_upload(token, filename, data):
        return Response("unknown upload location", status_code=404, media_type="text/plain")
    return Response("stored", status_code=201 if request.method == "PUT" else 200, media_type="text/plain")


_OPTIONS: dict[str, Any] = {
    "http_method": ["PUT", "POST"],
    "request_max_body_size": MAX_UPLOAD_BYTES,
    "include_in_schema": False,
}


@route("/station-files/diagnostics/{token:str}", **_OPTIONS)
async def diagnostics_upload(request: AnyRequest, token: str) -> Response[str]:
    return await _receive(request, token, "")


@route("/station-files/diagnostics/{token:str}/{filename:str}", **_OPTIONS)
async def diagnostics_upload_named(request: AnyRequest, token: str, filename: str) -> Response[str]:
    return await _receive(request, token, filename)


HANDLERS: list[Any] = [diagnostics_upload, diagnostics_upload_named]
