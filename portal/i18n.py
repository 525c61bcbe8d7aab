"""Translations (Babel catalogs under portal/locale) and the request's language.

The .po files are the source; they are compiled in memory at start-up so that no
binary catalogs have to be committed.
"""

from __future__ import annotations

import io
from contextvars import ContextVar
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = ("de", "en")

current_language: ContextVar[str] = ContextVar("current_language", default="de")


def catalog_files(language: str) -> list[Path]:
    """One .po file per portal area, so that areas are translated without touching each other."""
    return sorted((LOCALE_DIR / language / "LC_MESSAGES").glob("*.po"))


@cache
def translations(language: str) -> NullTranslations:
    merged: Translations | None = None
    for po_path in catalog_files(language):
        with po_path.open("rb") as handle:
            catalog = read_po(handle, locale=language)
        buffer = io.BytesIO()
        write_mo(buffer, catalog)
        buffer.seek(0)
        part = Translations(fp=buffer)
        if merged is None:
            merged = part
        else:
            merged.merge(part)
    return merged if merged is not None else NullTranslations()


def gettext(message: str) -> str:
    return translations(current_language.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(current_language.get()).ngettext(singular, plural, n)


def pick_language(*candidates: str | None) -> str:
    for candidate in candidates:
        if candidate and candidate[:2] in LANGUAGES:
            return candidate[:2]
    return "de"


def accept_language(header: str) -> str | None:
    for part in header.split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return None


def number(value: Any, digits: int = 2) -> str:
    if value is None or value == "":
        return ""
    locale = "de_DE" if current_language.get() == "de" else "en_GB"
    return format_decimal(Decimal(str(value)), format=f"#,##0.{'0' * digits}" if digits else "#,##0", locale=locale)
