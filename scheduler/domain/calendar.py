"""The program's working calendar: working-day numbers <-> dates (DESIGN.md, Time)."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import date, timedelta

WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


@dataclass
class Calendar:
    """Working day 0 is the first workday on or after ``start``.

    ``workdays`` are weekday numbers (mon=0); ``holidays`` are never worked.
    """

    start: date
    workdays: frozenset[int] = frozenset(range(5))
    holidays: frozenset[date] = frozenset()
    _dates: list[date] = field(default_factory=list, repr=False)

    def is_workday(self, day: date) -> bool:
        return day.weekday() in self.workdays and day not in self.holidays

    def _extend_to_index(self, index: int) -> None:
        current = self._dates[-1] + timedelta(days=1) if self._dates else self.start
        while len(self._dates) <= index:
            if self.is_workday(current):
                self._dates.append(current)
            current += timedelta(days=1)

    def _extend_to_date(self, day: date) -> None:
        while not self._dates or self._dates[-1] < day:
            self._extend_to_index(len(self._dates) + 64)

    def date_of(self, index: int) -> date:
        """The date of working day ``index`` (negative days count back from day 0)."""
        if index < 0:
            current, left = self.date_of(0), -index
            while left:
                current -= timedelta(days=1)
                if self.is_workday(current):
                    left -= 1
            return current
        self._extend_to_index(index)
        return self._dates[index]

    def dates(self, count: int) -> list[date]:
        """The dates of working days ``0 .. count - 1``."""
        if count > 0:
            self._extend_to_index(count - 1)
        return self._dates[:count]

    def iso_of(self, index: int) -> str:
        return self.date_of(index).isoformat()

    def day_of(self, day: date) -> int:
        """The working day of a dated event: the first workday on or after ``day``."""
        if day < self.start:
            count, current = 0, self.date_of(0)
            while current > day:
                current -= timedelta(days=1)
                if self.is_workday(current):
                    count -= 1
            return count if self.is_workday(day) or count == 0 else count + 1
        self._extend_to_date(day)
        return bisect.bisect_left(self._dates, day)

    def last_day_by(self, day: date) -> int:
        """The working day of a "no later than" date (a deadline): the last workday on or
        before ``day``, so a Saturday deadline means Friday, not Monday."""
        return self.day_of(day + timedelta(days=1)) - 1

    def finish_date(self, end_day: int, duration: int) -> date:
        """The last day worked by a task ending at ``end_day`` (its start for duration 0)."""
        return self.date_of(end_day - 1 if duration > 0 else end_day)
