"""The Vietnamese calendar: lunar dates at UTC+7, the public holidays, swaps, the 15:00 rule."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from engine.calendar import (
    DayOverride,
    TimeLimit,
    VietnameseCalendar,
    hours_to_working_days,
    lunar_to_solar,
    parse_centre_hours,
    parse_working_hours,
    statutory_holidays,
    tet,
    working_days_to_hours,
)
from engine.clock import VIETNAM
from engine.sla import apology_at, appointment_date, classify, limit_from_manifest, progress, reminder_at

# Tết (1 January of the lunar year) as published in Vietnam.
KNOWN_TET = {
    1985: date(1985, 1, 21),  # Beijing: 20 February (a different 12th month)
    1990: date(1990, 1, 27),
    2000: date(2000, 2, 5),
    2001: date(2001, 1, 24),
    2004: date(2004, 1, 22),
    2005: date(2005, 2, 9),
    2006: date(2006, 1, 29),
    2007: date(2007, 2, 17),  # Beijing: 18 February
    2008: date(2008, 2, 7),
    2009: date(2009, 1, 26),
    2010: date(2010, 2, 14),
    2011: date(2011, 2, 3),
    2012: date(2012, 1, 23),
    2013: date(2013, 2, 10),
    2014: date(2014, 1, 31),
    2015: date(2015, 2, 19),
    2016: date(2016, 2, 8),
    2017: date(2017, 1, 28),
    2018: date(2018, 2, 16),
    2019: date(2019, 2, 5),
    2020: date(2020, 1, 25),
    2021: date(2021, 2, 12),
    2022: date(2022, 2, 1),
    2023: date(2023, 1, 22),
    2024: date(2024, 2, 10),
    2025: date(2025, 1, 29),
    2026: date(2026, 2, 17),
    2027: date(2027, 2, 6),
    2028: date(2028, 1, 26),
    2029: date(2029, 2, 13),
    2030: date(2030, 2, 2),  # Beijing: 3 February
}


@pytest.mark.parametrize(("year", "expected"), sorted(KNOWN_TET.items()))
def test_tet_is_the_vietnamese_new_year(year, expected):
    assert tet(year) == expected


@pytest.mark.parametrize("year", [1985, 2007, 2030])
def test_the_same_algorithm_at_beijing_time_gives_the_chinese_date(year):
    """The years where Chinese-calendar libraries are wrong for Vietnam: computing at UTC+8 differs."""
    assert lunar_to_solar(1, 1, year, tz=8.0) != KNOWN_TET[year]


@pytest.mark.parametrize(
    ("year", "expected"),
    [(2019, date(2019, 4, 14)), (2022, date(2022, 4, 10)), (2023, date(2023, 4, 29)),
     (2024, date(2024, 4, 18)), (2025, date(2025, 4, 7)), (2026, date(2026, 4, 26))],
)  # fmt: skip
def test_hung_kings_day_is_the_tenth_of_the_third_lunar_month(year, expected):
    assert lunar_to_solar(10, 3, year) == expected


def test_leap_month_2023_shifts_the_months_after_it():
    # 2023 had a leap 2nd month: the 3rd month began on 20 May, not in April.
    assert lunar_to_solar(1, 2, 2023, leap=True) == date(2023, 3, 22)
    assert lunar_to_solar(1, 3, 2023) == date(2023, 4, 20)
    with pytest.raises(ValueError):
        lunar_to_solar(1, 5, 2023, leap=True)


def vn(*args) -> datetime:
    return datetime(*args, tzinfo=VIETNAM)


CAL = VietnameseCalendar()


def test_the_statutory_rule_for_years_without_published_days():
    off = statutory_holidays(2025)
    assert date(2025, 1, 1) in off
    assert {
        date(2025, 1, 28),
        date(2025, 1, 29),
        date(2025, 1, 30),
        date(2025, 1, 31),
        date(2025, 2, 1),
    } <= set(off)
    assert date(2025, 4, 7) in off  # Hùng Kings
    assert {date(2025, 4, 30), date(2025, 5, 1)} <= set(off)
    assert {date(2025, 9, 1), date(2025, 9, 2)} <= set(off)  # 2/9 is a Tuesday: the Monday before
    assert date(2025, 2, 3) in off  # Tết's Saturday (1 February) made up on Monday 3 February


def test_the_governments_days_of_2025():
    # Tết 2025: Monday 27 January to Saturday 1 February off; Saturday 26 April worked so that
    # Friday 2 May is off; 1 and 2 September off.
    for day in (date(2025, 1, 27), date(2025, 1, 31), date(2025, 5, 2), date(2025, 9, 1), date(2025, 9, 2)):
        assert not CAL.is_working_day(day), day
    assert CAL.is_working_day(date(2025, 4, 26))  # a Saturday
    assert CAL.is_working_day(date(2025, 2, 3))
    assert dict(CAL.days_off(2025))[date(2025, 4, 26)] == "Làm bù"


@pytest.mark.parametrize("year", range(1985, 2051))
def test_the_holidays_package_agrees_with_the_lunar_algorithm(year):
    """Two independent sources for Tết and Hùng Kings' day at UTC+7."""
    assert tet(year) in CAL.holidays(year)
    if year >= 2007:  # a public holiday since 2007
        assert lunar_to_solar(10, 3, year) in CAL.holidays(year)


