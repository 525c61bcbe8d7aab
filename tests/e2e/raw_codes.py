"""Raw codes on a rendered page: what a person reads must be a translated label, never a stored code.

The browser collects the visible text of a page (and the labels of its select options), leaving out what is
marked as code on purpose (``<code>``, ``<pre>``, ``<kbd>``, ``<samp>``: protocol logs, ids to copy); ``find``
then looks for what codes look like: UPPER_SNAKE and all-caps status words, dotted permission codes, snake_case
field names, empty JSON objects, and in German pages the English words of the OCPP enumerations.
"""

from __future__ import annotations

import re
from typing import Any

# Visible text nodes (and option labels), joined per element, without the parts marked as code.
VISIBLE_TEXT = """() => {
  const skip = "code, pre, kbd, samp, script, style, template, noscript, svg";
  const texts = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    const text = node.nodeValue.trim();
    if (!text || !parent || parent.closest(skip)) continue;
    const inSelect = parent.closest("select");
    if (!inSelect && !parent.checkVisibility({visibilityProperty: true, opacityProperty: false})) continue;
    texts.push(text);
  }
  document.querySelectorAll("optgroup[label], input[placeholder]:not([type=hidden])").forEach(
    (el) => texts.push(el.getAttribute("label") || el.getAttribute("placeholder")));
  return texts;
}"""

# Words that are written in capitals in German and English texts: units, protocols, standards, country and
# currency codes, abbreviations staff know.
ALLOWED_CAPITALS = frozenset(
    ("EVSE", "OCPP", "OCPI", "OCMF", "RFID", "JSON", "HTTP", "HTTPS", "IBAN", "BDEW", "SOAP", "CSMS", "UUID", "XLSX",
     "MESZ", "CEST", "EMAID")
)  # fmt: skip
# Names that are written like codes: the product "360.SUPPORT" (seed manuals), the setting PUBLIC_URL that an
# operator is told to set.
ALLOWED_NAMES = re.compile(r"\b360\.SUPPORT\b|\bPUBLIC_URL\b")
_EVSE_ID = re.compile(r"\b[A-Z]{2}\*?[A-Z0-9]{3}\*?E[A-Z0-9*]+\b")  # DE*ISE*E12345*1 and its forms
# E-mail and web addresses, paths and file names: they are names, whatever they look like.
_ADDRESSES = re.compile(
    r"\S+@\S+|\b\w+://\S+|(?:/[\w.-]+)+/?|\b[\w-]+(?:\.[\w-]+)*\.(?:test|example|de|com|org|io|net)\b"
    r"|\b[\w-]+\.(?:csv|json|pdf|xlsx|txt|log|zip|tar\.gz)\b"
)
# UPPER_SNAKE, and all-caps words of four letters or more that are not part of an id such as GAST-0001 or a
# compound such as REST-API.
_CAPITALS = re.compile(r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b|(?<![\w*-])[A-Z]{4,}(?![\w*-])")
_DOTTED = re.compile(r"\b[a-z]+(?:_[a-z]+)*\.[a-z]+(?:_[a-z]+)*\b")
_SNAKE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
_EMPTY_JSON = re.compile(r"\{\s*\}|\[\s*\]")
# OCPP 1.6 values (status, registration, authorization, command answers) that are plain English words: in a
# German page they can only be a code shown as it came from the station.
OCPP_WORDS = frozenset(
    ("Available", "Preparing", "Charging", "SuspendedEVSE", "SuspendedEV", "Finishing", "Reserved", "Unavailable",
     "Faulted", "Accepted", "Rejected", "Pending", "Blocked", "Expired", "Invalid", "ConcurrentTx", "NotSupported",
     "RebootRequired", "Scheduled", "NotImplemented", "Unlocked", "UnlockFailed", "Inoperative", "Operative",
     "GroundFailure", "OtherError", "NoError", "InternalError", "Downloaded", "Installed", "Uploaded", "Idle")
)  # fmt: skip
_WORDS = re.compile(r"\b[A-Za-z]+\b")


def find(texts: list[str], *, language: str) -> list[str]:
    """The raw codes in ``texts`` (each with the text it stands in), at most one finding per code."""
    found: dict[str, str] = {}
    for text in texts:
        plain = ALLOWED_NAMES.sub(" ", _ADDRESSES.sub(" ", _EVSE_ID.sub(" ", text)))
        codes = [m for m in _CAPITALS.findall(plain) if m not in ALLOWED_CAPITALS]
        codes += _DOTTED.findall(plain) + _SNAKE.findall(plain) + _EMPTY_JSON.findall(plain)
        if language == "de":
            codes += [w for w in _WORDS.findall(plain) if w in OCPP_WORDS]
        for code in codes:
            found.setdefault(code, text[:100])
    return [f"{code!r} in {text!r}" for code, text in found.items()]


async def raw_codes(page: Any) -> list[str]:
    language = await page.evaluate("() => document.documentElement.lang")
    return find(await page.evaluate(VISIBLE_TEXT), language=language)
