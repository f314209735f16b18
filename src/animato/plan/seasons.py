"""The seasonal calendar, computed rather than typed: Christmas, Easter, French sales, Mother's Day.

Each season is a function of the year giving its first and last day (inclusive). French rules:
winter sales start on the second Wednesday of January (the first when the second falls after the
12th), summer sales on the last Wednesday of June (the one before when the last falls after the
28th), both for four weeks; Mother's Day is the last Sunday of May, or the first Sunday of June when
it falls on Pentecost.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import date, timedelta

import holidays
from dateutil.easter import easter

Period = tuple[date, date]


def _weekdays_of(year: int, month: int, weekday: int) -> list[date]:
    day = date(year, month, 1)
    day += timedelta(days=(weekday - day.weekday()) % 7)
    out = []
    while day.month == month:
        out.append(day)
        day += timedelta(days=7)
    return out


def winter_sales(year: int) -> Period:
    """French winter sales: second Wednesday of January (first if the second is after the 12th)."""
    wednesdays = _weekdays_of(year, 1, 2)
    start = wednesdays[1] if wednesdays[1].day <= 12 else wednesdays[0]
    return start, start + timedelta(days=27)


def summer_sales(year: int) -> Period:
    """French summer sales: last Wednesday of June (the one before if it is after the 28th)."""
    wednesdays = _weekdays_of(year, 6, 2)
    start = wednesdays[-1] if wednesdays[-1].day <= 28 else wednesdays[-2]
    return start, start + timedelta(days=27)


def mothers_day(year: int) -> Period:
    """French Mother's Day: last Sunday of May, or first Sunday of June when that is Pentecost."""
    day = _weekdays_of(year, 5, 6)[-1]
    if day == easter(year) + timedelta(days=49):
        day = _weekdays_of(year, 6, 6)[0]
    return day, day


def fathers_day(year: int) -> Period:
    """French Father's Day: third Sunday of June."""
    day = _weekdays_of(year, 6, 6)[2]
    return day, day


def black_friday(year: int) -> Period:
    """The day after the fourth Thursday of November."""
    day = _weekdays_of(year, 11, 3)[3] + timedelta(days=1)
    return day, day


def _fixed(month: int, day: int) -> Callable[[int], Period]:
    def period(year: int) -> Period:
        return date(year, month, day), date(year, month, day)

    return period


def _easter(year: int) -> Period:
    day = easter(year)
    return day, day


SEASONS: dict[str, Callable[[int], Period]] = {
    "new_year": _fixed(1, 1),
    "winter_sales": winter_sales,
    "valentines_day": _fixed(2, 14),
    "easter": _easter,
    "mothers_day": mothers_day,
    "fathers_day": fathers_day,
    "summer_sales": summer_sales,
    "back_to_school": _fixed(9, 1),
    "halloween": _fixed(10, 31),
    "black_friday": black_friday,
    "christmas": _fixed(12, 25),
}

LABELS_FR = {
    "new_year": "Nouvel an",
    "winter_sales": "Soldes d'hiver",
    "valentines_day": "Saint-Valentin",
    "easter": "Pâques",
    "mothers_day": "Fête des mères",
    "fathers_day": "Fête des pères",
    "summer_sales": "Soldes d'été",
    "back_to_school": "Rentrée",
    "halloween": "Halloween",
    "black_friday": "Black Friday",
    "christmas": "Noël",
}


@functools.cache
def season(name: str, year: int) -> Period:
    """First and last day of a named season in a year; ``KeyError`` for an unknown name."""
    return SEASONS[name](year)


def public_holidays(year: int, country: str = "FR") -> dict[date, str]:
    """Public holidays of a country for a year (from the ``holidays`` package)."""
    return dict(sorted(holidays.country_holidays(country, years=year).items()))
