"""The push plan (hub.pushes): from what was sent and what the partner sees now, the fewest requests OCPI allows."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

from core.roaming.pushes import Record
from hub.pushes import Step, digest, phases, plan_locations, plan_tariffs

AT = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)


def evse(uid: str, status: str = "AVAILABLE", power: int = 22000) -> dict[str, Any]:
    return {"uid": uid, "status": status, "capabilities": ["RFID_READER"], "last_updated": "2026-12-06T09:00:00Z",
            "connectors": [{"id": "1", "standard": "IEC_62196_T2", "format": "SOCKET", "power_type": "AC_3_PHASE",
                            "max_voltage": 400, "max_amperage": 32, "max_electric_power": power,
                            "last_updated": "2026-12-06T09:00:00Z"}]}  # fmt: skip


def location(*evses: dict[str, Any], name: str = "Markt", location_id: str = "7") -> dict[str, Any]:
    return {"country_code": "DE", "party_id": "ISE", "id": location_id, "publish": True, "name": name,
            "address": "Markt 1", "city": "Köln", "country": "DEU", "evses": list(evses),
            "last_updated": "2026-12-06T09:00:00Z"}  # fmt: skip


def sent_after(steps: list[Step], before: dict[str, Record] | None = None) -> dict[str, Record]:
    """What the records are once every step succeeded."""
    records = dict(before or {})
    for step in steps:
        for key in step.forget:
            records.pop(key, None)
        for record in step.store:
            records[record.key] = record
    return records


def requests(steps: list[Step]) -> list[tuple[str, str]]:
    return [(s.method, "/".join(s.path)) for s in steps]


def test_a_new_location_is_one_put_of_the_whole_location_and_then_nothing_is_sent_again() -> None:
    current = [location(evse("1"), evse("2"))]
    steps = plan_locations(current, {}, AT)
    assert requests(steps) == [("PUT", "DE/ISE/7")]
    assert steps[0].body == current[0]
    records = sent_after(steps)
    assert sorted(records) == ["E/DE/ISE/7/1", "E/DE/ISE/7/2", "L/DE/ISE/7"]
    assert all(r.location_id == 7 for r in records.values())
    assert plan_locations(current, records, AT) == []


def test_a_status_change_is_a_patch_of_the_evse_status_with_its_last_updated() -> None:
    records = sent_after(plan_locations([location(evse("1"), evse("2"))], {}, AT))
    changed = location(evse("1"), {**evse("2", "CHARGING"), "last_updated": "2026-12-06T09:05:00Z"})
    steps = plan_locations([changed], records, AT)
    assert requests(steps) == [("PATCH", "DE/ISE/7/2")]
    assert steps[0].body == {"status": "CHARGING", "last_updated": "2026-12-06T09:05:00Z"}
    assert plan_locations([changed], sent_after(steps, records), AT) == []


def test_a_new_time_alone_is_no_change() -> None:
    records = sent_after(plan_locations([location(evse("1"))], {}, AT))
    later = location({**evse("1"), "last_updated": "2026-12-06T11:00:00Z"})
    later["last_updated"] = "2026-12-06T11:00:00Z"
    assert plan_locations([later], records, AT) == []


def test_an_evse_whose_data_changed_is_put_and_a_new_evse_is_put() -> None:
    records = sent_after(plan_locations([location(evse("1"))], {}, AT))
    steps = plan_locations([location(evse("1", power=11000), evse("3"))], records, AT)
    assert requests(steps) == [("PUT", "DE/ISE/7/1"), ("PUT", "DE/ISE/7/3")]
    assert steps[0].body["connectors"][0]["max_electric_power"] == 11000


def test_a_change_of_the_location_itself_puts_the_whole_location() -> None:
    records = sent_after(plan_locations([location(evse("1"))], {}, AT))
    steps = plan_locations([location(evse("1", "CHARGING"), name="Marktplatz")], records, AT)
    assert requests(steps) == [("PUT", "DE/ISE/7")]
    assert sent_after(steps, records)["E/DE/ISE/7/1"].status == "CHARGING"


def test_an_evse_no_longer_seen_is_patched_removed_and_forgotten() -> None:
    records = sent_after(plan_locations([location(evse("1"), evse("2"))], {}, AT))
    steps = plan_locations([location(evse("1"))], records, AT)
    assert requests(steps) == [("PATCH", "DE/ISE/7/2")]
    assert steps[0].body == {"status": "REMOVED", "last_updated": "2026-12-06T10:00:00Z"}
    assert "E/DE/ISE/7/2" not in sent_after(steps, records)


def test_a_location_no_longer_seen_gets_every_evse_removed_then_publish_false() -> None:
    records = sent_after(plan_locations([location(evse("1"), evse("2"))], {}, AT))
    steps = plan_locations([], records, AT)
    assert requests(steps) == [("PATCH", "DE/ISE/7/1"), ("PATCH", "DE/ISE/7/2"), ("PATCH", "DE/ISE/7")]
    assert [s.body["status"] for s in steps[:2] if s.body] == ["REMOVED", "REMOVED"]
    assert steps[2].body == {"publish": False, "last_updated": "2026-12-06T10:00:00Z"}
    assert all(s.removal for s in steps)
    assert sent_after(steps, records) == {}
    # Seen again later: a new object for the partner, the whole location is PUT.
    assert requests(plan_locations([location(evse("1"))], {}, AT)) == [("PUT", "DE/ISE/7")]


def test_locations_never_sent_and_not_seen_need_nothing() -> None:
    assert plan_locations([], {}, AT) == []


def test_two_locations_are_planned_independently_in_id_order() -> None:
    first = location(evse("1"), location_id="12")
    second = location(evse("5"), location_id="3")
    records = sent_after(plan_locations([first], {}, AT))
    steps = plan_locations([first, second], records, AT)
    assert requests(steps) == [("PUT", "DE/ISE/3")]


def tariff(tariff_id: str, price: str = "0.40") -> dict[str, Any]:
    return {"country_code": "DE", "party_id": "ISE", "id": tariff_id, "currency": "EUR",
            "elements": [{"price_components": [{"type": "ENERGY", "price": price, "step_size": 1}]}],
            "last_updated": "2026-12-06T09:00:00Z"}  # fmt: skip


def test_tariffs_new_and_changed_are_put_and_those_no_longer_offered_deleted() -> None:
    records = sent_after(plan_tariffs([tariff("A-AC"), tariff("B-AC")], {}))
    assert sorted(records) == ["T/DE/ISE/A-AC", "T/DE/ISE/B-AC"]
    assert all(r.location_id is None for r in records.values())
    assert plan_tariffs([tariff("A-AC"), tariff("B-AC")], records) == []
    steps = plan_tariffs([tariff("A-AC", "0.45"), tariff("C-DC")], records)
    assert requests(steps) == [("PUT", "DE/ISE/A-AC"), ("PUT", "DE/ISE/C-DC"), ("DELETE", "DE/ISE/B-AC")]
    assert steps[2].body is None and steps[2].removal
    assert sorted(sent_after(steps, records)) == ["T/DE/ISE/A-AC", "T/DE/ISE/C-DC"]


def test_the_digest_ignores_last_updated_at_every_level_and_key_order() -> None:
    one = location(evse("1"))
    other = copy.deepcopy(one)
    other["evses"][0]["connectors"][0]["last_updated"] = "2030-01-01T00:00:00Z"
    reordered = dict(reversed(list(other.items())))
    assert digest(one) == digest(reordered)
    assert digest(one) != digest(location(evse("1", "CHARGING")))


def test_the_phases_of_a_run_keep_tariffs_around_the_locations_and_each_locations_requests_in_order() -> None:
    tariff = {"country_code": "DE", "party_id": "ISE", "id": "AC", "currency": "EUR", "elements": []}
    old = Record("T/DE/ISE/OLD", None, "x")
    gone = Record("E/DE/ISE/8/9", 8, digest(evse("9")), "AVAILABLE")
    sent = {old.key: old, gone.key: gone}
    current = [location(evse("1"), location_id="7"), location(evse("2"), location_id="8")]
    steps = plan_tariffs([tariff], sent) + plan_locations(current, sent, AT)
    assert [[requests(group) for group in phase] for phase in phases(steps)] == [
        [[("PUT", "DE/ISE/AC")]],
        [[("PUT", "DE/ISE/7")], [("PATCH", "DE/ISE/8/9"), ("PUT", "DE/ISE/8")]],
        [[("DELETE", "DE/ISE/OLD")]],
    ]
