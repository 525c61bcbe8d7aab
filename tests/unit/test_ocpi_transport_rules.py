"""OCPI transport rules without a server: paging query and headers, module of a path, token encoding, the
connection status a partner's state gives."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from core.roaming.paging import Window, page_in_memory
from core.roaming.partners import ConnectionStatus, connection_status
from hub.auth import encode_token, presented_token
from hub.envelope import OcpiError, Status, encode, envelope
from hub.modules import module_of
from hub.pagination import page_headers, parse_window

URL = "https://csms.example/ocpi/2.2.1/locations"


def test_the_window_is_capped_by_the_module_and_defaults_apply() -> None:
    assert parse_window({}, 100) == Window(0, 50)
    assert parse_window({"limit": "2000", "offset": "10"}, 100) == Window(10, 100)
    assert parse_window({"limit": "0"}, 20) == Window(0, 20)
    window = parse_window({"date_from": "2026-01-01T00:00:00Z", "date_to": "2026-02-01T00:00:00"}, 100)
    assert window.date_from == datetime(2026, 1, 1, tzinfo=UTC) and window.date_to == datetime(2026, 2, 1, tzinfo=UTC)


@pytest.mark.parametrize("query", [{"limit": "x"}, {"offset": "-1"}, {"date_from": "yesterday"}])
def test_bad_paging_parameters_are_2001(query: dict[str, str]) -> None:
    with pytest.raises(OcpiError) as caught:
        parse_window(query, 100)
    assert caught.value.status == Status.INVALID_PARAMETERS and caught.value.http_status == 200


def test_link_keeps_limit_and_dates_and_is_left_out_on_the_last_page() -> None:
    window = Window(100, 100, datetime(2016, 1, 1, tzinfo=UTC), datetime(2016, 12, 31, 23, 59, 59, tzinfo=UTC))
    headers = page_headers(URL, window, total=250, returned=100)
    assert headers["X-Total-Count"] == "250" and headers["X-Limit"] == "100"
    assert headers["Link"] == (
        f'<{URL}?offset=200&limit=100&date_from=2016-01-01T00%3A00%3A00Z&date_to=2016-12-31T23%3A59%3A59Z>; rel="next"'
    )
    last = page_headers(URL, Window(200, 100), total=250, returned=50)
    assert "Link" not in last and last["X-Limit"] == "100"


def test_module_of_a_path_below_ocpi() -> None:
    assert module_of("/versions/") == "versions"
    assert module_of("/2.2.1/") == "versions"
    assert module_of("/2.2.1/credentials/") == "credentials"
    assert module_of("/2.2.1/hubclientinfo/DE/ABC/") == "hubclientinfo"


def test_tokens_go_base64_unless_unencoded() -> None:
    assert encode_token("abc", False) == "Token YWJj"
    assert encode_token("abc", True) == "Token abc"
    assert presented_token("Token YWJj", False) == "abc"
    assert presented_token("Token abc", True) == "abc"


def test_the_envelope_has_the_four_fields() -> None:
    body = envelope([1], Status.SUCCESS, "ok")
    assert body["data"] == [1] and body["status_code"] == 1000 and body["status_message"] == "ok"
    assert body["timestamp"].endswith("Z")


def test_connection_status_follows_the_state_and_the_partners_report() -> None:
    assert connection_status({"state": "NEW"}) == ConnectionStatus.PLANNED
    assert connection_status({"state": "ENDED"}) == ConnectionStatus.SUSPENDED
    assert connection_status({"state": "REGISTERED", "client_status": ""}) == ConnectionStatus.CONNECTED
    assert connection_status({"state": "REGISTERED", "client_status": "OFFLINE"}) == ConnectionStatus.OFFLINE


def _objects(*specs: tuple[int, str]) -> list[tuple[datetime, str, str]]:
    return [(datetime(2026, 1, 1, 0, minute, tzinfo=UTC), ident, ident) for minute, ident in specs]


def test_a_page_in_memory_orders_by_last_updated_then_id_and_filters_dates() -> None:
    objects = _objects((2, "10"), (1, "9"), (1, "3"), (3, "1"))
    assert page_in_memory(objects, Window(0, 10)).items == ["3", "9", "10", "1"]
    window = Window(
        0, 10, date_from=datetime(2026, 1, 1, 0, 1, tzinfo=UTC), date_to=datetime(2026, 1, 1, 0, 3, tzinfo=UTC)
    )
    page = page_in_memory(objects, window)
    assert page.items == ["3", "9", "10"] and page.total == 3 and not page.more  # date_to exclusive
    first = page_in_memory(objects, Window(0, 2))
    assert first.items == ["3", "9"] and first.more and first.last == (objects[1][0], "9")


def test_the_cursor_neither_skips_nor_repeats_when_objects_move_to_the_end() -> None:
    objects = _objects((1, "1"), (1, "2"), (1, "3"), (1, "4"))
    first = page_in_memory(objects, Window(0, 2))
    assert first.items == ["1", "2"]
    moved = _objects((9, "1"), (1, "2"), (9, "3"), (1, "4"))
    # "1" (already read) and "3" (not yet read) changed: by offset "4" is skipped, by the cursor it is not.
    assert page_in_memory(moved, Window(2, 2)).items == ["1", "3"]
    rest = page_in_memory(moved, Window(2, 10, after=first.last))
    assert rest.items == ["4", "1", "3"]


def test_the_link_carries_the_cursor_and_follows_more_rather_than_the_offset() -> None:
    last = (datetime(2026, 1, 1, 0, 0, 0, 250000, tzinfo=UTC), "42")
    headers = page_headers(URL, Window(0, 2), total=2, returned=2, last=last, more=True)
    # To the microsecond: the stored last_updated has them, and the next page starts right after this object.
    assert headers["Link"] == f'<{URL}?offset=2&limit=2&after=2026-01-01T00%3A00%3A00.250000Z~42>; rel="next"'
    assert parse_window({"after": "2026-01-01T00:00:00.250000Z~42"}, 100).after == last
    assert "Link" not in page_headers(URL, Window(0, 2), total=5, returned=2, last=last, more=False)
    with pytest.raises(OcpiError):
        parse_window({"after": "nonsense"}, 100)


def test_prices_are_written_as_json_numbers() -> None:
    # OCPI's price fields are numbers; a string "0.3025" is refused by strict peers.
    body = encode(envelope({"price": Decimal("0.3025"), "vat": Decimal("19.0")}, Status.SUCCESS))
    assert b'"price":0.3025' in body and b'"vat":19.0' in body
