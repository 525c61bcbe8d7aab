"""The pure rules of alerts: their keys, when a charge point counts as offline, flapping, and who gets which mail.

- One open alert per station, charge point (or the station itself) and source; a new StatusNotification of another
  case changes the open alert's case, one without a problem closes it.
- Flapping: an alert that closes and opens again within the quiet time (ALERT_QUIET_MINUTES, 5) is the same alert,
  opened again; its recipients heard of it once, and hear of its recovery only once it has stayed closed that long.
- A station counts as offline once it has sent nothing for ALERT_OFFLINE_MINUTES (10) while disconnected: a node restart
  whose stations reconnect within minutes tells nobody anything.
- Each recipient gets one mail per run with every alert of all the groups they are in (an alert once, however many
  groups); more than ``SUMMARY_OVER`` alerts make it a summary (counts per case, the first stations), so that 10,000
  stations going offline at once send each recipient one mail, not 10,000.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Source(StrEnum):
    STATUS = "status"
    OFFLINE = "offline"
    ANOMALY = "anomaly"


SUMMARY_OVER = 10
SUMMARY_LISTS = 20  # stations a summary names


def open_key(station_id: int, charge_point_id: int | None, source: Source | str) -> str:
    return f"{station_id}:{charge_point_id or 0}:{source}"


@dataclass(frozen=True)
class Scope:
    """A notification group as the mail run reads it."""

    group_id: int
    recipients: tuple[str, ...]
    cases: frozenset[str]
    all_charge_points: bool
    locations: frozenset[int] = frozenset()
    stations: frozenset[int] = frozenset()
    charge_points: frozenset[int] = frozenset()
    language: str = ""

    def covers(self, alert: dict[str, Any]) -> bool:
        if alert["case"] not in self.cases:
            return False
        if self.all_charge_points:
            return True
        if alert["location"] in self.locations or alert["station"] in self.stations:
            return True
        if alert["charge_point"] is not None:
            return alert["charge_point"] in self.charge_points
        # a station-wide alert concerns a group that holds one of the station's charge points
        return bool(self.charge_points & set(alert.get("station_points", ())))


@dataclass
class PlannedMail:
    recipient: str
    language: str
    problems: list[dict[str, Any]] = field(default_factory=list)
    recoveries: list[dict[str, Any]] = field(default_factory=list)

    @property
    def summary(self) -> bool:
        return len(self.problems) + len(self.recoveries) > SUMMARY_OVER

    @property
    def alert_ids(self) -> list[int]:
        return sorted({a["id"] for a in self.problems} | {a["id"] for a in self.recoveries})


def plan_mails(problems: Iterable[dict[str, Any]], recoveries: Iterable[dict[str, Any]], scopes: Iterable[Scope],
               default_language: str) -> list[PlannedMail]:  # fmt: skip
    """One mail per recipient with the alerts of every group they are in, each alert once, oldest first."""
    mails: dict[str, PlannedMail] = {}
    seen: dict[str, set[tuple[str, int]]] = defaultdict(set)
    groups = list(scopes)
    for kind, alerts in (("problems", list(problems)), ("recoveries", list(recoveries))):
        for alert in sorted(alerts, key=lambda a: (a["opened_at"], a["id"])):
            for scope in groups:
                if not scope.covers(alert):
                    continue
                for recipient in scope.recipients:
                    if (kind, alert["id"]) in seen[recipient]:
                        continue
                    seen[recipient].add((kind, alert["id"]))
                    mail = mails.setdefault(recipient, PlannedMail(recipient, scope.language or default_language))
                    getattr(mail, kind).append(alert)
    return [mails[r] for r in sorted(mails)]


def case_counts(alerts: Iterable[dict[str, Any]]) -> list[tuple[str, int]]:
    """How many alerts of each case, most first (a summary's table)."""
    counts: dict[str, int] = defaultdict(int)
    for alert in alerts:
        counts[alert["case"]] += 1
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))
