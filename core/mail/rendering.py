"""Mail texts from Jinja2 templates, one set per language (core/mail/templates/<language>/):

- ``<kind>.subject.txt``: the subject, one line (line breaks are folded into spaces);
- ``<kind>.txt``: the plain text body;
- ``<kind>.html``: the HTML body, usually extending ``_layout.html``; autoescaped.

Per-language files rather than the portal's Babel catalogs: those live in the portal, which core must not import,
and a mail is a whole text that reads better written in each language than assembled from msgids.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

TEMPLATE_DIR = Path(__file__).parent / "templates"
LANGUAGES = ("de", "en")
_KIND = re.compile(r"^[a-z][a-z0-9_]{0,59}$")


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    text: str
    html: str


def mail_language(*candidates: str | None, default: str = "de") -> str:
    """The first candidate that is a mail language (``de-AT`` counts as ``de``); else ``default``."""
    for candidate in candidates:
        code = (candidate or "")[:2].lower()
        if code in LANGUAGES:
            return code
    return default if default in LANGUAGES else "de"


@cache
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,  # a missing value is a bug of the caller, not an empty line in a customer's mail
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def kinds() -> list[str]:
    """The mail kinds with templates in every language."""
    names = [{p.name.removesuffix(".subject.txt") for p in (TEMPLATE_DIR / lang).glob("*.subject.txt")}
             for lang in LANGUAGES]  # fmt: skip
    return sorted(set.intersection(*names))


def render(kind: str, language: str, context: Mapping[str, Any]) -> RenderedMail:
    """The mail ``kind`` in ``language`` (de or en) with ``context``; ValueError for an unknown kind or language."""
    if not _KIND.match(kind):
        raise ValueError(f"not a mail kind: {kind!r}")
    if language not in LANGUAGES:
        raise ValueError(f"not a mail language: {language!r}")
    env = _environment()
    values = {**context, "language": language}
    subject = env.get_template(f"{language}/{kind}.subject.txt").render(values)
    return RenderedMail(
        subject=" ".join(subject.split())[:300],  # one header line: no CR/LF can reach the header
        text=env.get_template(f"{language}/{kind}.txt").render(values),
        html=env.get_template(f"{language}/{kind}.html").render(values),
    )
