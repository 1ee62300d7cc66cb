"""scheduler/domain/calendar.py: working days to dates and back."""

from __future__ import annotations

from datetime import date

from scheduler.domain.calendar import Calendar


def test_calendar_days_and_dates():
    """Mon-fri with a holiday on Monday 2027-01-18: day 0 is Mon 2027-01-04, day 10 is
    Tue 2027-01-19; a Saturday event takes the next workday."""
    cal = Calendar(date(2027, 1, 4), frozenset(range(5)), frozenset({date(2027, 1, 18)}))
    assert cal.date_of(0) == date(2027, 1, 4)
    assert cal.date_of(10) == date(2027, 1, 19)
    assert cal.day_of(date(2027, 1, 16)) == 10
    assert cal.day_of(date(2027, 1, 19)) == 10
    assert cal.finish_date(12, 2) == date(2027, 1, 20)
    assert cal.date_of(-1) == date(2027, 1, 1)
    # a deadline is "no later than": Saturday 01-16 and holiday Monday 01-18 mean Friday
    # 01-15 (day 9); a workday deadline is its own day
    assert cal.last_day_by(date(2027, 1, 16)) == 9
    assert cal.last_day_by(date(2027, 1, 18)) == 9
    assert cal.last_day_by(date(2027, 1, 19)) == 10
