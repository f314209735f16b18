"""The campaign calendar of a year: when each campaign goes out, and what holds it back.

The date functions are pure and meant for reuse by the engine: :func:`campaign_dates` resolves
a campaign's send days in a calendar year (``at`` one-offs; ``every`` season or brand event plus
offset, weekday, or day of month), :func:`blackout_period` resolves a blackout's dates, and
:func:`campaign_sends` puts both together. Times are local to the plan's time zone. The page
that shows them (a 12-month Gantt chart and the same facts as tables) is :mod:`planning`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays as holidays_lib

from animato.plan import model as m
from animato.plan.seasons import SEASONS, Period, public_holidays, season

Action = m.Scenario | m.Campaign


def _on_year(day: date, year: int) -> date:
    """The same month and day in another year; 29 February falls on 28 February."""
    if day.month == 2 and day.day == 29:
        try:
            return date(year, 2, 29)
        except ValueError:
            return date(year, 2, 28)
    return day.replace(year=year)


def moment_period(plan: m.Plan, name: str, year: int) -> Period | None:
    """First and last day of a season or brand event in a year (``None`` if not that year)."""
    if name in SEASONS:
        return season(name, year)
    for event in plan.brand_events:
        if event.id == name:
            if event.yearly:
                day = _on_year(event.date, year)
            elif event.date.year == year:
                day = event.date
            else:
                return None
            return day, day
    raise KeyError(name)


def _base_days(plan: m.Plan, every: m.Recurrence, year: int) -> list[date]:
    if every.season is not None:
        period = moment_period(plan, every.season, year)
        return [period[0]] if period else []
    if every.weekday is not None:
        first = date(year, 1, 1)
        first += timedelta(days=(m.WEEKDAYS.index(every.weekday) - first.weekday()) % 7)
        return [
            first + timedelta(weeks=k)
            for k in range(54)
            if (first + timedelta(weeks=k)).year == year
        ]
    assert every.month_day is not None
    return [date(year, month, every.month_day) for month in range(1, 13)]


def holidays_fr(year: int) -> dict[date, str]:
    """French public holidays of a year, named in French."""
    names = holidays_lib.country_holidays("FR", years=year, language="fr")
    return {day: names.get(day, name) for day, name in public_holidays(year).items()}


def campaign_moments(plan: m.Plan, campaign: m.Campaign, year: int) -> list[datetime]:
    """Local send times (naive, in the plan's time zone) of a campaign in a calendar year."""
    if campaign.at is not None:
        at = campaign.at
        if at.tzinfo is not None:
            at = at.astimezone(ZoneInfo(plan.timezone)).replace(tzinfo=None)
        return [at] if at.year == year else []
    every = campaign.every
    assert every is not None
    moments: set[datetime] = set()
    # An offset can move a neighbouring year's date into this one (new year minus 7 days).
    for base_year in (year - 1, year, year + 1):
        for base in _base_days(plan, every, base_year):
            moment = every.offset.after(datetime.combine(base, every.time))
            if moment.year == year:
                moments.add(moment)
    return sorted(moments)


def campaign_dates(plan: m.Plan, campaign: m.Campaign, year: int) -> list[date]:
    """Local days on which a campaign goes out in a calendar year, in order."""
    return sorted({moment.date() for moment in campaign_moments(plan, campaign, year)})


def blackout_period(plan: m.Plan, blackout: m.Blackout, year: int) -> Period | None:
    """First and last day (inclusive) of a blackout that touches a year, else ``None``."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    if blackout.during is not None:
        for candidate in (year, year - 1, year + 1):
            period = moment_period(plan, blackout.during, candidate)
            if period and period[0] <= last and period[1] >= first:
                return period
        return None
    assert blackout.from_ is not None and blackout.to is not None
    if blackout.from_ <= last and blackout.to >= first:
        return blackout.from_, blackout.to
    return None


def covers(plan: m.Plan, blackout: m.Blackout, action: Action) -> bool:
    """True when a blackout's scope holds back a scenario's or campaign's messages."""
    if blackout.scope == "all":
        return True
    if blackout.scope == "scenarios":
        return isinstance(action, m.Scenario)
    if blackout.scope == "campaigns":
        return isinstance(action, m.Campaign)
    return action.id in blackout.scope or plan.program_of(action.id).id in blackout.scope


@dataclass(frozen=True)
class Send:
    """One campaign send of the calendar and, when a blackout holds it, what happens to it."""

    campaign: m.Campaign
    moment: datetime
    blackout: m.Blackout | None = None
    decision: m.OnConflict | None = None
    postponed_to: date | None = None


def campaign_sends(plan: m.Plan, year: int) -> list[Send]:
    """Every campaign send of a year, in plan order then time, with its blackout conflict."""
    periods = [(b, blackout_period(plan, b, year)) for b in plan.conventions.blackouts]
    sends = []
    for campaign in plan.campaigns:
        for moment in campaign_moments(plan, campaign, year):
            send = Send(campaign, moment)
            for blackout, period in periods:
                if period and period[0] <= moment.date() <= period[1]:
                    if covers(plan, blackout, campaign):
                        decision = blackout.on_conflict or campaign.on_conflict
                        after = period[1] + timedelta(days=1) if decision == "postpone" else None
                        send = Send(campaign, moment, blackout, decision, after)
                        break
            sends.append(send)
    return sends