def test_a_holiday_on_a_sunday_is_made_up_on_monday():
    # Hùng Kings' day 2026 falls on Sunday 26 April
    assert not CAL.is_working_day(date(2026, 4, 27))
    assert CAL.is_working_day(date(2026, 4, 28))


def test_the_yearly_table_overrides_the_default_rule():
    table = [
        DayOverride(date(2026, 2, 13), "off", "Tết 2026 theo quyết định"),
        DayOverride(date(2026, 2, 16), "working", "không nghỉ"),
        DayOverride(date(2026, 1, 3), "working", "làm bù"),
    ]
    cal = VietnameseCalendar(overrides=lambda year: [r for r in table if r.day.year == year])
    assert not cal.is_working_day(date(2026, 2, 13))
    assert cal.is_working_day(date(2026, 2, 16))
    assert cal.is_working_day(date(2026, 1, 3))  # a Saturday worked
    shown = dict(cal.days_off(2026))
    assert shown[date(2026, 1, 3)] == "làm bù"
    table.append(DayOverride(date(2026, 3, 2), "off", "bridge"))
    assert cal.is_working_day(date(2026, 3, 2))  # cached for the year
    cal.invalidate(2026)
    assert not cal.is_working_day(date(2026, 3, 2))


def test_working_hours_across_tet_and_a_weekend():
    # Friday 13 February 2026, 16:00; Tết runs Mon 16 - Fri 20 February: 2 working hours later is
    # Monday 23 February 08:30 (one hour on Friday, one on the Monday after Tết).
    assert CAL.add_working_hours(vn(2026, 2, 13, 16, 0), 2) == vn(2026, 2, 23, 8, 30)
    assert CAL.working_hours_between(vn(2026, 2, 13, 16, 0), vn(2026, 2, 23, 8, 30)) == 2
    assert CAL.subtract_working_hours(vn(2026, 2, 23, 8, 30), 2) == vn(2026, 2, 13, 16, 0)


def test_three_working_days_over_the_national_day():
    # Friday 28 August 2026 at 09:00; Monday 31 August (for Saturday 22 August, worked), 1 and
    # 2 September are off: 6.5 h Friday, 8 h Thursday 3, 8 h Friday 4, 1.5 h Monday 7 September.
    assert CAL.due(vn(2026, 8, 28, 9, 0), TimeLimit(3)) == vn(2026, 9, 7, 9, 0)
    assert CAL.is_working_day(date(2026, 8, 22))


def test_the_15_oclock_rule_for_same_day_procedures():
    same_day = TimeLimit(1, "working_days", same_day_cutoff=True)
    assert CAL.due(vn(2026, 3, 3, 14, 59), same_day) == vn(2026, 3, 3, 17, 0)
    assert CAL.due(vn(2026, 3, 3, 15, 0), same_day) == vn(2026, 3, 4, 17, 0)
    assert CAL.due(vn(2026, 3, 6, 16, 0), same_day) == vn(2026, 3, 9, 17, 0)  # Friday -> Monday
    assert CAL.due(vn(2026, 3, 7, 9, 0), same_day) == vn(2026, 3, 9, 17, 0)  # Saturday -> Monday
    # without the rule a one-day limit simply runs eight working hours
    assert CAL.due(vn(2026, 3, 3, 15, 0), TimeLimit(1)) == vn(2026, 3, 4, 15, 0)


