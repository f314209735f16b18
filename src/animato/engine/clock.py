"""The tick interval, local calendar days in the plan's time zone, who exists when, and times as
numbers."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import ibis.expr.types as ir

from animato.plan.durations import Duration


def existing(customers: ir.Table, now: datetime) -> ir.Table:
    """The customers who exist at ``now``: created by then, or of unknown creation time.

    A replay over history must not greet, wish a birthday to or mail a campaign to a customer
    before the customer was created.
    """
    return customers.filter(customers.created_at.isnull() | (customers.created_at <= now))


def seconds(time: ir.TimestampValue) -> ir.IntegerValue:
    """A time in whole seconds since 1970 (Spark's ``UNIX_TIMESTAMP`` drops the fraction that
    DuckDB's and PostgreSQL's epoch keep: so the fraction goes everywhere).
    """
    return time.truncate("s").epoch_seconds()


@dataclass(frozen=True)
class Interval:
    """A tick covers ``(start, end]``, both naive UTC, read in the plan's time zone."""

    start: datetime
    end: datetime
    timezone: str

    @property
    def zone(self) -> ZoneInfo:
        """The plan's time zone."""
        return ZoneInfo(self.timezone)

    def local_day(self, moment: datetime, zone: str | None = None) -> date:
        """The local calendar day of a naive-UTC moment (in ``zone``, else the plan's)."""
        local = ZoneInfo(zone) if zone else self.zone
        return moment.replace(tzinfo=ZoneInfo("UTC")).astimezone(local).date()

    def days(self, late_within: Duration) -> list[date]:
        """Local days whose date triggers fire in this tick, catching up only ``late_within``."""
        first = self.local_day(self.start) + timedelta(days=1)
        last = self.local_day(self.end)
        earliest = last - timedelta(days=int(late_within.approx_days()))
        first = max(first, earliest)
        return [first + timedelta(days=i) for i in range((last - first).days + 1)]

    def to_utc(self, day: date, at: time, zone: str | None = None) -> datetime:
        """The naive-UTC moment of a local day and time of day (in ``zone``, else the plan's)."""
        local = datetime.combine(day, at, tzinfo=ZoneInfo(zone) if zone else self.zone)
        return local.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def anniversary_source_days(day: date) -> list[tuple[int, int]]:
    """The (month, day) of source dates whose anniversary falls on ``day`` (29 Feb → 28 Feb)."""
    days = [(day.month, day.day)]
    if day.month == 2 and day.day == 28 and not calendar.isleap(day.year):
        days.append((2, 29))
    return days
