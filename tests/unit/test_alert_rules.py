"""The pure rules of alerts: which StatusNotification is which case, and who gets which mail."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from core.alerts.cases import Case, case_of_status
from core.alerts.rules import SUMMARY_OVER, Scope, case_counts, open_key, plan_mails

T0 = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)


def alert(alert_id: int, case: Case = Case.UNAVAILABILITY, *, station: int = 1, point: int | None = 11,
          location: int = 100, points: tuple[int, ...] = (11, 12)) -> dict[str, Any]:  # fmt: skip
    return {"id": alert_id, "case": case, "station": station, "charge_point": point, "location": location,
            "station_points": list(points), "opened_at": T0 + timedelta(seconds=alert_id)}  # fmt: skip


def scope(group_id: int, *recipients: str, cases: tuple[Case, ...] = tuple(Case), **members: Any) -> Scope:
    return Scope(group_id, recipients, frozenset(cases), all_charge_points=not members,
                 **{k: frozenset(v) for k, v in members.items()})  # fmt: skip


def test_the_seeds_three_cases_and_the_other_ocpp_errors() -> None:
    assert case_of_status("Faulted", "OverCurrentFailure") is Case.FUSE_TRIPPED
    assert case_of_status("Faulted", "GroundFailure") is Case.FUSE_TRIPPED
    assert case_of_status("Faulted", "HighTemperature") is Case.SENSORS
    assert case_of_status("Available", "WeakSignal") is Case.COMMUNICATION  # a warning while usable still counts
    assert case_of_status("Faulted", "NoError") is Case.UNAVAILABILITY
    assert case_of_status("Unavailable", "NoError") is Case.UNAVAILABILITY
    assert case_of_status("Faulted", "SomethingNew") is Case.STATION_ERROR  # an unknown code is not dropped
    for healthy in ("Available", "Preparing", "Charging", "SuspendedEV", "Finishing", "Reserved"):
        assert case_of_status(healthy, "NoError") is None


def test_one_open_key_per_charge_point_and_source() -> None:
    assert open_key(5, 7, "status") == "5:7:status" and open_key(5, None, "offline") == "5:0:offline"


def test_a_recipient_in_two_groups_gets_one_mail_with_each_alert_once() -> None:
    mails = plan_mails([alert(1), alert(2, Case.SENSORS)], [],
                       [scope(1, "a@x.de", "b@x.de"), scope(2, "a@x.de", cases=(Case.SENSORS,))], "de")  # fmt: skip
    assert [(m.recipient, m.alert_ids) for m in mails] == [("a@x.de", [1, 2]), ("b@x.de", [1, 2])]


def test_groups_filter_by_case_and_by_members() -> None:
    station_wide = alert(3, point=None, station=2, points=(21, 22), location=200)
    alerts = [alert(1), alert(2, point=12), station_wide]
    by_point = plan_mails(alerts, [], [scope(1, "p@x.de", charge_points=[12])], "de")
    assert by_point[0].alert_ids == [2]
    by_station_point = plan_mails(alerts, [], [scope(1, "s@x.de", charge_points=[22])], "de")
    assert by_station_point[0].alert_ids == [3]  # the whole station is down: its charge point's group hears of it
    by_location = plan_mails(alerts, [], [scope(1, "l@x.de", locations=[200])], "de")
    assert by_location[0].alert_ids == [3]
    fuses_only = plan_mails(alerts, [], [scope(1, "f@x.de", cases=(Case.FUSE_TRIPPED,))], "de")
    assert fuses_only == []


def test_many_alerts_make_one_summary_per_recipient() -> None:
    many = [alert(i, station=i) for i in range(1, 10_001)]
    mails = plan_mails(many, [], [scope(1, "ops@x.de")], "en")
    assert len(mails) == 1 and mails[0].summary and len(mails[0].problems) == 10_000
    few = plan_mails(many[:SUMMARY_OVER], [], [scope(1, "ops@x.de")], "en")
    assert not few[0].summary
    assert case_counts([alert(1), alert(2), alert(3, Case.SENSORS)]) == [("UNAVAILABILITY", 2), ("SENSORS", 1)]


def test_recoveries_go_to_the_same_recipients_and_the_groups_language() -> None:
    group = Scope(1, ("a@x.de",), frozenset(Case), True, language="en")
    mails = plan_mails([], [alert(4)], [group], "de")
    assert [(m.recipient, m.language, [a["id"] for a in m.recoveries]) for m in mails] == [("a@x.de", "en", [4])]
