"""Bulk imports of locations, stations and charge points from CSV files."""

from __future__ import annotations

from piccolo.columns import JSON, ForeignKey, Integer, OnDelete, Serial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from core.tables import StaffUser, Tenant


class ImportJob(Table):
    """One uploaded file: its text is kept so that a background job can import it later."""

    id: Serial
    tenant = ForeignKey(references=Tenant, on_delete=OnDelete.cascade, index=True)
    user = ForeignKey(references=StaffUser, null=True, on_delete=OnDelete.set_null)
    filename = Varchar(length=255, default="")
    content = Text(default="")
    mode = Varchar(length=10, default="")  # "all" | "valid" once the user chose
    status = Varchar(length=12, default="PREVIEW")  # core.bulk_import.JobStatus
    total = Integer(default=0)  # rows to import
    done = Integer(default=0)
    valid = Integer(default=0)
    invalid = Integer(default=0)
    errors = JSON(default=[])  # [{"row": n, "field": name, "message": msgid, "params": {...}}]
    created = JSON(default={})  # {"locations": n, "stations": n, "charge_points": n}
    created_at = Timestamptz(default=TimestamptzNow())
    finished_at = Timestamptz(null=True, default=None)
