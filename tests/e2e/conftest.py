"""Browser tests: a real `csms` server in a subprocess and Debian's chromium driven by Playwright.

The portal's Content-Security-Policy forbids eval, and Playwright's ``page.wait_for_function`` evaluates its
predicate with eval inside the page: wait with selectors instead (``:has-text(...)``, ``locator.nth(n).wait_for()``).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support import csms_serve

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def live_server() -> Iterator[str]:
    """`csms serve` on a free port, sharing the test database (already migrated)."""
    ARTIFACTS.mkdir(exist_ok=True)
    log_path = ARTIFACTS / f"live-server-{os.environ.get('CSMS_TEST_MODE', 'local')}.log"
    with log_path.open("w") as log, csms_serve({**os.environ, "PYTHONUNBUFFERED": "1"}, log) as base:
        yield base


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        instance = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield instance
        await instance.close()


@pytest.fixture
async def page(browser: Any, live_server: str) -> AsyncIterator[Any]:
    context = await browser.new_context(base_url=live_server, viewport={"width": 1400, "height": 900})
    tab = await context.new_page()
    yield tab
    await context.close()


async def screenshot(page: Any, name: str) -> Path:
    """Screenshots land in test-artifacts/ for a human to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}-{os.environ.get('CSMS_TEST_MODE', 'local')}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path


async def browser_login(page: Any, email: str, password: str) -> None:
    await page.goto("/login")
    await page.fill("input[name=email]", email)
    await page.fill("input[name=password]", password)
    await page.click("button[type=submit]")
    await page.wait_for_selector("[data-testid=logout]")


def ws_url_of(live_server: str) -> str:
    """The OCPP endpoint of the live server, for simulated stations."""
    return live_server.replace("http://", "ws://") + "/ocpp"


async def german_login(page: Any, email: str, password: str) -> None:
    await browser_login(page, email, password)
    await page.click("[data-testid=lang-de]")
    await page.wait_for_selector("html[lang=de]")
