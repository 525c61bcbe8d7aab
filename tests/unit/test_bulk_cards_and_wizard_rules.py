"""The pure rules of creating many cards (core.access.cards) and of the driver group wizard
(core.access.group_wizard), and the signed values the wizard's draft travels in (core.signing)."""

from __future__ import annotations

import pytest

from core import signing
from core.access import cards, group_wizard
from core.errors import Message, ValidationError


def test_reading_lists() -> None:
    plain = cards.read_card_list("04 A2 B3\n\n  deadbeef  \n")
    assert [(line.line, line.values) for line in plain] == [(1, {"uid": "04 A2 B3"}), (3, {"uid": "deadbeef"})]
    positional = cards.read_card_list("AB01,Gast 1,G-0001\nAB02\nAB03,Gast 3")  # the separator most lines hold
    assert positional[0].values == {"uid": "AB01", "label": "Gast 1", "visual_number": "G-0001"}
    assert [line.values for line in positional[1:]] == [{"uid": "AB02"}, {"uid": "AB03", "label": "Gast 3"}]
    header = cards.read_card_list("label;RFID;Printed-Number\nGast;AB01;7")
    assert header[0].values == {"label": "Gast", "uid": "AB01", "visual_number": "7"} and header[0].line == 2
    for text, message in (("uid;colour\nAB", "Unknown columns"), ("uid;name;label\nAB", "twice"),
                          ("uid\n", "at least one"), ("\n".join(["AB"] * 1001), "At most 1000")):  # fmt: skip
        with pytest.raises(ValidationError) as refused:
            cards.read_card_list(text)
        assert message in refused.value.errors["cards"].render()
    results = cards.check_lines(cards.read_card_list("ab01\nAB:01\nAB02;x;y;z;w;v;extra\nAB03;;;LOST\nAB04"),
                                existing={"AB04"})  # fmt: skip
    assert [(r.line, r.uid, r.outcome) for r in results] == [
        (1, "AB01", "CREATED"), (2, "AB01", "DUPLICATE"), (3, "AB02", "INVALID"), (4, "AB03", "INVALID"),
        (5, "AB04", "EXISTS")]  # fmt: skip
    assert results[0].card["uid"] == "AB01" and "status" in results[3].errors


def test_signed_values_come_back_only_unchanged_and_for_their_purpose() -> None:
    token = signing.sign("draft:1:2", {"name": "Gäste", "location_ids": ["3"]})
    assert signing.unsign("draft:1:2", token) == {"name": "Gäste", "location_ids": ["3"]}
    body, mac = token.rsplit(".", 1)
    other = signing.sign("draft:1:2", {"name": "Andere"}).rsplit(".", 1)[0]
    for changed in (f"{other}.{mac}", f"{body}.{mac[:-1]}0", body, "", "x.y", "%%%." + mac):
        assert signing.unsign("draft:1:2", changed) is None
    assert signing.unsign("draft:1:3", token) is None  # another user's


def test_wizard_steps() -> None:
    state = group_wizard.start("AD_HOC")
    assert (state.step, state.values["kind"], state.values["scope"]) == ("name", "AD_HOC", "ALL")
    assert group_wizard.start("NONSENSE").values["kind"] == "CARDS_ONLY"
    assert group_wizard.step_of("scope") == "scope" and group_wizard.step_of("../admin") == "name"
    # A step takes only its own fields; a radio nobody ticked and no location ticked are empty.
    merged = group_wizard.merge({**state.values, "name": "A"}, "tariff", {"name": "B", "tariff_id": "4"})
    assert (merged["name"], merged["tariff_id"], merged["tariff_mode"]) == ("A", "4", "")
    assert group_wizard.merge(merged, "scope", {"scope": "CHOSEN"})["location_ids"] == []
    # Errors send the user to the first step that shows one of the fields.
    errors = {"location_ids": Message("x"), "tariff_mode": Message("y")}
    assert group_wizard.step_with_error(errors, "summary") == "tariff"
    assert group_wizard.step_with_error({"__all__": Message("z")}, "scope") == "scope"
