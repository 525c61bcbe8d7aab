"""Calendar months in a time zone: what statements, settlements and billing runs count by. A month begins at local
midnight of its first day, so in UTC it begins at 23:00 (winter) or 22:00 (summer) of the day before."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    @property
    def period(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @classmethod
    def parse(cls, text: str) -> Month | None:
        match = PERIOD.match((text or "").strip())
        return cls(int(match.group(1)), int(match.group(2))) if match else None

    def next(self) -> Month:
        return Month(self.year + 1, 1) if self.month == 12 else Month(self.year, self.month + 1)

    def previous(self) -> Month:
        return Month(self.year - 1, 12) if self.month == 1 else Month(self.year, self.month - 1)

    def bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """[start, end) of the month in UTC: local midnight of its first day to that of the next month."""
        following = self.next()
        start = datetime(self.year, self.month, 1, tzinfo=zone)
        end = datetime(following.year, following.month, 1, tzinfo=zone)
        return start.astimezone(UTC), end.astimezone(UTC)


def month_of(at: datetime, zone: ZoneInfo) -> Month:
    """The local month an instant falls in."""
    local = (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(zone)
    return Month(local.year, local.month)
