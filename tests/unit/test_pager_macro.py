"""The portal's one pager (macros.html ``pager``): previous and next keep the page's other parameters, and a
single page shows no pager."""

from __future__ import annotations

from portal.templating import build_environment

TEMPLATE = '{% from "macros.html" import pager %}{{ pager(page, pages, href) }}'


def render(page: int, pages: int, href: str) -> str:
    return build_environment().from_string(TEMPLATE).render(page=page, pages=pages, href=href)


def test_previous_and_next_keep_the_other_parameters() -> None:
    html = render(2, 3, "/billing?month=2026-11&")
    assert 'href="/billing?month=2026-11&amp;page=1" data-testid="prev-page"' in html
    assert 'href="/billing?month=2026-11&amp;page=3" data-testid="next-page"' in html


def test_the_first_page_has_no_previous_and_the_last_no_next() -> None:
    first, last = render(1, 2, "?"), render(2, 2, "?")
    assert 'data-testid="prev-page"' not in first and 'href="?page=2"' in first
    assert 'data-testid="next-page"' not in last and 'href="?page=1"' in last


def test_one_page_shows_no_pager() -> None:
    assert 'data-testid="pager"' not in render(1, 1, "?")
