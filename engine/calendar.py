"""Working-time calendar (lịch làm việc): working hours, days off and time limits.

Limits are published per procedure in working days, calendar days or hours (8 working hours = 1
working day). Times are aware datetimes; the calendar reasons in Vietnam time (UTC+7).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Literal, Protocol

from .clock import VIETNAM

LimitUnit = Literal["working_days", "calendar_days", "hours"]
HOURS_PER_WORKING_DAY = 8


@dataclass(frozen=True)
class TimeLimit:
    """A statutory time limit (thời hạn giải quyết), e.g. 3 working days or 8 working hours."""

    amount: float
    unit: LimitUnit = "working_days"
    same_day_cutoff: bool = False  # the 15:00 rule: received after 15:00 counts from the next working day

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


# =========================================================================== the Vietnamese calendar


def working_days_to_hours(days: float) -> float:
    """8 working hours make one working day."""
    return days * HOURS_PER_WORKING_DAY


def hours_to_working_days(hours: float) -> float:
    return hours / HOURS_PER_WORKING_DAY


def parse_centre_hours(text: str) -> dict[str, WorkingHours]:
    """``"000.10.01.H26=08:00-12:00,13:30-17:30; 000.10.02.H26=07:00-11:00,13:30-17:30"`` -> hours
    per agency code (MOTCUA_CENTRE_HOURS)."""
    out = {}
    for part in text.split(";"):
        if part.strip():
            code, _, hours = part.partition("=")
            out[code.strip()] = parse_working_hours(hours)
    return out


def parse_working_hours(text: str) -> WorkingHours:
    """``"07:30-11:30,13:00-17:00"`` -> :class:`WorkingHours` (periods in order, not overlapping)."""
    periods = []
    for part in text.split(","):
        start, _, end = part.strip().partition("-")
        begin, finish = time.fromisoformat(start.strip()), time.fromisoformat(end.strip())
        if finish <= begin or (periods and begin < periods[-1][1]):
            raise ValueError(f"working hours {text!r}: periods must be in order and not overlap")
        periods.append((begin, finish))
    if not periods:
        raise ValueError("working hours need at least one period")
    return WorkingHours(tuple(periods))


SAME_DAY_CUTOFF = time(15, 0)


@dataclass(frozen=True)
class DayOverride:
    """One row of the yearly table: a day made a day off (``off``) or a working day (``working``)."""

    day: date
    kind: Literal["off", "working"]
    note: str = ""


class VietnameseCalendar(WeekdayCalendar):
    """Working days in Vietnam: Saturdays and Sundays off, the public holidays of the Labour Code
    (art. 112) with compensatory days, Tết and Hùng Kings' day from the Vietnamese lunar calendar,
    and the government's yearly swaps from an editable table (``overrides``), which always wins.

    Day sets are computed once per year and cached (``due()`` runs on every task completion);
    the table is read again after ``refresh_seconds`` or at once after :meth:`invalidate`.
    """

    def __init__(
        self,
        hours: WorkingHours | None = None,
        overrides: Callable[[int], Iterable[DayOverride]] | None = None,
        refresh_seconds: float = 60.0,
        centre_hours: dict[str, WorkingHours] | None = None,
    ) -> None:
        super().__init__(hours)
        self._load_overrides = overrides
        self.refresh_seconds = refresh_seconds
        self._years: dict[int, tuple[float, frozenset[date], frozenset[date]]] = {}
        self._lock = threading.Lock()
        self.centre_hours = dict(centre_hours or {})
        self._centres: dict[str, VietnameseCalendar] = {}

    def for_centre(self, agency_code: str | None) -> VietnameseCalendar:
        """The calendar of one centre: its own working hours (``centre_hours``), the same days.

        Callers that know the agency (e.g. the appointment date at acceptance) use this; without
        hours of its own a centre gets this calendar."""
        hours = self.centre_hours.get(agency_code or "")
        if hours is None or hours == self.hours:
            return self
        centre = self._centres.get(agency_code)
        if centre is None:
            centre = VietnameseCalendar(hours, self._load_overrides, self.refresh_seconds)
            centre._years, centre._lock = self._years, self._lock  # one cache of days for all centres
            centre._default_year = self._default_year
            self._centres[agency_code] = centre
        return centre

    # ------------------------------------------------------------------ days

    def holidays(self, year: int) -> dict[date, str]:
        """The days off of ``year`` before the yearly table: the ``holidays`` package's Vietnamese
        calendar (the government's actual days where it knows them, the statutory rule otherwise),
        or :func:`statutory_holidays` if that package is missing or knows nothing of the year."""
        return self._default_year(year)[0]

    def weekend_workdays(self, year: int) -> set[date]:
        """Saturdays and Sundays of ``year`` worked to make up a bridge day, before the yearly table."""
        return self._default_year(year)[1]

    @lru_cache(maxsize=256)  # noqa: B019 - a handful of years per calendar, kept for its lifetime
    def _default_year(self, year: int) -> tuple[dict[date, str], set[date]]:
        try:
            import holidays as holidays_package
        except ImportError:  # pragma: no cover - a declared dependency
            return statutory_holidays(year), set()
        known = holidays_package.Vietnam(years=year, language="vi")
        days = {d: str(name) for d, name in known.items() if d.year == year}
        if not any(tet(year) == d for d in days):
            return statutory_holidays(year), set()
        worked = {d for d in getattr(known, "weekend_workdays", ()) if d.year == year}
        return dict(sorted(days.items())), worked

    def overrides(self, year: int) -> list[DayOverride]:
        return list(self._load_overrides(year)) if self._load_overrides else []

    def _year(self, year: int) -> tuple[frozenset[date], frozenset[date]]:
        cached = self._years.get(year)
        now = _monotonic()
        if cached is not None and now - cached[0] < self.refresh_seconds:
            return cached[1], cached[2]
        with self._lock:
            off = set(self.holidays(year))
            working: set[date] = set(self.weekend_workdays(year))
            for row in self.overrides(year):
                if row.kind == "off":
                    off.add(row.day)
                    working.discard(row.day)
                else:
                    working.add(row.day)
                    off.discard(row.day)
            entry = (now, frozenset(off), frozenset(working))
            self._years[year] = entry
        return entry[1], entry[2]

    def invalidate(self, year: int | None = None) -> None:
        """Forget cached day sets (after the yearly table changed)."""
        with self._lock:
            if year is None:
                self._years.clear()
            else:
                self._years.pop(year, None)

    def is_working_day(self, day: date) -> bool:
        off, working = self._year(day.year)
        if day in working:
            return True
        if day in off:
            return False
        return day.weekday() < 5

    def days_off(self, year: int) -> list[tuple[date, str]]:
        """Every day off of ``year`` that is not a Saturday or Sunday, and every Saturday or Sunday
        that is a working day, with the reason; what ``motcua calendar show`` prints."""
        named = dict(self.holidays(year))
        named.update({d: "Làm bù" for d in self.weekend_workdays(year)})
        notes = {row.day: row for row in self.overrides(year)}
        rows = []
        day = date(year, 1, 1)
        while day.year == year:
            weekend = day.weekday() >= 5
            if self.is_working_day(day) == weekend:
                row = notes.get(day)
                rows.append((day, row.note if row and row.note else named.get(day, "")))
            day += timedelta(days=1)
        return rows

    # ------------------------------------------------------------------ limits

    def subtract_working_hours(self, end: datetime, hours: float) -> datetime:
        """The moment ``hours`` of working time before ``end``."""
        remaining = timedelta(hours=hours)
        current = end.astimezone(VIETNAM)
        day = current.date()
        for _ in range(3660):
            for period_start, period_end in reversed(self._periods(day)):
                if current <= period_start:
                    continue
                finish = min(current, period_end)
                available = finish - period_start
                if remaining <= available:
                    return finish - remaining
                remaining -= available
                current = period_start
            day -= timedelta(days=1)
            current = datetime.combine(day, time.max, VIETNAM)
        raise ValueError("time span too long")

    def next_opening(self, moment: datetime) -> datetime:
        """``moment`` if it is in working hours, else the next opening."""
        return self.add_working_hours(moment, 0) if self._in_hours(moment) else self._opening_after(moment)

    def _in_hours(self, moment: datetime) -> bool:
        local = moment.astimezone(VIETNAM)
        return any(start <= local < end for start, end in self._periods(local.date()))

    def _opening_after(self, moment: datetime) -> datetime:
        local = moment.astimezone(VIETNAM)
        day = local.date()
        for _ in range(3660):
            for start, _end in self._periods(day):
                if start >= local:
                    return start
            day += timedelta(days=1)
        raise ValueError("no working day ahead")

    def close_of(self, day: date) -> datetime:
        return datetime.combine(day, self.hours.periods[-1][1], VIETNAM)

    def due(self, start: datetime, limit: TimeLimit) -> datetime:
        """As :meth:`WeekdayCalendar.due`, plus the 15:00 rule: a same-day procedure received after
        15:00 (or on a day off) is due at the close of the next working day; one received earlier on
        a working day, at today's close. Longer limits with the rule count from the next opening."""
        if limit.same_day_cutoff:
            local = start.astimezone(VIETNAM)
            received = local.date()
            if not self.is_working_day(received) or local.time() >= SAME_DAY_CUTOFF:
                start = self._opening_after(datetime.combine(received, time.max, VIETNAM))
            if limit.unit != "calendar_days" and (limit.working_hours or 0) <= HOURS_PER_WORKING_DAY:
                first = start.astimezone(VIETNAM).date()
                while not self.is_working_day(first):
                    first += timedelta(days=1)
                return self.close_of(first)
        return super().due(start, limit)


def statutory_holidays(year: int) -> dict[date, str]:
    """The public holidays of the Labour Code 2019 (art. 112) by rule, for years the ``holidays``
    package does not cover: Tết = the last day of the old year and the first four of the new one;
    2 September plus 1 September (when the 2nd is a Tuesday, Friday or Saturday) or 3 September;
    a holiday on a Saturday or Sunday is made up on the next working day (art. 111(3))."""
    days: dict[date, str] = {}
    first = tet(year)
    for offset in range(-1, 4):
        days[first + timedelta(days=offset)] = "Tết Nguyên đán"
    days[date(year, 1, 1)] = "Tết Dương lịch"
    days[lunar_to_solar(10, 3, year)] = "Giỗ Tổ Hùng Vương"
    days[date(year, 4, 30)] = "Ngày Chiến thắng"
    days[date(year, 5, 1)] = "Ngày Quốc tế Lao động"
    national = date(year, 9, 2)
    days[national] = "Quốc khánh"
    adjacent = national - timedelta(days=1) if national.weekday() in (1, 4, 5) else national + timedelta(1)
    days[adjacent] = "Quốc khánh (ngày liền kề)"
    for day in sorted(d for d in days if d.weekday() >= 5):
        extra = day + timedelta(days=1)
        while extra.weekday() >= 5 or extra in days:
            extra += timedelta(days=1)
        days[extra] = f"Nghỉ bù ({days[day]})"
    return dict(sorted(days.items()))


def _monotonic() -> float:
    import time as _time

    return _time.monotonic()


# =========================================================================== the Vietnamese lunar calendar
# Hồ Ngọc Đức's astronomical algorithm (new moons and the sun's longitude after Meeus), evaluated in
# Vietnam time (UTC+7). Chinese calendars compute at UTC+8 and get a different Tết in some years
# (1985, 2007, 2030): the new moon falls just before midnight in Hanoi and just after it in Beijing.

VIETNAM_OFFSET_HOURS = 7.0


def _jd_from_date(day: int, month: int, year: int) -> int:
    a = (14 - month) // 12
    y = year + 4800 - a
    m = month + 12 * a - 3
    jd = day + (153 * m + 2) // 5 + 365 * y + y // 4 - y // 100 + y // 400 - 32045
    if jd < 2299161:
        jd = day + (153 * m + 2) // 5 + 365 * y + y // 4 - 32083
    return jd


def _date_from_jd(jd: int) -> date:
    if jd > 2299160:
        a = jd + 32044
        b = (4 * a + 3) // 146097
        c = a - (b * 146097) // 4
    else:
        b = 0
        c = jd + 32082
    d = (4 * c + 3) // 1461
    e = c - (1461 * d) // 4
    m = (5 * e + 2) // 153
    return date(b * 100 + d - 4800 + m // 10, m + 3 - 12 * (m // 10), e - (153 * m + 2) // 5 + 1)


def _new_moon(k: int) -> float:
    """The Julian day of the k-th new moon after 1900-01-01 (in UT)."""
    t = k / 1236.85
    t2, t3 = t * t, t * t * t
    dr = math.pi / 180
    jd1 = 2415020.75933 + 29.53058868 * k + 0.0001178 * t2 - 0.000000155 * t3
    jd1 += 0.00033 * math.sin((166.56 + 132.87 * t - 0.009173 * t2) * dr)
    m = 359.2242 + 29.10535608 * k - 0.0000333 * t2 - 0.00000347 * t3
    mpr = 306.0253 + 385.81691806 * k + 0.0107306 * t2 + 0.00001236 * t3
    f = 21.2964 + 390.67050646 * k - 0.0016528 * t2 - 0.00000239 * t3
    c1 = (0.1734 - 0.000393 * t) * math.sin(m * dr) + 0.0021 * math.sin(2 * dr * m)
    c1 = c1 - 0.4068 * math.sin(mpr * dr) + 0.0161 * math.sin(dr * 2 * mpr)
    c1 = c1 - 0.0004 * math.sin(dr * 3 * mpr)
    c1 = c1 + 0.0104 * math.sin(dr * 2 * f) - 0.0051 * math.sin(dr * (m + mpr))
    c1 = c1 - 0.0074 * math.sin(dr * (m - mpr)) + 0.0004 * math.sin(dr * (2 * f + m))
    c1 = c1 - 0.0004 * math.sin(dr * (2 * f - m)) - 0.0006 * math.sin(dr * (2 * f + mpr))
    c1 = c1 + 0.0010 * math.sin(dr * (2 * f - mpr)) + 0.0005 * math.sin(dr * (2 * mpr + m))
    if t < -11:
        deltat = 0.001 + 0.000839 * t + 0.0002261 * t2 - 0.00000845 * t3 - 0.000000081 * t * t3
    else:
        deltat = -0.000278 + 0.000265 * t + 0.000262 * t2
    return jd1 + c1 - deltat


def _sun_longitude(jdn: float) -> float:
    """The sun's apparent longitude in radians, 0..2π, at Julian day ``jdn`` (UT)."""
    t = (jdn - 2451545.0) / 36525
    t2 = t * t
    dr = math.pi / 180
    m = 357.52910 + 35999.05030 * t - 0.0001559 * t2 - 0.00000048 * t * t2
    l0 = 280.46645 + 36000.76983 * t + 0.0003032 * t2
    dl = (1.914600 - 0.004817 * t - 0.000014 * t2) * math.sin(dr * m)
    dl += (0.019993 - 0.000101 * t) * math.sin(dr * 2 * m) + 0.000290 * math.sin(dr * 3 * m)
    longitude = (l0 + dl) * dr
    return longitude - math.pi * 2 * math.floor(longitude / (math.pi * 2))


def _sun_sector(day_number: int, tz: float) -> int:
    """Which of the 12 major solar terms' sectors (0..11) the sun is in at the start of the day."""
    return math.floor(_sun_longitude(day_number - 0.5 - tz / 24) / math.pi * 6)


def _new_moon_day(k: int, tz: float) -> int:
    return math.floor(_new_moon(k) + 0.5 + tz / 24)


def _lunar_month_11(year: int, tz: float) -> int:
    """The day the 11th lunar month (the one holding the winter solstice) begins, in ``year``."""
    off = _jd_from_date(31, 12, year) - 2415021
    k = math.floor(off / 29.530588853)
    new_moon = _new_moon_day(k, tz)
    if _sun_sector(new_moon, tz) >= 9:
        new_moon = _new_moon_day(k - 1, tz)
    return new_moon


def _leap_month_offset(a11: int, tz: float) -> int:
    k = math.floor((a11 - 2415021.076998695) / 29.530588853 + 0.5)
    i = 1
    arc = _sun_sector(_new_moon_day(k + i, tz), tz)
    while True:
        last = arc
        i += 1
        arc = _sun_sector(_new_moon_day(k + i, tz), tz)
        if arc == last or i >= 14:
            break
    return i - 1


@lru_cache(maxsize=4096)
def lunar_to_solar(
    lunar_day: int, lunar_month: int, lunar_year: int, leap: bool = False, tz: float = VIETNAM_OFFSET_HOURS
) -> date:
    """The Gregorian date of a Vietnamese lunar date (``tz`` hours east of UTC; 7 for Vietnam)."""
    if lunar_month < 11:
        a11, b11 = _lunar_month_11(lunar_year - 1, tz), _lunar_month_11(lunar_year, tz)
    else:
        a11, b11 = _lunar_month_11(lunar_year, tz), _lunar_month_11(lunar_year + 1, tz)
    k = math.floor(0.5 + (a11 - 2415021.076998695) / 29.530588853)
    off = lunar_month - 11
    if off < 0:
        off += 12
    if b11 - a11 > 365:
        leap_off = _leap_month_offset(a11, tz)
        leap_month = leap_off - 2
        if leap_month < 0:
            leap_month += 12
        if leap and lunar_month != leap_month:
            raise ValueError(f"{lunar_year} has no leap month {lunar_month}")
        if leap or off >= leap_off:
            off += 1
    elif leap:
        raise ValueError(f"{lunar_year} has no leap month")
    return _date_from_jd(_new_moon_day(k + off, tz) + lunar_day - 1)


def tet(year: int) -> date:
    """The first day of the Vietnamese lunar year that starts in ``year``."""
    return lunar_to_solar(1, 1, year)
