"""The BG/NBD model (Fader, Hardie and Lee 2005): whether a customer is still "alive" given
their purchase history, fitted with the lifetimes package and evaluated in the store.

A history is, per customer, ``frequency`` (repeat purchase days: distinct days with a purchase,
minus one), ``recency`` (first to last purchase) and ``T`` (first purchase to now), in weeks.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from dataclasses import dataclass
from datetime import datetime

import ibis
import ibis.expr.types as ir
import numpy as np

from animato.engine.clock import seconds

WEEK = 7 * 86400.0


@dataclass(frozen=True)
class Fit:
    """BG/NBD parameters (time in weeks) and what they were fitted on."""

    r: float
    alpha: float
    a: float
    b: float
    customers: int
    as_of: datetime


PENALTIES = (0.0, 0.001, 0.01)


def fit(frequency: np.ndarray, recency: np.ndarray, T: np.ndarray, as_of: datetime) -> Fit | None:
    """Fit BG/NBD by maximum likelihood (lifetimes' ``BetaGeoFitter``); when it does not
    converge, again with a small L2 penalty; None when no attempt converges (a history too
    short or too regular for the model).
    """
    with warnings.catch_warnings():  # lifetimes' own deprecation noise under pandas 3
        warnings.simplefilter("ignore")
        from lifetimes import BetaGeoFitter
        from lifetimes.utils import ConvergenceError

        for penalty in PENALTIES:
            model = BetaGeoFitter(penalizer_coef=penalty)
            try:  # (lifetimes prints the optimizer's state when it does not converge)
                with contextlib.redirect_stdout(io.StringIO()):
                    model.fit(frequency, recency, T)
            except (ConvergenceError, ValueError):  # no optimum, or inputs it refuses
                continue
            p = model.params_
            r, alpha, a, b = (float(p[k]) for k in ("r", "alpha", "a", "b"))
            if all(np.isfinite(v) and v > 0 for v in (r, alpha, a, b)):
                return Fit(r, alpha, a, b, len(T), as_of)
    return None


def day(moment: ir.TimestampValue) -> ir.TimestampValue:
    """The start of a moment's (UTC) day: purchases are counted by day, as in the model."""
    return moment.truncate("D")


def weeks(later: ir.TimestampValue, earlier: ir.TimestampValue) -> ir.FloatingValue:
    """The time between two timestamps, in weeks."""
    return (seconds(later) - seconds(earlier)).cast("float64") / WEEK


def p_alive_expr(
    model: Fit,
    days: ir.IntegerValue,
    first: ir.TimestampValue,
    last: ir.TimestampValue,
    now: datetime,
) -> ir.FloatingValue:
    """P(alive | x, t_x, T) as an Ibis expression, from the number of distinct purchase days and
    the first and last purchase times: ``1 / (1 + [x > 0] a / (b + x - 1) ((α + T) / (α + t_x))
    ^ (r + x))``. A customer with no repeat purchase is alive for the model (dropping out
    happens only after a purchase); with no purchase at all the value is null.
    """
    x = (days - 1).cast("float64")
    tx = weeks(day(last), day(first))
    big_t = weeks(ibis.literal(now), day(first))
    ratio = ((model.alpha + big_t) / (model.alpha + tx)) ** (model.r + x)
    odds = (model.a / (model.b + x - 1)) * ratio
    return ibis.cases(
        (days.isnull() | (days == 0), ibis.null("float64")), (x <= 0, 1.0), else_=1.0 / (1.0 + odds)
    )
