"""Helpers of the driver group tests: a location, and walking the creation wizard's steps as the browser does."""

from __future__ import annotations

import re
from typing import Any

import httpx

from core.infrastructure import locations
from tests.support import TenantCtx, post_form

DRAFT = re.compile(r'name="draft" value="([^"]+)"')


async def location(ctx: TenantCtx, name: str) -> dict[str, Any]:
    return await locations.create_location(
        ctx.actor, {"name": name, "address": "Hauptstr. 1", "postal_code": "80331", "city": "München",
                    "country": "DEU", "latitude": "48.1", "longitude": "11.5"})  # fmt: skip


def draft_of(page: httpx.Response) -> str:
    found = DRAFT.search(page.text)
    assert found, page.text
    return found.group(1)


def step_of(page: httpx.Response) -> str:
    found = re.search(r'data-testid="step-(\w+)"', page.text)
    assert found, page.text
    return found.group(1)


async def post_step(client: httpx.AsyncClient, page: httpx.Response, go: str, fields: dict[str, Any]) -> httpx.Response:
    """The step shown on ``page`` posted with ``fields`` and the draft it carries."""
    data = {"step": step_of(page), "draft": draft_of(page), "go": go, **fields}
    return await post_form(client, "/driver-groups/new", data)


async def create_through_steps(client: httpx.AsyncClient, name: str, kind: str, tariff: dict[str, str],
                               scope: dict[str, Any]) -> httpx.Response:  # fmt: skip
    """Steps 1 to 3 with the given fields, then "create" on the summary (the answer to that post)."""
    page = await client.get("/driver-groups/new")
    for fields in ({"name": name, "kind": kind}, tariff, scope):
        page = await post_step(client, page, "next", fields)
        assert page.status_code == 200, page.text
    assert step_of(page) == "summary"
    return await post_form(client, "/driver-groups", {"draft": draft_of(page)}, follow_redirects=False)
