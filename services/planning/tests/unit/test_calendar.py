"""Does an activity run on a date: weekdays, public holidays, school holidays (zone C), closures."""

from __future__ import annotations

from datetime import date, time
from uuid import UUID

import pytest
from planning.domain import Activity, Calendar, Closure, Invalid, Period, french_public_holidays, zone_school_holidays
from planning.domain.calendar import school_holiday_periods


@pytest.mark.parametrize(
    ("which", "day", "runs", "reason", "label"),
    [
        ("cantine", date(2026, 12, 1), True, "runs", None),  # a Tuesday in school time
        ("cantine", date(2026, 12, 2), False, "weekday", None),  # no canteen on Wednesdays
        ("cantine", date(2026, 12, 5), False, "weekday", None),  # Saturday
        ("cantine", date(2026, 12, 10), False, "closure", "Grève"),  # every activity closed
        ("alsh", date(2026, 12, 10), False, "closure", "Grève"),
        # Public holidays, from the holidays package.
        ("cantine", date(2026, 12, 25), False, "public_holiday", "Noël"),
        ("alsh", date(2026, 12, 25), False, "public_holiday", "Noël"),
        ("cantine", date(2026, 11, 11), False, "public_holiday", "Armistice"),
        ("alsh", date(2026, 11, 11), False, "public_holiday", "Armistice"),
        ("cantine", date(2027, 3, 29), False, "public_holiday", "Lundi de Pâques"),
        ("alsh", date(2027, 5, 6), False, "public_holiday", "Ascension"),
        ("cantine", date(2027, 5, 17), False, "public_holiday", "Lundi de Pentecôte"),
        # The Friday after Ascension is a school holiday (« pont ») in 2027.
        ("cantine", date(2027, 5, 7), False, "school_holiday", "Pont de l'Ascension"),
        # A week later, plain school days.
        ("cantine", date(2027, 5, 13), True, "runs", None),
        ("cantine", date(2027, 5, 24), True, "runs", None),
        # School holidays of zone C: Noël 2026 runs 19/12/2026 .. 03/01/2027.
        ("cantine", date(2026, 12, 18), True, "runs", None),
        ("cantine", date(2026, 12, 21), False, "school_holiday", "Vacances de Noël"),
        ("cantine", date(2027, 1, 1), False, "public_holiday", "Jour de l'an"),
        ("cantine", date(2027, 1, 4), True, "runs", None),
        ("alsh", date(2026, 12, 21), True, "runs", "Vacances de Noël"),  # the ALSH runs every holiday weekday
        ("alsh", date(2026, 12, 31), True, "runs", "Vacances de Noël"),
        ("alsh", date(2026, 12, 26), False, "weekday", None),  # but not on Saturdays
        ("alsh", date(2026, 12, 2), True, "runs", None),  # Wednesdays in school time
        ("alsh", date(2026, 12, 1), False, "weekday", None),  # not other school days
        ("alsh", date(2026, 10, 27), True, "runs", "Vacances de la Toussaint"),
        ("alsh", date(2027, 2, 8), True, "runs", "Vacances d'hiver"),
        # Outside the school year.
        ("cantine", date(2026, 8, 31), False, "outside_school_year", "2026/2027"),
        ("alsh", date(2027, 8, 2), False, "outside_school_year", "2026/2027"),
    ],
)
def test_runs(which, day, runs, reason, label, calendar, request):
    activity = request.getfixturevalue(which)
    answer = calendar.runs(activity, day)
    assert (answer.runs, answer.reason, answer.label) == (runs, reason, label)


def test_a_closure_of_one_activity_leaves_the_others(year, cantine, alsh, calendar):
    strike = calendar.with_closures(
        [Closure(Period(date(2026, 12, 14), date(2026, 12, 16), "Travaux cuisine"), cantine.id)]
    )
    assert strike.runs(cantine, date(2026, 12, 14)).reason == "closure"
    assert strike.runs(alsh, date(2026, 12, 16)).runs
    assert calendar.runs(cantine, date(2026, 12, 14)).runs  # the original calendar is unchanged


def test_a_holiday_only_activity(year, calendar):
    camp = Activity(
        UUID(int=50),
        year,
        "camp",
        "Centre de loisirs vacances",
        [],
        time(8),
        time(18),
        30,
        holiday_weekdays=[1, 2, 3, 4, 5],
    )
    assert camp.runs_only_during_school_holidays and camp.runs_during_school_holidays
    assert calendar.runs(camp, date(2026, 12, 22)).runs
    assert calendar.runs(camp, date(2026, 12, 2)).reason == "weekday"


def test_public_holidays_come_from_the_package_in_french():
    days = french_public_holidays(date(2026, 9, 1), date(2027, 7, 31))
    assert days[date(2026, 12, 25)] == "Noël" and days[date(2027, 7, 14)] == "Fête nationale"
    assert date(2026, 8, 15) not in days  # outside the range asked
    assert len(days) == 10  # Toussaint .. 14 juillet


def test_school_holidays_of_zone_c_ship_with_the_package():
    periods = zone_school_holidays(date(2026, 9, 1), date(2027, 7, 31))
    assert [(p.label, p.start, p.end) for p in periods] == [
        ("Vacances de la Toussaint", date(2026, 10, 17), date(2026, 11, 1)),
        ("Vacances de Noël", date(2026, 12, 19), date(2027, 1, 3)),
        ("Vacances d'hiver", date(2027, 2, 6), date(2027, 2, 21)),
        ("Vacances de printemps", date(2027, 4, 3), date(2027, 4, 18)),
        ("Pont de l'Ascension", date(2027, 5, 6), date(2027, 5, 8)),
        ("Vacances d'été", date(2027, 7, 3), date(2027, 8, 31)),
    ]
    other_zone = zone_school_holidays(date(2026, 9, 1), date(2027, 7, 31), zone="A")
    assert [p.start for p in other_zone] != [p.start for p in periods]


def test_beyond_the_package_data_staff_must_enter_the_periods():
    with pytest.raises(Invalid) as unknown:
        zone_school_holidays(date(2040, 9, 1), date(2041, 7, 31))
    assert unknown.value.code == "school_holidays_unknown"
    staff = [Period(date(2040, 10, 20), date(2040, 11, 4), "Vacances de la Toussaint")]
    assert school_holiday_periods(date(2040, 9, 1), date(2041, 7, 31), staff, replace=True) == tuple(staff)


def test_staff_periods_complement_or_replace_the_official_ones(year, cantine):
    extra = Period(date(2026, 12, 14), date(2026, 12, 18), "Semaine banalisée")
    both = Calendar.for_school_year(year, staff_school_holidays=[extra])
    only = Calendar.for_school_year(year, staff_school_holidays=[extra], replace_school_holidays=True)
    assert both.runs(cantine, date(2026, 12, 15)).label == "Semaine banalisée"
    assert both.runs(cantine, date(2026, 12, 21)).reason == "school_holiday"
    assert only.runs(cantine, date(2026, 12, 15)).reason == "school_holiday"
    assert only.runs(cantine, date(2026, 12, 21)).runs  # the official Noël holidays were replaced
    assert only.runs(cantine, date(2026, 12, 25)).reason == "public_holiday"  # public holidays stay


def test_a_period_must_not_end_before_it_starts():
    with pytest.raises(Invalid):
        Period(date(2026, 12, 2), date(2026, 12, 1), "Erreur")
