"""GetDiagnostics uploads: the file a station sends to the address of its command, stored and read back.
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime
from pathlib import Path

from core.commands.running import get_command
from core.commands.tables import CommandRecord
from core.errors import NotFound
from core.settings import get_settings
from core.tenancy.actor import Actor
from core.tenancy.permissions import Permission


def _now() -> datetime:
    return datetime.now(UTC)


MAX_UPLOAD_BYTES = 100 * 1024 * 1024


def diagnostics_dir() -> Path:
    return get_settings().var_dir / "diagnostics"


def _safe_name(name: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9._-]", "_", Path(name or "").name)[:200].lstrip(".")
    return cleaned or "diagnostics"


async def store_diagnostics_upload(token: str, filename: str, data: bytes) -> bool:
    """A station uploads the file of a GetDiagnostics; False when the token belongs to no command."""
    if not token or len(token) > 64:
        return False
    row = await CommandRecord.select(CommandRecord.id, CommandRecord.result).where(
        (CommandRecord.upload_token == token) & (CommandRecord.action == "GetDiagnostics")
    ).output(load_json=True).first()
    if row is None:
        return False
    name = _safe_name(filename or (row["result"] or {}).get("fileName", ""))
    folder = diagnostics_dir()
    await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
    await asyncio.to_thread((folder / f"{row['id']}.bin").write_bytes, data)
    await CommandRecord.update(
        {CommandRecord.upload_name: name, CommandRecord.upload_size: len(data), CommandRecord.uploaded_at: _now()}
    ).where(CommandRecord.id == row["id"])
    return True


async def diagnostics_file(actor: Actor, record_id: int) -> tuple[Path, str]:
    """The uploaded diagnostics file of a command of the actor's tenants: (path, file name)."""
    actor.require(Permission.OPERATIONS_TAB)
    row = await get_command(actor, record_id)
    path = diagnostics_dir() / f"{record_id}.bin"
    if row["uploaded_at"] is None or not path.exists():
        raise NotFound("diagnostics")
    return path, row["upload_name"] or "diagnostics"
