"""Report figures on a small hand-built store, against values computed by hand."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from animato.measure import results
from animato.measure.incrementality import NO_CONTROL, UNSURE
from animato.store import Store
from tests.measure.measureplan import END, START, filled


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return filled(tmp_path / "plan")


def one(rows: list[dict[str, Any]], **where: Any) -> dict[str, Any]:
    [row] = [r for r in rows if all(r[k] == v for k, v in where.items())]
    return row


def test_activity_engagement_and_business_of_a_scenario(store: Store) -> None:
    res = results.compute(store, START, END)
    row = one(res.rows("actions"), action_id="panier")
    assert (row["entrants"], row["controls"]) == (7, 3)
    assert (row["scheduled"], row["sent"], row["delivered"], row["bounced"]) == (4, 3, 2, 1)
    assert (row["opened"], row["clicked"], row["unsubscribed"]) == (2, 1, 1)
    assert row["open_rate"] == 2 / 2 and row["click_rate"] == 1 / 2
    assert row["unsubscribe_rate"] == 1 / 2 and row["bounce_rate"] == 1 / 3
    assert (row["complained"], row["complaint_rate"], row["delivery_rate"]) == (1, 1 / 2, 2 / 3)
    assert row["conversion_rate"] == 2 / 4  # treated enrolments who reached the goal
    assert (row["conversions"], row["revenue"], row["average_basket"]) == (1, 100.0, 100.0)
    [channel] = [r for r in res.rows("channels") if r["action_id"] == "panier"]
    assert (channel["channel"], channel["scheduled"], channel["sent"]) == ("email", 4, 3)


def test_incrementality_against_the_holdout_by_hand(store: Store) -> None:
    res = results.compute(store, START, END)
    row = one(res.rows("incrementality"), action_id="panier", control="holdout")
    # treated: 4 units, converted a and c, revenue 100, 0, 50, 0; holdout: 2, revenue 40, 0
    assert (row["treated"], row["control_size"]) == (4, 2)
    assert (row["treated_rate"], row["control_rate"]) == (0.5, 0.5)
    # Wilson, z = 1.96: 2/4 → 0.5 ± 1.96/1.9604 × sqrt(.0625 + 3.8415/64) = [0.15004, 0.84996];
    # 1/2 → 0.5 ± 1.96/2.9207 × sqrt(.125 + 3.8415/16) = [0.09453, 0.90547]. Newcombe:
    # 0 ± sqrt((0.5 - 0.15004)² + (0.90547 - 0.5)²) = ± 0.53561
    assert row["conversion_uplift"] == pytest.approx(0.0)
    assert row["conversion_uplift_high"] == pytest.approx(0.53561, abs=1e-5)
    assert row["conversion_uplift_low"] == pytest.approx(-0.53561, abs=1e-5)
    # Welch: means 37.5 and 20; variances 6875/3 and 800; se² = 572.917 + 400 = 972.917;
    # df = 3.5135, t(0.975, 3.5135) = 2.93485 → 17.5 ± 91.54
    assert row["revenue_uplift"] == pytest.approx(17.5)
    assert row["revenue_uplift_low"] == pytest.approx(-74.0427, abs=1e-3)
    assert row["revenue_uplift_high"] == pytest.approx(109.0427, abs=1e-3)
    # the incremental revenue is the uplift per unit times the 4 treated units
    assert row["incremental_revenue"] == pytest.approx(70.0)
    assert row["incremental_revenue_low"] == pytest.approx(-296.171, abs=1e-2)
    assert row["verdict"] == UNSURE
    glob = one(res.rows("incrementality"), action_id="panier", control="global")
    assert (glob["control_size"], glob["control_rate"]) == (1, 1.0)


def test_plan_wide_comparison_with_the_global_control(store: Store) -> None:
    res = results.compute(store, START, END)
    row = one(res.rows("incrementality"), action_id="plan")
    # 7 customers: 1 in the global control (bought 10), 6 others of whom 4 bought 220 in all
    assert (row["treated"], row["control_size"]) == (6, 1)
    assert row["treated_rate"] == pytest.approx(4 / 6)
    assert row["treated_revenue_per_unit"] == pytest.approx(220 / 6)
    assert row["verdict"] == UNSURE


def test_campaign_without_messages_has_no_control(store: Store) -> None:
    res = results.compute(store, START, END)
    row = one(res.rows("actions"), action_id="noel")
    assert row["entrants"] == 0 and row["verdict"] == "no entrants"
    assert NO_CONTROL != row["verdict"]


def test_program_roll_up_pareto_and_declared_kpis(store: Store) -> None:
    res = results.compute(store, START, END)
    program = one(res.rows("programs"), program_id="ventes")
    assert (program["entrants"], program["sent"], program["opened"]) == (7, 3, 2)
    assert program["incremental_revenue"] == pytest.approx(70.0)
    assert program["open_rate"] == 1.0
    [first] = res.rows("pareto")
    assert (first["action_id"], first["cumulative_share"], first["core"]) == ("panier", 1.0, True)
    kpi = one(res.rows("kpis"), owner_id="ventes", metric="incremental_revenue")
    assert (kpi["value"], kpi["target"], kpi["met"]) == (pytest.approx(70.0), 100.0, False)
    conv = one(res.rows("kpis"), owner_id="panier")
    assert (conv["value"], conv["met"]) == (0.5, True)
