"""The pure rules of login throttling (core.tenancy.logins) and the browser names of the session list."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.errors import Throttled
from core.tenancy.logins import account_delay, check_window, device_token, trusted_device
from portal.user_agents import describe


def test_the_account_delay_starts_at_the_limit_and_doubles_up_to_the_longest() -> None:
    delays = [account_delay(failures, 5, 900) for failures in range(12)]
    assert delays == [0, 0, 0, 0, 0, 30, 60, 120, 240, 480, 900, 900]
    assert account_delay(10_000, 5, 900) == 900


def test_the_window_throttles_until_the_oldest_counted_failure_leaves_it() -> None:
    now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    window = timedelta(minutes=15)
    newest_first = [now - timedelta(minutes=m) for m in (1, 2, 10)]
    check_window(newest_first[:2], 3, window, now)  # below the limit
    with pytest.raises(Throttled) as raised:
        check_window(newest_first, 3, window, now)
    assert raised.value.retry_after == 5 * 60
    with pytest.raises(Throttled) as almost:
        check_window([now - window + timedelta(seconds=0.2)] * 3, 3, window, now)
    assert almost.value.retry_after == 1  # rounded up, never 0


def test_a_device_token_proves_only_the_login_it_was_issued_for() -> None:
    token = device_token(42)
    assert trusted_device(token, 42) and trusted_device(token, 42) == trusted_device(token, 42)
    assert trusted_device(token, 43) == ""
    user, nonce, mac = token.split(".")
    assert trusted_device(f"43.{nonce}.{mac}", 43) == ""
    assert trusted_device(f"{user}.{nonce}x.{mac}", 42) == ""
    assert trusted_device("", 42) == "" and trusted_device("42", 42) == "" and trusted_device("42..", 42) == ""
    assert device_token(42) != token


@pytest.mark.parametrize(
    ("agent", "words"),
    [
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0", "Firefox on Windows"),
        ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 "
         "Safari/605.1.15", "Safari on macOS"),
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 "
         "Safari/537.36 Edg/126.0.0.0", "Edge on Windows"),
        ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile "
         "Safari/537.36", "Chrome on Android"),
        ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
         "CriOS/126.0 Mobile/15E148 Safari/604.1", "Chrome on iPhone"),
        ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/126.0 Safari/537.36",
         "Chrome on Linux"),
        ("python-httpx/0.27.0", "Program: python-httpx"),
        ("", "Unknown browser"),
        ("Mozilla/5.0 (compatible)", "Unknown browser"),
    ],
)  # fmt: skip
def test_a_user_agent_in_words(agent: str, words: str) -> None:
    assert describe(agent).render() == words
