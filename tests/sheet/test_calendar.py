"""Campaign dates and blackout periods of a year, against dates computed by hand."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from animato.plan import Plan
from animato.plan import model as m
from animato.sheet.calendar import (
    blackout_period,
    campaign_dates,
    campaign_moments,
    campaign_sends,
    covers,
)


def campaign(**fields: Any) -> m.Campaign:
    """A campaign with the given timing, everything else fixed."""
    return m.Campaign.model_validate(
        {"id": "c", "name": "C", "channel": "email", "template": "promo", **fields}
    )


def blackout(**fields: Any) -> m.Blackout:
    """A blackout with the given dates or season."""
    return m.Blackout.model_validate({"id": "b", **fields})


def test_christmas_minus_14_days(plan: Plan) -> None:
    # 25 December 2026 minus 14 days.
    c = campaign(every={"season": "christmas", "offset": "-14d"})
    assert campaign_dates(plan, c, 2026) == [date(2026, 12, 11)]
    assert campaign_moments(plan, c, 2026) == [datetime(2026, 12, 11, 10, 0)]


@pytest.mark.parametrize(
    ("year", "start"),
    [
        # 1 Jan 2025 is a Wednesday: Wednesdays 1, 8 -> the second (8th) is not after the 12th.
        (2025, date(2025, 1, 8)),
        # 1 Jan 2026 is a Thursday: Wednesdays 7, 14 -> the second is after the 12th: the 7th.
        (2026, date(2026, 1, 7)),
        # 1 Jan 2027 is a Friday: Wednesdays 6, 13 -> 13 is after the 12th: the 6th.
        (2027, date(2027, 1, 6)),
    ],
)
def test_winter_sales_start(plan: Plan, year: int, start: date) -> None:
    assert campaign_dates(plan, campaign(every={"season": "winter_sales"}), year) == [start]


def test_offset_moves_next_years_date_into_this_year(plan: Plan) -> None:
    # New year 2027 minus 7 days is 25 December 2026; new year 2026 minus 7 days is in 2025.
    c = campaign(every={"season": "new_year", "offset": "-7d"})
    assert campaign_dates(plan, c, 2026) == [date(2026, 12, 25)]


def test_offset_in_hours_can_change_the_day(plan: Plan) -> None:
    # 25 December 10:00 minus 12 hours is 24 December 22:00.
    c = campaign(every={"season": "christmas", "offset": "-12h"})
    assert campaign_moments(plan, c, 2026) == [datetime(2026, 12, 24, 22, 0)]


def test_every_monday(plan: Plan) -> None:
    c = campaign(every={"weekday": "monday", "time": "09:30"})
    days = campaign_dates(plan, c, 2026)
    # 1 Jan 2026 is a Thursday: first Monday 5 Jan, last 28 Dec, 52 Mondays in all.
    assert (days[0], days[-1], len(days)) == (date(2026, 1, 5), date(2026, 12, 28), 52)
    assert {d.weekday() for d in days} == {0}
    assert campaign_moments(plan, c, 2026)[0] == datetime(2026, 1, 5, 9, 30)


def test_every_month(plan: Plan) -> None:
    c = campaign(every={"month_day": 5})
    assert campaign_dates(plan, c, 2026) == [date(2026, month, 5) for month in range(1, 13)]


def test_monthly_with_offset_across_the_year_end(plan: Plan) -> None:
    # The 1st of each month minus 3 days: 29 Jan, 26 Feb (2026 is not a leap year), ...
    # and 29 Dec from 1 Jan 2027; 1 Jan 2026 minus 3 days falls in 2025.
    days = campaign_dates(plan, campaign(every={"month_day": 1, "offset": "-3d"}), 2026)
    assert days[:2] == [date(2026, 1, 29), date(2026, 2, 26)]
    assert days[-1] == date(2026, 12, 29)
    assert len(days) == 12


def test_one_off(plan: Plan) -> None:
    c = campaign(at="2026-03-12T10:00:00")
    assert campaign_dates(plan, c, 2026) == [date(2026, 3, 12)]
    assert campaign_dates(plan, c, 2027) == []


def test_one_off_with_a_utc_time_is_placed_on_the_plan_local_day(plan: Plan) -> None:
    # 23:30 UTC on 31 December is 00:30 on 1 January in Paris (UTC+1 in winter).
    c = campaign(at="2026-12-31T23:30:00+00:00")
    assert campaign_dates(plan, c, 2026) == []
    assert campaign_moments(plan, c, 2027) == [datetime(2027, 1, 1, 0, 30)]


def test_brand_events(plan: Plan) -> None:
    # Yearly brand event on 15 May (2019), minus one day, every year.
    c = campaign(every={"season": "anniversaire_marque", "offset": "-1d"})
    assert campaign_dates(plan, c, 2026) == [date(2026, 5, 14)]
    once = plan.model_copy(
        update={
            "brand_events": [
                m.BrandEvent(id="leap", name="Leap", date=date(2024, 2, 29), yearly=True),
                m.BrandEvent(id="launch", name="Launch", date=date(2026, 9, 3)),
            ]
        }
    )
    assert campaign_dates(once, campaign(every={"season": "leap"}), 2026) == [date(2026, 2, 28)]
    assert campaign_dates(once, campaign(every={"season": "leap"}), 2028) == [date(2028, 2, 29)]
    assert campaign_dates(once, campaign(every={"season": "launch"}), 2026) == [date(2026, 9, 3)]
    assert campaign_dates(once, campaign(every={"season": "launch"}), 2027) == []


def test_blackout_during_a_season(plan: Plan) -> None:
    # Winter sales 2026 start on 7 January and last four weeks: 7 Jan .. 3 Feb inclusive.
    b = blackout(during="winter_sales")
    assert blackout_period(plan, b, 2026) == (date(2026, 1, 7), date(2026, 2, 3))
    assert blackout_period(plan, b, 2027) == (date(2027, 1, 6), date(2027, 2, 2))


def test_blackout_with_dates(plan: Plan) -> None:
    b = blackout(**{"from": "2026-08-01", "to": "2026-08-16"})
    assert blackout_period(plan, b, 2026) == (date(2026, 8, 1), date(2026, 8, 16))
    assert blackout_period(plan, b, 2027) is None
    across = blackout(**{"from": "2026-12-20", "to": "2027-01-05"})
    assert blackout_period(plan, across, 2026) == (date(2026, 12, 20), date(2027, 1, 5))
    assert blackout_period(plan, across, 2027) == (date(2026, 12, 20), date(2027, 1, 5))


def test_blackout_scope(plan: Plan) -> None:
    relance = next(s for s in plan.scenarios if s.id == "relance")
    noel = next(c for c in plan.campaigns if c.id == "noel")
    assert covers(plan, blackout(during="christmas", scope="all"), relance)
    assert covers(plan, blackout(during="christmas"), relance)  # default scope: scenarios
    assert not covers(plan, blackout(during="christmas"), noel)
    assert covers(plan, blackout(during="christmas", scope="campaigns"), noel)
    assert covers(plan, blackout(during="christmas", scope=["fidelite"]), noel)  # program id
    assert not covers(plan, blackout(during="christmas", scope=["bienvenue"]), noel)


def test_sends_held_by_blackouts(plan: Plan) -> None:
    sends = {(s.campaign.id, s.moment.date()): s for s in campaign_sends(plan, 2026)}
    # "Trêve des soldes" holds everything during the winter sales (7 Jan - 3 Feb 2026); the
    # campaign's own rule (drop) applies.
    sales = sends[("soldes_hiver", date(2026, 1, 7))]
    assert sales.blackout is not None and sales.blackout.id == "soldes"
    assert (sales.decision, sales.postponed_to) == ("drop", None)
    # "Pause estivale" (1-16 Aug, campaigns) says postpone: the day after it ends.
    august = sends[("newsletter", date(2026, 8, 3))]
    assert (august.decision, august.postponed_to) == ("postpone", date(2026, 8, 17))
    assert sends[("noel", date(2026, 12, 11))].blackout is None
    assert sends[("newsletter", date(2026, 2, 9))].blackout is None
