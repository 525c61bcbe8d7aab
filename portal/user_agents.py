"""A browser's User-Agent in words ("Firefox on Windows"), for the profile's list of sessions."""

from __future__ import annotations

import re

from core.errors import Message

# The first match wins: Edge and Opera also call themselves Chrome, Chrome also calls itself Safari.
_BROWSERS = (
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("FxiOS/", "Firefox"),
    ("CriOS/", "Chrome"),
    ("HeadlessChrome/", "Chrome"),
    ("Chromium/", "Chromium"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)
_SYSTEMS = (
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Android", "Android"),
    ("CrOS", "ChromeOS"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("Macintosh", "macOS"),
    ("Linux", "Linux"),
)
_PRODUCT = re.compile(r"^([A-Za-z][\w.-]{0,40})/")


def describe(user_agent: str) -> Message:
    browser = next((name for token, name in _BROWSERS if token in user_agent), None)
    system = next((name for token, name in _SYSTEMS if token in user_agent), None)
    if browser and system:
        return Message("%(browser)s on %(system)s", {"browser": browser, "system": system})
    if browser:
        return Message(browser)
    product = _PRODUCT.match(user_agent)
    if product and not product.group(1).startswith("Mozilla"):
        return Message("Program: %(name)s", {"name": product.group(1)})  # curl, a script's HTTP library ...
    return Message("Unknown browser")