def test_calendar_day_limits_end_on_a_working_day():
    # 15 calendar days from 16 April 2026 end on 1 May (a holiday), then the weekend: Monday 4 May
    assert CAL.due(vn(2026, 4, 16, 10, 0), TimeLimit(15, "calendar_days")) == vn(2026, 5, 4, 17, 0)


def test_hours_and_working_days():
    assert working_days_to_hours(3) == 24
    assert hours_to_working_days(4) == 0.5
    assert CAL.due(vn(2026, 3, 2, 7, 30), TimeLimit(4, "hours")) == vn(2026, 3, 2, 11, 30)


def test_centre_hours_are_configurable():
    hours = parse_working_hours("08:00-12:00,13:30-17:30")
    cal = VietnameseCalendar(hours=hours)
    assert cal.add_working_hours(vn(2026, 3, 2, 11, 0), 2) == vn(2026, 3, 2, 14, 30)
    with pytest.raises(ValueError):
        parse_working_hours("13:00-12:00")


def test_each_centre_can_keep_its_own_hours_on_the_same_days():
    table = [DayOverride(date(2026, 3, 3), "off", "nghỉ")]
    cal = VietnameseCalendar(
        overrides=lambda year: table, centre_hours=parse_centre_hours("X.H26=08:00-12:00,13:30-17:30")
    )
    centre = cal.for_centre("X.H26")
    assert cal.for_centre("other") is cal and cal.for_centre(None) is cal
    # Monday 17:15, two hours: the centre still works 15 minutes, then Wednesday (3 March is off)
    assert centre.add_working_hours(vn(2026, 3, 2, 17, 15), 2) == vn(2026, 3, 4, 9, 45)
    assert cal.add_working_hours(vn(2026, 3, 2, 17, 15), 2) == vn(2026, 3, 4, 9, 30)


def test_reminder_and_apology_times():
    # a 16-hour step opened Friday 13 Feb 2026 at 09:00, just before Tết: 6.5 hours that Friday, then
    # nothing until Monday 23 Feb; due Tuesday 24 Feb 09:00, reminded at 12 hours, Monday 23 Feb 14:30
    opened = vn(2026, 2, 13, 9, 0)
    due = CAL.add_working_hours(opened, 16)
    assert due == vn(2026, 2, 24, 9, 0)
    assert reminder_at(CAL, opened, due) == vn(2026, 2, 23, 14, 30)
    # a dossier due Monday 23 Feb 10:00 gets its apology alert one working day earlier: Friday 13 Feb
    assert apology_at(CAL, vn(2026, 2, 23, 10, 0)) == vn(2026, 2, 13, 10, 0)


def test_classification_by_calendar_date_in_vietnam():
    due = vn(2026, 3, 5, 10, 0)
    assert classify(vn(2026, 3, 4, 16, 0), due) == "early"
    assert classify(vn(2026, 3, 5, 16, 30), due) == "on_time"  # later that day still counts on time
    assert classify(vn(2026, 3, 6, 7, 45), due) == "late"
    # 23:30 UTC on 4 March is already 5 March in Hanoi
    assert classify(datetime.fromisoformat("2026-03-04T23:30:00+00:00"), due) == "on_time"
    assert progress(due, vn(2026, 3, 5, 17, 0)) == "within"
    assert progress(due, vn(2026, 3, 6, 8, 0)) == "past_due"


def test_the_appointment_date_from_a_manifest_limit():
    manifest = {"code": "birth_registration", "limit": {"amount": 1, "unit": "working_days", "online_amount": 0.5,
                                                        "same_day_cutoff": True}}  # fmt: skip
    counter = limit_from_manifest(manifest)
    assert counter == TimeLimit(1, "working_days", same_day_cutoff=True)
    assert limit_from_manifest(manifest, "online").amount == 0.5
    assert appointment_date(CAL, vn(2026, 3, 3, 15, 30), counter) == vn(2026, 3, 4, 17, 0)
    with pytest.raises(ValueError):
        limit_from_manifest({"code": "x"})
