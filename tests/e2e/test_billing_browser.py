"""The "Abrechnung" page in a real browser: the platform operator (the HUB tenant's admin) computes the preview of
a month, finalises it after the confirmation, downloads the CSV (semicolons, decimal comma, BOM); then a CPO sees
its own lines of that month and no operator action. Screenshots in test-artifacts/."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import browser_login, screenshot
from tests.integration.billing.helpers import fresh_month, installation

pytestmark = pytest.mark.browser
YEARS = 2015  # this module bills months from 2015 on


async def test_operator_previews_finalises_and_downloads_and_a_cpo_sees_its_lines(
    page: Any, live_server: str, unique: str
) -> None:
    month = fresh_month(YEARS)
    setup = await installation(month, unique)

    await browser_login(page, setup.hub.admin["email"], setup.hub.password)
    await page.click("[data-testid=nav-billing]")
    await page.fill("[data-testid=preview-month]", month.period)
    page.once("dialog", lambda dialog: dialog.accept())
    await page.click("[data-testid=preview-submit]")
    await page.wait_for_selector("[data-testid=flash]")
    assert await page.inner_text("[data-testid=month-status]") in ("Preview", "Vorschau")
    assert setup.cpo.tenant["name"] in await page.inner_text("[data-testid=billing-month]")
    await screenshot(page, "billing-preview")

    questions: list[str] = []

    async def answer(dialog: Any) -> None:
        questions.append(dialog.message)
        await dialog.accept()

    page.once("dialog", answer)
    await page.click("[data-testid=finalise]")
    await page.wait_for_selector("[data-testid=flash]")
    assert month.period in questions[0]
    assert await page.inner_text("[data-testid=month-status]") in ("Final", "Abgeschlossen")
    assert await page.locator("[data-testid=finalise]").count() == 0
    await screenshot(page, "billing-final")

    async with page.expect_download() as info:
        await page.click("[data-testid=billing-export]")
    download = await info.value
    content = await asyncio.to_thread(Path(await download.path()).read_bytes)
    assert download.suggested_filename == f"billing-{month.period}.csv"
    assert content.startswith(b"\xef\xbb\xbf") and b";" in content.splitlines()[0]
    assert f"D-{unique}-0".encode() in content and b"14,90" in content

    await page.click("[data-testid=logout]")
    await browser_login(page, setup.cpo.admin["email"], setup.cpo.password)
    await page.goto(f"/billing?month={month.period}")
    assert await page.locator("[data-testid=invoice-line]").count() == 2
    assert await page.locator("[data-testid=preview-submit]").count() == 0
    text = await page.inner_text("[data-testid=own-lines]")
    assert "360.SUPPORT" in text and "eOperate professional AC" in text
    await screenshot(page, "billing-cpo-lines")
