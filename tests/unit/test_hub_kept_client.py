"""hub.client.kept_client: a push run reuses the client (and so the open connections) of the partner's run before;
partners do not share one, and it keeps no cookies, which would otherwise go back with every later request."""

from __future__ import annotations

import contextlib

import httpx

from hub.client import kept_client, retire


def _answer_with_cookie() -> httpx.Response:
    request = httpx.Request("PATCH", "http://partner.example/ocpi/emsp/2.2.1/locations/DE/ABC/1")
    return httpx.Response(200, headers={"Set-Cookie": "session=abc; Path=/"}, request=request)


async def test_a_partner_keeps_its_client_from_block_to_block_and_partners_have_their_own() -> None:
    async with kept_client(1) as first:
        pass
    async with kept_client(1) as again:
        pass
    async with kept_client(2) as other:
        pass
    assert again is first and not first.is_closed
    assert other is not first


async def test_the_kept_client_stores_no_cookies() -> None:
    async with kept_client(3) as kept:
        kept.cookies.extract_cookies(_answer_with_cookie())
        assert len(kept.cookies.jar) == 0
    async with httpx.AsyncClient() as plain:  # what httpx does by default
        plain.cookies.extract_cookies(_answer_with_cookie())
        assert len(plain.cookies.jar) == 1


async def test_a_given_transport_gets_a_client_of_its_own_for_the_block() -> None:
    async with kept_client(4) as kept:
        pass
    async with kept_client(4, httpx.AsyncHTTPTransport()) as own:
        assert own is not kept
    assert own.is_closed and not kept.is_closed


async def test_a_retired_client_or_one_whose_block_failed_is_not_handed_out_again() -> None:
    async with kept_client(5) as first:
        pass
    await retire(5, first)
    async with kept_client(5) as second:
        pass
    assert first.is_closed and second is not first
    with contextlib.suppress(RuntimeError):
        async with kept_client(5) as failing:
            raise RuntimeError("the run failed")
    assert failing is second and second.is_closed
    async with kept_client(5) as third:
        assert third is not second and not third.is_closed
