"""Incrementality: what a scenario or campaign adds over doing nothing, measured against its
control group (the scenario's holdout, the plan's global control).

Each group is summed up by a :class:`Sample` (units, conversions, revenue and its sum of
squares); :func:`compare` gives the treated-minus-control difference in conversion rate
(Newcombe's interval for two proportions) and in revenue per unit (Welch's t interval), the
incremental revenue those imply for the treated units, and a plain-language verdict read from
the conversion interval and Fisher's exact test.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import stats

LEVEL = 0.95
PROVEN = "proven incremental"
UNSURE = "not yet significant"
HARMFUL = "harmful"
NO_CONTROL = "no control group"


@dataclass(frozen=True)
class Sample:
    """One group of units (enrolments, campaign messages, customers) and their outcomes."""

    n: int
    conversions: int
    revenue: float
    revenue_sq: float

    @property
    def rate(self) -> float:
        """Share of units that converted."""
        return self.conversions / self.n if self.n else 0.0

    @property
    def mean(self) -> float:
        """Revenue per unit."""
        return self.revenue / self.n if self.n else 0.0

    @property
    def variance(self) -> float:
        """Sample variance of the revenue per unit (n - 1 in the denominator)."""
        if self.n < 2:
            return 0.0
        return max(0.0, (self.revenue_sq - self.n * self.mean**2) / (self.n - 1))


@dataclass(frozen=True)
class Interval:
    """A difference and its confidence interval."""

    estimate: float
    low: float
    high: float

    def scaled(self, factor: float) -> Interval:
        """The same interval multiplied by ``factor`` (≥ 0)."""
        return Interval(self.estimate * factor, self.low * factor, self.high * factor)


@dataclass(frozen=True)
class Comparison:
    """Treated against control: differences, incremental revenue, verdict."""

    treated: Sample
    control: Sample
    conversion: Interval | None
    revenue_per_unit: Interval | None
    incremental_revenue: Interval | None
    p_value: float | None
    verdict: str


def wilson(successes: int, n: int, level: float = LEVEL) -> tuple[float, float]:
    """Wilson score interval of a proportion (scipy's)."""
    ci = stats.binomtest(successes, n).proportion_ci(confidence_level=level, method="wilson")
    return float(ci.low), float(ci.high)


def conversion_difference(treated: Sample, control: Sample, level: float = LEVEL) -> Interval:
    """Difference of conversion rates with Newcombe's hybrid score interval (from the two
    Wilson intervals), which holds with small groups and rates near 0 or 1 where the Wald
    interval does not.
    """
    p1, p0 = treated.rate, control.rate
    l1, u1 = wilson(treated.conversions, treated.n, level)
    l0, u0 = wilson(control.conversions, control.n, level)
    diff = p1 - p0
    low = diff - math.sqrt((p1 - l1) ** 2 + (u0 - p0) ** 2)
    high = diff + math.sqrt((u1 - p1) ** 2 + (p0 - l0) ** 2)
    return Interval(diff, low, high)


def revenue_difference(treated: Sample, control: Sample, level: float = LEVEL) -> Interval | None:
    """Difference of revenue per unit with Welch's t interval (unequal variances); None when a
    group has fewer than two units (no variance to estimate).
    """
    if treated.n < 2 or control.n < 2:
        return None
    v1, v0 = treated.variance / treated.n, control.variance / control.n
    diff = treated.mean - control.mean
    se2 = v1 + v0
    if se2 == 0:
        return Interval(diff, diff, diff)
    spread = (v1**2 / (treated.n - 1) if treated.n > 1 else 0.0) + (
        v0**2 / (control.n - 1) if control.n > 1 else 0.0
    )
    if spread > 0:  # Welch–Satterthwaite degrees of freedom
        t = float(stats.t.ppf(0.5 + level / 2, se2**2 / spread))
    else:  # variances too small to square: the normal quantile
        t = float(stats.norm.ppf(0.5 + level / 2))
    half = t * math.sqrt(se2)
    return Interval(diff, diff - half, diff + half)


def conversion_p_value(treated: Sample, control: Sample) -> float:
    """Two-sided p-value of Fisher's exact test on the 2 × 2 table of conversions."""
    table = [
        [treated.conversions, treated.n - treated.conversions],
        [control.conversions, control.n - control.conversions],
    ]
    return float(stats.fisher_exact(table).pvalue)


def verdict(interval: Interval, p_value: float, level: float = LEVEL) -> str:
    """The plain-language reading of a conversion difference: proven (or harmful) only when
    its interval excludes zero and the exact test agrees at the same level.
    """
    if p_value >= 1 - level:
        return UNSURE
    if interval.low > 0:
        return PROVEN
    if interval.high < 0:
        return HARMFUL
    return UNSURE


def compare(treated: Sample, control: Sample, level: float = LEVEL) -> Comparison:
    """Treated against control; without units on both sides there is nothing to measure."""
    if treated.n == 0 or control.n == 0:
        return Comparison(treated, control, None, None, None, None, NO_CONTROL)
    conversion = conversion_difference(treated, control, level)
    revenue = revenue_difference(treated, control, level)
    p_value = conversion_p_value(treated, control)
    return Comparison(
        treated,
        control,
        conversion,
        revenue,
        None if revenue is None else revenue.scaled(treated.n),
        p_value,
        verdict(conversion, p_value, level),
    )
