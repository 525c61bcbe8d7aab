"""The portal's Content-Security-Policy (portal/security_headers.py) allows no inline script or style and no eval:
no template may need them. The browser test (tests/e2e/test_security_browser.py) watches the main pages; this
reads every template, also those no browser test opens."""

from __future__ import annotations

import re

from portal.templating import TEMPLATE_DIR

FORBIDDEN = {
    "inline <script>": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I),
    "<style> element": re.compile(r"<style\b", re.I),
    "style= attribute": re.compile(r"\sstyle\s*=", re.I),
    "on...= handler": re.compile(r"\son[a-z]+\s*=", re.I),
    "hx-on (eval)": re.compile(r"\bhx-on\b", re.I),
    "js: or javascript: (eval)": re.compile(r"""['"]\s*(js|javascript):""", re.I),
    "htmx event filter (eval)": re.compile(r"""hx-trigger\s*=\s*["'][^"']*\[""", re.I),
}


def test_no_template_needs_inline_script_style_or_eval() -> None:
    found = []
    for path in sorted(TEMPLATE_DIR.rglob("*.html")):
        text = re.sub(r"\{#.*?#\}", "", path.read_text(), flags=re.S)  # comments may talk about them
        for what, pattern in FORBIDDEN.items():
            found += [f"{path.relative_to(TEMPLATE_DIR)}: {what}: {m.group(0)!r}" for m in pattern.finditer(text)]
    assert found == []


def test_the_check_finds_what_it_looks_for() -> None:
    samples = {
        "inline <script>": "<script>alert(1)</script>",
        "<style> element": "<style>p{}</style>",
        "style= attribute": '<p style="color:red">',
        "on...= handler": '<a onclick="x()">',
        "hx-on (eval)": '<a hx-on:click="x()">',
        "js: or javascript: (eval)": """<a hx-vals='js:{"a": 1}'>""",
        "htmx event filter (eval)": '<input hx-trigger="keyup[key==\'Enter\']">',
    }
    for what, sample in samples.items():
        assert FORBIDDEN[what].search(sample), what
    assert not FORBIDDEN["inline <script>"].search('<script src="/static/portal.js" defer></script>')
