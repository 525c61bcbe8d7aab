"""Which stations a payment terminal may serve, and how its payments' idTags name it."""

from __future__ import annotations

from core.access.cards import normalize_uid
from core.payments.terminals import MAX_STATIONS, attach_problems, id_tag_for, tag_code_of


def test_up_to_the_maximum_of_own_stations_is_fine() -> None:
    own = range(1, 201)
    assert attach_problems([], own) == {}
    assert attach_problems(range(1, MAX_STATIONS + 1), own) == {}


def test_the_101st_station_is_refused_with_the_count() -> None:
    problems = attach_problems(range(1, MAX_STATIONS + 2), range(1, 201))
    assert problems["stations"].msgid == "A terminal serves at most %(max)s stations (%(count)s chosen)."
    assert problems["stations"].params == {"max": 100, "count": 101}


def test_a_station_of_another_operator_reads_as_unknown() -> None:
    problems = attach_problems([1, 2, 999], [1, 2, 3])
    assert problems["stations"].msgid == "Unknown station."


def test_the_same_station_twice_counts_once() -> None:
    assert attach_problems([*range(1, MAX_STATIONS + 1), 1, 2], range(1, 201)) == {}


def test_a_terminal_id_tag_carries_the_tag_code_and_survives_normalising() -> None:
    tag = id_tag_for("A1B2C3", "deadbeef")
    assert tag == "TRMA1B2C3DEADBEEF" and len(tag) <= 20
    assert normalize_uid(tag) == tag
    assert tag_code_of(tag) == "A1B2C3"


def test_other_id_tags_are_no_terminals() -> None:
    assert tag_code_of("04A1B2C3") is None
    assert tag_code_of("PAY1234567") is None
    assert tag_code_of("TRM12") is None
