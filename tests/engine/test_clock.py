"""Date logic of triggers, property-based: local days, catch-up, leap years, DST."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from hypothesis import given
from hypothesis import strategies as st

from animato.engine.clock import Interval, anniversary_source_days
from animato.plan.durations import Duration

ZONES = st.sampled_from(["Europe/Paris", "America/New_York", "Pacific/Auckland", "UTC"])
MOMENTS = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2040, 12, 31))


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2030, 12, 31)), st.integers(2000, 2040))
def test_every_date_has_exactly_one_anniversary_a_year(source: date, year: int) -> None:
    days = [date(year, 1, 1) + timedelta(days=i) for i in range(366)]
    hits = [
        d
        for d in days
        if d.year == year and (source.month, source.day) in anniversary_source_days(d)
    ]
    assert len(hits) == 1
    if (source.month, source.day) == (2, 29) and hits[0].month == 2:
        assert hits[0].day in (28, 29)


@given(ZONES, st.lists(MOMENTS, min_size=3, max_size=8, unique=True))
def test_split_ticks_see_each_local_day_once(zone: str, moments: list[datetime]) -> None:
    """With enough catch-up, many small ticks fire the same days as one big tick."""
    ticks = sorted(moments)
    catch_up = Duration(20_000, "d")
    whole = Interval(ticks[0], ticks[-1], zone).days(catch_up)
    pieces = [
        d
        for a, b in zip(ticks, ticks[1:], strict=False)
        for d in Interval(a, b, zone).days(catch_up)
    ]
    assert pieces == whole


@given(ZONES, MOMENTS, st.integers(1, 72 * 60))
def test_without_catch_up_only_the_current_day_fires(
    zone: str, start: datetime, minutes: int
) -> None:
    interval = Interval(start, start + timedelta(minutes=minutes), zone)
    days = interval.days(Duration(0, "d"))
    end_day = interval.local_day(interval.end)
    assert days == ([end_day] if interval.local_day(interval.start) < end_day else [])


@given(ZONES, st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 12, 31)))
def test_local_midnight_round_trips(zone: str, day: date) -> None:
    interval = Interval(datetime(2000, 1, 1), datetime(2000, 1, 2), zone)
    assert interval.local_day(interval.to_utc(day, time(0, 0))) == day


def test_paris_dst_days() -> None:
    interval = Interval(datetime(2027, 3, 27), datetime(2027, 3, 29), "Europe/Paris")
    assert interval.to_utc(date(2027, 3, 27), time(10)) == datetime(2027, 3, 27, 9)  # UTC+1
    assert interval.to_utc(date(2027, 3, 28), time(10)) == datetime(2027, 3, 28, 8)  # UTC+2
