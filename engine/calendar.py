"""Working-time calendar (lịch làm việc): working hours, days off and time limits.

Limits are published per procedure in working days, calendar days or hours (8 working hours = 1
working day). Times are aware datetimes; the calendar reasons in Vietnam time (UTC+7).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal, Protocol

from .clock import VIETNAM

LimitUnit = Literal["working_days", "calendar_days", "hours"]
HOURS_PER_WORKING_DAY = 8


@dataclass(frozen=True)
class TimeLimit:
    """A statutory time limit (thời hạn giải quyết), e.g. 3 working days or 8 working hours."""

    amount: float
    unit: LimitUnit = "working_days"

    def __post_init__(self) -> None:
        if self.amount < 0:
            raise ValueError("a time limit cannot be negative")
        if self.unit not in ("working_days", "calendar_days", "hours"):
            raise ValueError(f"unknown time-limit unit {self.unit!r}")

    @property
    def working_hours(self) -> float | None:
        if self.unit == "hours":
            return self.amount
        if self.unit == "working_days":
            return self.amount * HOURS_PER_WORKING_DAY
        return None


@dataclass(frozen=True)
class WorkingHours:
    """Opening hours of a centre, as (start, end) periods of a working day."""

    periods: tuple[tuple[time, time], ...] = ((time(7, 30), time(11, 30)), (time(13, 0), time(17, 0)))

    @property
    def hours_per_day(self) -> float:
        return sum(_hours(start, end) for start, end in self.periods)


def _hours(start: time, end: time) -> float:
    return (datetime.combine(date.min, end) - datetime.combine(date.min, start)).total_seconds() / 3600


class WorkCalendar(Protocol):
    """What deadlines need from a calendar; the service layer depends on this, not on a class."""

    def is_working_day(self, day: date) -> bool: ...

    def add_working_hours(self, start: datetime, hours: float) -> datetime: ...

    def working_hours_between(self, start: datetime, end: datetime) -> float: ...

    def due(self, start: datetime, limit: TimeLimit) -> datetime: ...


class WeekdayCalendar:
    """Monday to Friday within the working hours; no public holidays.

    The plain working-day count; a calendar with Vietnamese holidays and swapped days builds on it.
    """

    def __init__(self, hours: WorkingHours | None = None) -> None:
        self.hours = hours or WorkingHours()

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5

    def _periods(self, day: date) -> list[tuple[datetime, datetime]]:
        if not self.is_working_day(day):
            return []
        return [
            (datetime.combine(day, start, VIETNAM), datetime.combine(day, end, VIETNAM))
            for start, end in self.hours.periods
        ]

    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        """The moment ``hours`` of working time after ``start`` (which may fall outside hours)."""
        remaining = timedelta(hours=hours)
        current = start.astimezone(VIETNAM)
        day = current.date()
        for _ in range(3660):  # ten years of days: a bound, never reached by a real limit
            for period_start, period_end in self._periods(day):
                if current >= period_end:
                    continue
                begin = max(current, period_start)
                available = period_end - begin
                if remaining <= available:
                    return begin + remaining
                remaining -= available
                current = period_end
            day += timedelta(days=1)
            current = datetime.combine(day, time.min, VIETNAM)
        raise ValueError("time limit too long")

    def working_hours_between(self, start: datetime, end: datetime) -> float:
        if end <= start:
            return 0.0
        total = timedelta()
        day = start.astimezone(VIETNAM).date()
        last = end.astimezone(VIETNAM).date()
        while day <= last:
            for period_start, period_end in self._periods(day):
                overlap = min(end, period_end) - max(start, period_start)
                if overlap > timedelta():
                    total += overlap
            day += timedelta(days=1)
        return total.total_seconds() / 3600

    def due(self, start: datetime, limit: TimeLimit) -> datetime:
        """When a limit counted from ``start`` runs out. Calendar-day limits end at the close of the
        last day (moved to the next working day when that is a day off)."""
        if limit.unit == "calendar_days":
            day = start.astimezone(VIETNAM).date() + timedelta(days=int(limit.amount))
            while not self.is_working_day(day):
                day += timedelta(days=1)
            return datetime.combine(day, self.hours.periods[-1][1], VIETNAM)
        return self.add_working_hours(
            start, limit.working_hours * self.hours.hours_per_day / HOURS_PER_WORKING_DAY
        )
