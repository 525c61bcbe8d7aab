"""Bulk import of stations and charge points from CSV: upload, preview, choose, progress."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.response import Redirect

from core import jobs
from core.errors import Message, ValidationError
from core.infrastructure import bulk_import
from core.infrastructure.bulk_import import ImportMode, JobStatus
from core.tenancy.permissions import Permission
from portal.auth import actor_of, requires
from portal.templating import is_htmx, render

URL = "/infrastructure/imports"
PREVIEW_VALID_ROWS = 20  # valid rows shown besides every invalid one
PREVIEW_MAX_ROWS = 500

AnyRequest = Request[Any, Any, Any]


async def _job_page(request: AnyRequest, job_id: int, errors: dict[str, Any] | None = None) -> Response[str]:
    actor = actor_of(request)
    job = await bulk_import.get_job(actor, job_id)
    context: dict[str, Any] = {"job": job, "errors": errors or {}, "threshold": bulk_import.BACKGROUND_THRESHOLD}
    if job["status"] == JobStatus.PREVIEW:
        parsed = await bulk_import.preview_rows(actor, job_id)
        warned = sum(1 for row in parsed.valid_rows if row.warnings)
        # Rows with warnings come first among the valid rows: staff decide whether to import them.
        valid = sorted(parsed.valid_rows, key=lambda row: not row.warnings)[
            : PREVIEW_VALID_ROWS + min(warned, PREVIEW_MAX_ROWS)
        ]
        context["rows"] = sorted(parsed.invalid_rows[:PREVIEW_MAX_ROWS] + valid, key=lambda row: row.line)
        context["columns"] = list(parsed.rows[0].values) if parsed.rows else []
        context["file_errors"] = parsed.file_errors
        context["hidden_valid"] = len(parsed.valid_rows) - len(valid)
        context["warned"] = warned
    status = 400 if errors and not is_htmx(request) else 200
    return render(request, "infrastructure/imports_job.html", context, status_code=status)


class ImportController(Controller):
    path = URL
    guards = [requires(Permission.INFRASTRUCTURE_VIEW, Permission.INFRASTRUCTURE_MANAGE)]

    @get("/", name="infra_imports")
    async def index(self, request: AnyRequest) -> Response[str]:
        return await self._index(request, {})

    async def _index(self, request: AnyRequest, errors: dict[str, Any], status_code: int = 200) -> Response[str]:
        jobs = await bulk_import.list_jobs(actor_of(request))
        context = {"jobs": jobs, "errors": errors, "help": bulk_import.COLUMN_HELP, "values": bulk_import.COLUMN_VALUES,
                   "required": bulk_import.REQUIRED_COLUMNS, "threshold": bulk_import.BACKGROUND_THRESHOLD}  # fmt: skip
        return render(request, "infrastructure/imports.html", context, status_code=status_code)

    @get("/template.csv")
    async def template(self) -> Response[str]:
        return Response(
            bulk_import.template_csv(),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="csms-import-template.csv"'},
        )

    @post("/", status_code=303)
    async def upload(self, request: AnyRequest) -> Response[Any]:
        form = await request.form()
        upload = form.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            return await self._index(request, {"file": Message("Choose a CSV file.")}, status_code=400)
        data = await upload.read()
        try:
            job = await bulk_import.create_job(actor_of(request), upload.filename, data)
        except ValidationError as exc:
            return await self._index(request, dict(exc.errors), status_code=400)
        return Redirect(f"{URL}/{job['id']}", status_code=303)

    @get("/{job_id:int}", name="infra_import")
    async def job(self, request: AnyRequest, job_id: int) -> Response[str]:
        return await _job_page(request, job_id)

    @get("/{job_id:int}/progress")
    async def progress(self, request: AnyRequest, job_id: int) -> Response[str]:
        job = await bulk_import.get_job(actor_of(request), job_id)
        finished = job["status"] in (JobStatus.DONE, JobStatus.FAILED)
        headers = {"HX-Refresh": "true"} if finished else None
        # Opened as a plain link (not by the HTMX poller) it renders the whole job page, which needs ``errors``.
        context = {"job": job, "errors": {}}
        return render(request, "infrastructure/imports_job.html", context, block="progress", headers=headers)

    @post("/{job_id:int}/run", status_code=303)
    async def run(self, request: AnyRequest, job_id: int) -> Response[Any]:
        form = await request.form()
        actor = actor_of(request)
        try:
            mode = ImportMode(str(form.get("mode", "")))
            job = await bulk_import.choose_mode(actor, job_id, mode)
        except ValueError:
            return await _job_page(request, job_id, {"mode": Message("Choose one of the offered values.")})
        except ValidationError as exc:
            return await _job_page(request, job_id, dict(exc.errors))
        if bulk_import.runs_in_background(job, mode):
            jobs.enqueue("bulk_import.run", job_id)
        else:
            await bulk_import.run_job(job_id)
        return Redirect(f"{URL}/{job_id}", status_code=303)
