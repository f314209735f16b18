"""Durations as plans write them: ``30m``, ``48h``, ``7d``, ``2w``, ``6mo``, ``1y``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from dateutil.relativedelta import relativedelta

UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks", "mo": "months", "y": "years"}
_PATTERN = re.compile(r"^\s*(-?\d+)\s*(mo|m|h|d|w|y)\s*$")
EXPECTED = "a whole number and a unit: 30m, 48h, 7d, 2w, 6mo or 1y"


@dataclass(frozen=True, order=True)
class Duration:
    """A signed span of time; months and years are calendar months and years."""

    amount: int
    unit: str

    @classmethod
    def parse(cls, text: str | int) -> Duration:
        """Read ``7d``-style text; raise ``ValueError`` saying what is expected."""
        if isinstance(text, bool) or not isinstance(text, str | int):
            raise ValueError(f"expected a duration, {EXPECTED}")
        if isinstance(text, int):
            if text == 0:
                return cls(0, "d")
            raise ValueError(f"'{text}' has no unit: expected {EXPECTED}")
        match = _PATTERN.match(text)
        if not match:
            raise ValueError(f"'{text}' is not a duration: expected {EXPECTED}")
        return cls(int(match.group(1)), match.group(2))

    def __str__(self) -> str:
        return f"{self.amount}{self.unit}"

    @property
    def is_calendar(self) -> bool:
        """True for months and years, whose length depends on the date they start from."""
        return self.unit in ("mo", "y")

    def delta(self) -> timedelta | relativedelta:
        """The span as something a datetime can be added to."""
        if self.unit == "mo":
            return relativedelta(months=self.amount)
        if self.unit == "y":
            return relativedelta(years=self.amount)
        return timedelta(**{UNITS[self.unit]: self.amount})

    def after(self, moment: datetime) -> datetime:
        """The moment this duration after ``moment`` (calendar-aware)."""
        return moment + self.delta()

    def approx_days(self) -> float:
        """Length in days, months counted as 30 days and years as 365 (for ranking only)."""
        per_day = {"m": 1 / 1440, "h": 1 / 24, "d": 1, "w": 7, "mo": 30, "y": 365}
        return self.amount * per_day[self.unit]
