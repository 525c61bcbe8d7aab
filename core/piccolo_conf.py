"""Piccolo configuration: the engine comes from DATABASE_URL."""

from __future__ import annotations

from urllib.parse import unquote, urlparse

from piccolo.conf.apps import AppRegistry
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine

from core.db import UnicodeConnection
from core.settings import get_settings


def make_engine(database_url: str) -> Engine:
    if database_url.startswith("sqlite:///"):
        path = database_url.removeprefix("sqlite:///")
        from pathlib import Path

        Path(path).parent.mkdir(parents=True, exist_ok=True)
        # A generous timeout: embedded mode has one writer at a time.
        return SQLiteEngine(path=path, timeout=30, factory=UnicodeConnection)
    url = urlparse(database_url)
    return PostgresEngine(
        config={
            "host": url.hostname or "127.0.0.1",
            "port": url.port or 5432,
            "user": unquote(url.username or "postgres"),
            "password": unquote(url.password or ""),
            "database": (url.path or "/csms").lstrip("/"),
        }
    )


DB = make_engine(get_settings().database_url)

APP_REGISTRY = AppRegistry(apps=["core.piccolo_app"])
