"""Deterministic OCPI 2.2.1 Location objects as plain JSON, the same on every call and every machine.

The benchmark serves them from the extrawest peer and seeds csms with the same objects; tests can push or compare
a few. Standard library only (it runs in both virtualenvs). The objects avoid the fields extrawest-ocpi models
wrongly (README.md: ``status_schedule``, ``energy_mix``), so that extrawest accepts and serves every one.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

# Several CPO parties, as csms's CPO tenants would publish them (country code, party id, operator name).
PARTIES: tuple[tuple[str, str, str], ...] = (
    ("DE", "ISE", "Isar Energie"),
    ("DE", "BNW", "Berliner Netzwerk"),
    ("AT", "WIE", "Wien Laden"),
    ("DE", "HHL", "Hanse Laden"),
    ("CH", "ZHL", "Zürich Lädt"),
)
# city, postal code, ISO 3166 alpha-3 country, latitude, longitude, time zone
CITIES: tuple[tuple[str, str, str, float, float, str], ...] = (
    ("München", "80331", "DEU", 48.137154, 11.576124, "Europe/Berlin"),
    ("Berlin", "10115", "DEU", 52.520008, 13.404954, "Europe/Berlin"),
    ("Wien", "1010", "AUT", 48.208176, 16.373819, "Europe/Vienna"),
    ("Hamburg", "20095", "DEU", 53.551086, 9.993682, "Europe/Berlin"),
    ("Zürich", "8001", "CHE", 47.376888, 8.541694, "Europe/Zurich"),
    ("Köln", "50667", "DEU", 50.937531, 6.960279, "Europe/Berlin"),
    ("Graz", "8010", "AUT", 47.070714, 15.439504, "Europe/Vienna"),
)
STREETS = ("Hauptstraße", "Bahnhofstraße", "Schillerstraße", "Goethestraße", "Lindenallee", "Marktplatz",
           "Industriestraße", "Am Sportpark", "Parkring", "Kirchgasse")  # fmt: skip
PARKING = ("ON_STREET", "PARKING_LOT", "PARKING_GARAGE", "UNDERGROUND_GARAGE", "ALONG_MOTORWAY")
FACILITIES: tuple[list[str], ...] = (["SUPERMARKET"], ["RESTAURANT", "CAFE"], [], ["HOTEL"], ["MALL", "PARKING_LOT"])
STATUSES = ("AVAILABLE", "AVAILABLE", "CHARGING", "AVAILABLE", "OUTOFORDER", "AVAILABLE", "BLOCKED")
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


def _stamp(n: int) -> str:
    return (EPOCH + timedelta(seconds=n)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _connector(dc: bool, stamp: str) -> dict[str, Any]:
    if dc:
        return {"id": "1", "standard": "IEC_62196_T2_COMBO", "format": "CABLE", "power_type": "DC", "max_voltage": 920,
                "max_amperage": 200, "max_electric_power": 150000, "last_updated": stamp}  # fmt: skip
    return {"id": "1", "standard": "IEC_62196_T2", "format": "SOCKET", "power_type": "AC_3_PHASE",
            "max_voltage": 400, "max_amperage": 32, "max_electric_power": 22000, "last_updated": stamp}  # fmt: skip


def ocpi_location(n: int, parties: tuple[tuple[str, str, str], ...] = PARTIES, evses: int = 2) -> dict[str, Any]:
    """Location number ``n`` (0-based): party ``n % len(parties)``, ``evses`` EVSEs with one connector each."""
    country_code, party_id, operator = parties[n % len(parties)]
    city, postal_code, country, lat, lon, time_zone = CITIES[n % len(CITIES)]
    street = STREETS[(n // len(CITIES)) % len(STREETS)]
    location_id = f"LOC{n:07d}"
    stamp = _stamp(n)
    dc = n % 4 == 3  # every fourth site is a DC fast charger
    # Spread the sites over about 20 km around the city centre, deterministically.
    lat += ((n * 7919) % 2000 - 1000) / 10000
    lon += ((n * 104729) % 2000 - 1000) / 10000
    return {
        "country_code": country_code,
        "party_id": party_id,
        "id": location_id,
        "publish": True,
        "name": f"{city} {street} {n % 200 + 1}",
        "address": f"{street} {n % 200 + 1}",
        "city": city,
        "postal_code": postal_code,
        "country": country,
        "coordinates": {"latitude": f"{lat:.6f}", "longitude": f"{lon:.6f}"},
        "parking_type": PARKING[n % len(PARKING)],
        "evses": [
            {
                "uid": f"{location_id}-{k}",
                "evse_id": f"{country_code}*{party_id}*E{n:07d}*{k}",
                "status": STATUSES[(n + k) % len(STATUSES)],
                "capabilities": ["RFID_READER", "REMOTE_START_STOP_CAPABLE"] + (["CREDIT_CARD_PAYABLE"] if dc else []),
                "connectors": [_connector(dc, stamp)],
                "physical_reference": str(k),
                "last_updated": stamp,
            }
            for k in range(1, evses + 1)
        ],
        "operator": {"name": operator},
        "facilities": FACILITIES[n % len(FACILITIES)],
        "time_zone": time_zone,
        "opening_times": {"twentyfourseven": True},
        "last_updated": stamp,
    }


def ocpi_locations(
    count: int, parties: tuple[tuple[str, str, str], ...] = PARTIES, evses: int = 2
) -> Iterator[dict[str, Any]]:
    """The first ``count`` locations, in ``last_updated`` order (one second apart)."""
    for n in range(count):
        yield ocpi_location(n, parties, evses)
