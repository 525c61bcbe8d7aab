"""Finds translatable strings (templates, Message(...), gettext(...)) without a translation."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir

ROOT = Path(__file__).resolve().parent.parent
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "Message": None}
METHOD_MAP = [("portal/templates/**.html", "jinja2"), ("core/**.py", "python"), ("portal/**.py", "python")]
OPTIONS = {"portal/templates/**.html": {"extensions": "jinja2.ext.i18n"}}


def used_msgids() -> set[str]:
    found: set[str] = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map=METHOD_MAP, options_map=OPTIONS, keywords=KEYWORDS
    ):
        if isinstance(message, tuple):
            found.add(message[0])  # a plural entry is one catalog entry, known by its singular
        elif message:
            found.add(message)
    from core.access.cards import OUTCOME_LABELS
    from core.access.driver_groups import KIND_HELP, KIND_LABELS, MODE_LABELS
    from core.infrastructure.specs import STATUS_GROUPS
    from core.tenancy.permissions import CATALOGUE

    found.update(info.label for info in CATALOGUE)
    found.update(info.area for info in CATALOGUE)
    found.update(label for label, _ in STATUS_GROUPS.values())
    for labels in (KIND_LABELS, KIND_HELP, MODE_LABELS, OUTCOME_LABELS):
        found.update(labels.values())
    return found


def missing_translations(language: str) -> list[str]:
    from portal.i18n import translations

    catalog = getattr(translations(language), "_catalog", {})
    known = {key[0] if isinstance(key, tuple) else key for key in catalog}
    return sorted(m for m in used_msgids() if m not in known and not m.startswith("%("))
