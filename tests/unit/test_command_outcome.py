"""A command's outcome in words, per command and answer (core.commands.outcome)."""

from __future__ import annotations

from typing import Any

import pytest

from core.commands.catalogue import CATALOGUE
from core.commands.outcome import command_outcome
from portal.i18n import translations


def said(record: dict[str, Any], language: str = "en") -> list[str]:
    return [m.render(translations(language).gettext) for m in command_outcome(record)]


@pytest.mark.parametrize(
    ("action", "status", "reply", "text"),
    [
        ("RemoteStartTransaction", "accepted", {"status": "Accepted"},
         "The station accepted the remote start: charging begins once the car is connected."),
        ("RemoteStartTransaction", "rejected", {"status": "Rejected"},
         "The station refused the remote start (the charge point may be occupied, reserved or out of order)."),
        ("UnlockConnector", "rejected", {"status": "UnlockFailed"}, "The station could not unlock the connector."),
        ("ChangeAvailability", "accepted", {"status": "Scheduled"},
         "The availability changes once the running session has ended."),
        ("ChangeConfiguration", "accepted", {"status": "RebootRequired"},
         "The station took the new value; it applies after a restart."),
        ("ReserveNow", "rejected", {"status": "Occupied"}, "The charge point is occupied: it was not reserved."),
        ("GetLocalListVersion", "accepted", {"listVersion": 7}, "The station's local list has version 7."),
        ("GetDiagnostics", "accepted", {"fileName": "diag.zip"}, "The station uploads the file diag.zip."),
        ("UpdateFirmware", "accepted", {},
         "The station received the firmware update; it reports its progress as firmware status."),
    ],
)  # fmt: skip
def test_answers_in_words(action: str, status: str, reply: dict[str, Any], text: str) -> None:
    assert said({"action": action, "status": status, "result": reply}) == [text]


def test_configuration_errors_timeouts_and_german() -> None:
    config = {"action": "GetConfiguration", "status": "accepted",
              "result": {"configurationKey": [{"key": "A"}, {"key": "B"}], "unknownKey": ["X"]}}  # fmt: skip
    assert said(config) == ["The station sent 2 parameters.", "Keys the station does not know: X"]
    error = {"action": "Reset", "status": "failed", "result": {"errorCode": "NotImplemented", "description": "no"}}
    assert said(error) == ["The station answered with an error: the station does not know this command.",
                           "The station's description: no"]  # fmt: skip
    timeout = {"action": "Reset", "status": "timeout", "result": {}, "message": "The station did not answer in time."}
    assert said(timeout, "de") == ["Die Ladestation hat nicht rechtzeitig geantwortet."]
    assert said({"action": "Reset", "status": "offline", "result": {}}) == ["The station is not connected."]
    start = {"action": "RemoteStartTransaction", "status": "accepted", "result": {"status": "Accepted"}}
    assert said(start, "de") == [
        "Die Ladestation hat den Fernstart angenommen: Der Ladevorgang beginnt, sobald das Fahrzeug angeschlossen ist."
    ]


@pytest.mark.parametrize("action", sorted(CATALOGUE))
def test_every_command_has_words_for_yes_and_no(action: str) -> None:
    for status in ("accepted", "rejected"):
        sentences = command_outcome({"action": action, "status": status, "result": {}})
        assert sentences and all(s.msgid for s in sentences), (action, status)
