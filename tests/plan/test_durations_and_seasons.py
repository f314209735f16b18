"""Durations and the seasonal calendar: examples from the French calendar and properties."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from animato.plan import seasons
from animato.plan.durations import Duration
from animato.plan.model import _time_of_day


@given(st.integers(-5000, 5000), st.sampled_from(["m", "h", "d", "w", "mo", "y"]))
def test_duration_text_round_trip(amount: int, unit: str) -> None:
    duration = Duration(amount, unit)
    assert Duration.parse(str(duration)) == duration


@pytest.mark.parametrize("text", ["7 days", "7", "d7", "1.5d", "", "7dd", "3s"])
def test_bad_durations_are_refused_with_the_expected_forms(text: str) -> None:
    with pytest.raises(ValueError, match="30m, 48h, 7d"):
        Duration.parse(text)


def test_calendar_months_and_leap_days() -> None:
    assert Duration.parse("1mo").after(datetime(2027, 1, 31)) == datetime(2027, 2, 28)
    assert Duration.parse("1y").after(datetime(2028, 2, 29)) == datetime(2029, 2, 28)
    assert Duration.parse("48h").after(datetime(2027, 3, 1)) == datetime(2027, 3, 3)
    assert Duration.parse("-30d").after(datetime(2027, 3, 31)) == datetime(2027, 3, 1)


def test_yaml_sexagesimal_times_are_read_as_clock_times() -> None:
    assert _time_of_day(600) == time(10, 0)  # YAML 1.1 reads 10:00 unquoted as 600
    assert _time_of_day("9:30") == time(9, 30)
    with pytest.raises(ValueError, match="HH:MM"):
        _time_of_day("25:00")


@pytest.mark.parametrize(
    ("year", "winter", "summer", "mothers"),
    [
        (2023, date(2023, 1, 11), date(2023, 6, 28), date(2023, 6, 4)),  # Pentecost on May 28
        (2024, date(2024, 1, 10), date(2024, 6, 26), date(2024, 5, 26)),
        (2025, date(2025, 1, 8), date(2025, 6, 25), date(2025, 5, 25)),
        (2026, date(2026, 1, 7), date(2026, 6, 24), date(2026, 5, 31)),
    ],
)
def test_french_dates(year: int, winter: date, summer: date, mothers: date) -> None:
    assert seasons.winter_sales(year) == (winter, winter + timedelta(days=27))
    assert seasons.summer_sales(year)[0] == summer
    assert seasons.mothers_day(year)[0] == mothers


@given(st.integers(1990, 2200))
def test_season_properties(year: int) -> None:
    start, _ = seasons.winter_sales(year)
    assert start.weekday() == 2 and 2 <= start.day <= 12 and start.month == 1
    start, _ = seasons.summer_sales(year)
    assert start.weekday() == 2 and start.month == 6 and 20 <= start.day <= 28
    mothers, _ = seasons.mothers_day(year)
    assert mothers.weekday() == 6 and (mothers.month, mothers.day >= 25) in {(5, True), (6, False)}
    assert mothers != seasons.season("easter", year)[0] + timedelta(days=49)
    friday, _ = seasons.black_friday(year)
    assert friday.weekday() == 4 and 23 <= friday.day <= 29


def test_public_holidays_come_from_the_holidays_package() -> None:
    days = seasons.public_holidays(2027)
    assert date(2027, 7, 14) in days and date(2027, 5, 17) in days  # Whit Monday 2027
