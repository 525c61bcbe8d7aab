"""The raw-code scan of the browser page walk (tests/e2e/raw_codes.py) finds codes and leaves names alone."""

from __future__ import annotations

from tests.e2e.raw_codes import find


def _codes(*texts: str, language: str = "de") -> list[str]:
    return [finding.split("'")[1] for finding in find(list(texts), language=language)]


def test_the_codes_the_issue_names_are_found() -> None:
    found = _codes(
        "UNKNOWN", "AVAILABLE Available", "Accepted", "tariff_assign", "ac_energy_per_kwh",
        "infrastructure.view", "attributes: {}",
    )  # fmt: skip
    assert found == ["UNKNOWN", "AVAILABLE", "Available", "Accepted", "tariff_assign", "ac_energy_per_kwh",
                     "infrastructure.view", "{}"]  # fmt: skip


def test_names_that_look_like_codes_are_allowed() -> None:
    assert _codes(
        "DE*ISE*E12345*1", "GAST-0001", "REST-API", "OCPP 1.6", "EVSE-ID", "stations.csv", "360.SUPPORT",
        "admin@cpo.example", "https://csms.example.com/ocpp", "/infrastructure/overview", "CPO20261206120000",
        "Verfügbar", "Ladepunkte",
    ) == []  # fmt: skip


def test_english_pages_may_use_the_words_that_are_codes_in_german_ones() -> None:
    assert _codes("Available", language="en") == []
    assert _codes("Available", language="de") == ["Available"]
