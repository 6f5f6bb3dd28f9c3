"""Working time as arrays of intervals, so simulated officers work only when the calendar says so.

Built from any ``engine.calendar.WorkCalendar``: the days come from ``is_working_day`` (holidays and
swapped days included), the daily periods from the calendar's ``hours`` (a ``WorkingHours``) when it
has them, the centre's common hours otherwise. Time is seconds since the simulation origin, a midnight
in Vietnam time; look-ups are binary searches, which keeps the simulator fast.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from datetime import date, datetime, time, timedelta

from engine.calendar import WorkCalendar, WorkingHours
from engine.clock import VIETNAM

DAY = 86400.0


def _seconds(t: time) -> float:
    if (t.hour, t.minute, t.second) == (23, 59, 59):  # "until the end of the day"
        return DAY
    return t.hour * 3600 + t.minute * 60 + t.second + t.microsecond / 1e6


class Timetable:
    """Working intervals of one calendar from ``origin`` on, extended on demand."""

    def __init__(self, calendar: WorkCalendar, origin: date, name: str = "calendar") -> None:
        self.calendar = calendar
        self.name = name
        self.origin = origin
        hours = getattr(calendar, "hours", None)
        periods = getattr(hours, "periods", None) or WorkingHours().periods
        self.periods = [(_seconds(a), _seconds(b)) for a, b in periods]
        self.hours_per_day = sum(b - a for a, b in self.periods) / 3600
        self.starts: list[float] = []
        self.ends: list[float] = []
        self.cum_end: list[float] = []  # working seconds up to the end of each interval
        self.days = 0
        self._extend(400)

    def _extend(self, days: int) -> None:
        total = self.cum_end[-1] if self.cum_end else 0.0
        for d in range(self.days, self.days + days):
            day = self.origin + timedelta(days=d)
            if not self.calendar.is_working_day(day):
                continue
            base = d * DAY
            for a, b in self.periods:
                self.starts.append(base + a)
                self.ends.append(base + b)
                total += b - a
                self.cum_end.append(total)
        self.days += days
        if not self.starts and self.days > 3660:
            raise ValueError(f"calendar {self.name!r} has no working time")

    def next_work(self, t: float) -> float:
        """The first working moment at or after ``t``."""
        i = bisect_right(self.ends, t)
        while i >= len(self.ends):
            self._extend(400)
            i = bisect_right(self.ends, t)
        s = self.starts[i]
        return s if s > t else t

    def to_work(self, t: float) -> float:
        """Working seconds from the origin to ``t``."""
        while t >= self.days * DAY:
            self._extend(400)
        i = bisect_right(self.starts, t) - 1
        if i < 0:
            return 0.0
        end = self.ends[i]
        if t >= end:
            return self.cum_end[i]
        return self.cum_end[i] - (end - t)

    def from_work(self, w: float) -> float:
        """The moment when ``w`` working seconds have passed since the origin."""
        while not self.cum_end or w > self.cum_end[-1]:
            self._extend(400)
        i = bisect_left(self.cum_end, w)
        return self.ends[i] - (self.cum_end[i] - w)

    def add(self, t: float, seconds: float) -> float:
        """``seconds`` of working time after ``t``."""
        if seconds <= 0:
            return self.next_work(t)
        return self.from_work(self.to_work(t) + seconds)

    def day_end(self, day_index: int) -> float:
        return day_index * DAY + self.periods[-1][1]

    def is_working_day(self, day_index: int) -> bool:
        return self.calendar.is_working_day(self.origin + timedelta(days=day_index))

    def datetime(self, t: float) -> datetime:
        return datetime.combine(self.origin, time.min, VIETNAM) + timedelta(seconds=t)
