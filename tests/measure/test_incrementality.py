"""Treated-against-control comparisons: intervals by hand, verdicts, and coverage."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from animato.measure.incrementality import (
    HARMFUL,
    NO_CONTROL,
    PROVEN,
    UNSURE,
    Sample,
    compare,
)


def sample(values: list[float] | np.ndarray, converted: list[bool] | np.ndarray) -> Sample:
    v = np.asarray(values, dtype=float)
    return Sample(len(v), int(np.sum(converted)), float(v.sum()), float((v * v).sum()))


def test_a_clear_uplift_is_proven_and_its_reverse_harmful() -> None:
    treated = Sample(100, 60, 0.0, 0.0)
    control = Sample(100, 20, 0.0, 0.0)
    # Wilson, z = 1.96, z²/n = 0.038415: 60/100 → [0.50200, 0.69060]; 20/100 → [0.13337,
    # 0.28883]; Newcombe: 0.4 - sqrt(0.09800² + 0.08883²) = 0.26773,
    # 0.4 + sqrt(0.09060² + 0.06663²) = 0.51246
    up = compare(treated, control)
    assert up.conversion is not None
    assert up.conversion.estimate == pytest.approx(0.4)
    assert up.conversion.low == pytest.approx(0.26773, abs=1e-5)
    assert up.conversion.high == pytest.approx(0.51246, abs=1e-5)
    assert up.verdict == PROVEN
    assert compare(control, treated).verdict == HARMFUL


def test_no_control_units_means_nothing_to_measure() -> None:
    c = compare(Sample(10, 3, 30.0, 90.0), Sample(0, 0, 0.0, 0.0))
    assert (c.verdict, c.conversion, c.incremental_revenue) == (NO_CONTROL, None, None)


def test_one_control_unit_proves_nothing() -> None:
    # the interval alone would say proven (Newcombe: [+5 pt, +98 pt]); Fisher's p = 0.18
    c = compare(Sample(10, 9, 900.0, 90000.0), Sample(1, 0, 0.0, 0.0))
    assert c.verdict == UNSURE and c.revenue_per_unit is None


def test_same_distribution_is_not_significant() -> None:
    rng = np.random.default_rng(7)
    n = 4000
    buys_t, buys_c = rng.random(n) < 0.08, rng.random(n) < 0.08
    rev_t = np.where(buys_t, rng.gamma(2.0, 40.0, n), 0.0)
    rev_c = np.where(buys_c, rng.gamma(2.0, 40.0, n), 0.0)
    c = compare(sample(rev_t, buys_t), sample(rev_c, buys_c))
    assert c.verdict == UNSURE
    assert c.revenue_per_unit is not None and c.revenue_per_unit.low < 0 < c.revenue_per_unit.high
    assert c.p_value is not None and c.p_value > 0.05


def test_the_intervals_cover_the_true_difference_about_95_percent_of_the_time() -> None:
    rng = np.random.default_rng(11)
    covered_rate = covered_revenue = 0
    runs = 400
    for _ in range(runs):
        bt, bc = rng.random(800) < 0.15, rng.random(400) < 0.10
        rt = np.where(bt, rng.exponential(50.0, 800), 0.0)
        rc = np.where(bc, rng.exponential(50.0, 400), 0.0)
        c = compare(sample(rt, bt), sample(rc, bc))
        assert c.conversion is not None and c.revenue_per_unit is not None
        covered_rate += c.conversion.low <= 0.05 <= c.conversion.high
        covered_revenue += c.revenue_per_unit.low <= 2.5 <= c.revenue_per_unit.high
    assert 0.92 <= covered_rate / runs <= 0.98
    assert 0.92 <= covered_revenue / runs <= 0.98


@settings(max_examples=200, deadline=None)
@given(st.integers(2, 500), st.integers(2, 500), st.data())
def test_intervals_hold_their_estimate_and_verdicts_follow_them(
    n1: int, n0: int, data: st.DataObject
) -> None:
    k1 = data.draw(st.integers(0, n1))
    k0 = data.draw(st.integers(0, n0))
    r1 = data.draw(st.floats(0, 1e4))
    r0 = data.draw(st.floats(0, 1e4))
    c = compare(Sample(n1, k1, r1 * k1, r1 * r1 * k1), Sample(n0, k0, r0 * k0, r0 * r0 * k0))
    assert c.conversion is not None and c.revenue_per_unit is not None
    for i in (c.conversion, c.revenue_per_unit):
        assert i.low <= i.estimate + 1e-9 and i.estimate <= i.high + 1e-9
    assert c.p_value is not None
    sure = c.p_value < 0.05
    expected = (
        PROVEN
        if sure and c.conversion.low > 0
        else HARMFUL
        if sure and c.conversion.high < 0
        else UNSURE
    )
    assert c.verdict == expected
    assert c.incremental_revenue is not None
    assert c.incremental_revenue.estimate == pytest.approx(c.revenue_per_unit.estimate * n1)
