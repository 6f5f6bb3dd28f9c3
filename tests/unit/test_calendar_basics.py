"""The weekday calendar: working hours, weekends, and limits in hours, working and calendar days."""

from __future__ import annotations

from datetime import datetime

import pytest

from engine.calendar import TimeLimit, WeekdayCalendar
from engine.clock import VIETNAM

CAL = WeekdayCalendar()


def vn(*args) -> datetime:
    return datetime(*args, tzinfo=VIETNAM)


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        (vn(2026, 3, 2, 8, 0), 2, vn(2026, 3, 2, 10, 0)),  # inside the morning
        (vn(2026, 3, 2, 10, 30), 2, vn(2026, 3, 2, 14, 0)),  # over lunch
        (vn(2026, 3, 2, 6, 0), 1, vn(2026, 3, 2, 8, 30)),  # before opening: counts from 07:30
        (vn(2026, 3, 2, 12, 0), 1, vn(2026, 3, 2, 14, 0)),  # at lunch: counts from 13:00
        (vn(2026, 3, 2, 18, 0), 1, vn(2026, 3, 3, 8, 30)),  # after closing: next morning
        (vn(2026, 3, 6, 16, 0), 2, vn(2026, 3, 9, 8, 30)),  # Friday afternoon -> Monday
        (vn(2026, 3, 7, 9, 0), 8, vn(2026, 3, 9, 17, 0)),  # Saturday: counts from Monday
    ],
)
def test_adding_working_hours(start, hours, expected):
    assert CAL.add_working_hours(start, hours) == expected


def test_working_days_and_calendar_days():
    monday_9 = vn(2026, 3, 2, 9, 0)
    assert CAL.due(monday_9, TimeLimit(3, "working_days")) == vn(2026, 3, 5, 9, 0)
    assert CAL.due(monday_9, TimeLimit(5, "working_days")) == vn(2026, 3, 9, 9, 0)
    assert CAL.due(monday_9, TimeLimit(15, "calendar_days")) == vn(2026, 3, 17, 17, 0)
    assert CAL.due(vn(2026, 3, 2, 9), TimeLimit(5, "calendar_days")) == vn(2026, 3, 9, 17, 0)  # Sat -> Mon


def test_working_hours_between_skips_lunch_nights_and_weekends():
    assert CAL.working_hours_between(vn(2026, 3, 2, 11, 0), vn(2026, 3, 2, 14, 0)) == 1.5
    assert CAL.working_hours_between(vn(2026, 3, 6, 16, 0), vn(2026, 3, 9, 8, 30)) == 2
    assert CAL.working_hours_between(vn(2026, 3, 2, 9), vn(2026, 3, 2, 8)) == 0


def test_bad_limits_are_refused():
    with pytest.raises(ValueError):
        TimeLimit(-1)
    with pytest.raises(ValueError):
        TimeLimit(1, "fortnights")
