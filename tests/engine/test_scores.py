"""Scores: weighted criteria in conditions and triggers, and BG/NBD fitted on the real CDNOW
sample through animato's own ingestion and scoring path.
"""

from __future__ import annotations

import csv
from datetime import datetime, timedelta
from pathlib import Path

import lifetimes.datasets
import numpy as np
import pytest

from animato import load_plan
from animato.engine import Engine, bgnbd, scores
from animato.measure.results import score_bands
from animato.store import Store
from animato.store.ingest import ingest
from tests.engine.engineplan import customers, event, rows

PLAN = """\
name: Scores
salt: pepper
timezone: UTC
data:
  events:
    purchase: {properties: {amount: number}}
    visit: {}
conventions:
  scores:
    inactivity:
      criteria:
        - {name: recency, when: "days_since(purchase) > 90", weight: 3}
        - {name: frequency_drop, when: "count(purchase, 90d) == 0 and count(purchase, 365d) >= 2"}
        - {name: digital, when: "days_since(visit) > 60 or count(visit) == 0"}
      alive: {event: purchase, weight: 2, min_customers: 50}
  segments:
    dormant: "score('inactivity') > 0.7"
programs:
  - id: p
    name: P
    scenarios:
      - id: reveil
        name: Réveil
        trigger: {segment: dormant, on: enter}
        steps: [{channel: email, template: mail}]
"""
NOW = datetime(2027, 6, 1, 12)


def make(folder: Path, text: str = PLAN) -> Store:
    (folder / "templates").mkdir(parents=True)
    (folder / "plan.yaml").write_text(text)
    (folder / "templates" / "mail.html").write_text("---\nsubject: Hé\n---\n<p>Hé</p>\n")
    return Store(load_plan(folder))


def test_weighted_criteria_give_the_score_and_trigger_a_scenario(tmp_path: Path) -> None:
    store = make(tmp_path / "plan")
    customers(
        store,
        *({"customer_id": c, "created_at": datetime(2020, 1, 1)} for c in "abcd"),
    )
    ago = lambda days: NOW - timedelta(days=days)  # noqa: E731
    event(store, "a1", "a", "purchase", ago(200), amount=10.0)
    event(store, "a2", "a", "purchase", ago(100), amount=10.0)  # now all 3 criteria: 5/5
    for i, days in enumerate((1, 31)):
        event(store, f"b{i}", "b", "purchase", ago(days), amount=10.0)
        event(store, f"bv{i}", "b", "visit", ago(days))  # none: 0/5
    event(store, "c1", "c", "purchase", ago(100), amount=10.0)
    event(store, "c2", "c", "visit", ago(10))  # recency only: 3/5
    event(store, "d1", "d", "purchase", ago(400), amount=10.0)  # dormant all along: 4/5
    # too few buyers for a BG/NBD fit (min_customers 50): the criteria alone, and the attempt
    # is kept so that the next one waits for the refit (30 days)
    assert scores.ensure_fits(store, NOW) == {}
    [attempt] = rows(store, "score_fits")
    assert attempt["r"] is None and attempt["as_of"] == NOW
    assert scores.ensure_fits(store, NOW + timedelta(days=1)) == {}
    assert len(rows(store, "score_fits")) == 1
    found = {
        r["customer_id"]: r["score"]
        for r in scores.values(store, "inactivity", NOW).to_pyarrow().to_pylist()
    }
    assert found == {"a": 1.0, "b": 0.0, "c": pytest.approx(0.6), "d": pytest.approx(0.8)}
    # a month earlier a had bought 70 days before and c had not visited: both at 1/5
    earlier = {
        r["customer_id"]: r["score"]
        for r in scores.values(store, "inactivity", ago(30)).to_pyarrow().to_pylist()
    }
    assert earlier == {"a": 0.2, "b": 0.0, "c": 0.2, "d": 0.8}
    bands = {r["low"]: r["customers"] for r in score_bands(store, NOW)}
    assert (bands[0.0], bands[0.6], bands[0.8], bands[0.9], sum(bands.values())) == (1, 1, 1, 1, 4)
    engine = Engine(store)
    engine.tick(ago(30), since=ago(31))  # the segment's baseline: d already in it
    engine.tick(NOW)
    entered = [r["customer_id"] for r in rows(store, "enrolments")]
    assert entered == ["a"]  # a segment trigger on score('inactivity') > 0.7


def test_an_unknown_score_is_a_plan_error(tmp_path: Path) -> None:
    from animato.errors import PlanError

    text = PLAN.replace("score('inactivity') > 0.7", "score('inactivite') > 0.7")
    with pytest.raises(PlanError) as caught:
        make(tmp_path / "plan", text)
    [problem] = [p for p in caught.value.problems if "score" in p.message]
    assert "unknown score 'inactivite'" in problem.message
    assert problem.hint and "inactivity" in problem.hint


def _cdnow_file(folder: Path) -> tuple[Path, Path]:
    """The CDNOW sample that ships with lifetimes, as the CSV files a brand would give."""
    source = Path(lifetimes.datasets.__file__).parent / "CDNOW_sample.txt"
    events, people = folder / "cdnow_events.csv", folder / "cdnow_customers.csv"
    seen: dict[str, str] = {}
    with events.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["event_id", "customer_id", "type", "time", "amount"])
        for n, line in enumerate(source.read_text().splitlines(), 1):
            _master, cid, day, _cds, amount = line.split()
            time = f"{day[:4]}-{day[4:6]}-{day[6:]}T00:00:00"
            seen.setdefault(cid, time)
            writer.writerow([f"cdnow-{n}", cid, "purchase", time, amount])
    with people.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["customer_id", "created_at"])
        writer.writerows(sorted(seen.items()))
    return events, people


def test_bg_nbd_on_the_cdnow_sample_matches_the_published_fit(tmp_path: Path) -> None:
    store = make(tmp_path / "plan")
    events, people = _cdnow_file(tmp_path)
    assert ingest(store, "customers", people).loaded == 2357
    assert ingest(store, "events", events).loaded == 6919
    end = datetime(1997, 9, 30)  # the 39-week calibration period of Fader, Hardie and Lee
    fits = scores.ensure_fits(store, end)
    fit = fits["inactivity"]
    assert fit.customers == 2357
    # Fader, Hardie and Lee (2005), in weeks: r = 0.243, α = 4.414, a = 0.793, b = 2.426
    assert fit.r == pytest.approx(0.243, abs=0.001)
    assert fit.alpha == pytest.approx(4.414, abs=0.01)
    assert fit.a == pytest.approx(0.793, abs=0.002)
    assert fit.b == pytest.approx(2.426, abs=0.01)
    [stored] = rows(store, "score_fits")
    assert (stored["score"], stored["as_of"]) == ("inactivity", end)
    assert scores.ensure_fits(store, end + timedelta(days=3)) == fits  # not refitted yet
    # P(alive) computed in the store agrees with lifetimes' own
    from lifetimes import BetaGeoFitter

    history = scores.history(store, store.plan.conventions.scores["inactivity"].alive, end)  # type: ignore[arg-type]
    summary = history.order_by("customer_id").to_pyarrow()
    model = BetaGeoFitter()
    model.params_ = {"r": fit.r, "alpha": fit.alpha, "a": fit.a, "b": fit.b}
    expected = model.conditional_probability_alive(
        summary["frequency"].to_numpy(), summary["recency"].to_numpy(), summary["T"].to_numpy()
    )
    valued = scores.values(store, "inactivity", end).order_by("customer_id").to_pyarrow()
    assert valued.num_rows == 2357
    # with the fit, the score mixes the criteria and 2 × (1 - P(alive)) over weights 5 + 2
    t = store.table("customers")
    assert t.count().to_pyarrow().as_py() == 2357
    days, first, last = (f"agg_{k}_purchase" for k in ("days", "first_time", "last_time"))
    from animato.engine.aggregates import aggregate_table
    from animato.engine.compile import alive_aggregates

    aggs = aggregate_table(store.table("events"), alive_aggregates("purchase"), end)
    assert aggs is not None
    aggs = aggs.order_by("customer_id")
    p = aggs.select(p=bgnbd.p_alive_expr(fit, aggs[days], aggs[first], aggs[last], end))
    got = p.to_pyarrow()["p"].to_numpy()
    assert np.max(np.abs(got - expected)) < 1e-9
    assert all(0.0 <= v <= 1.0 for v in valued["score"].to_pylist())


def test_a_large_history_is_fitted_on_a_deterministic_sample(tmp_path: Path) -> None:
    store = make(
        tmp_path / "plan", PLAN.replace("min_customers: 50}", "min_customers: 50, sample: 1000}")
    )
    events, people = _cdnow_file(tmp_path)
    ingest(store, "customers", people)
    ingest(store, "events", events)
    fit = scores.ensure_fits(store, datetime(1997, 9, 30))["inactivity"]
    assert 900 <= fit.customers <= 1100  # about 1,000 of the 2,357, the same ones every time
    again = scores.fit_history(
        store, store.plan.conventions.scores["inactivity"].alive, datetime(1997, 9, 30)
    )  # type: ignore[arg-type]
    assert again is not None and again.customers == fit.customers and again.r == fit.r


def test_purchases_are_counted_by_day(tmp_path: Path) -> None:
    store = make(tmp_path / "plan")
    customers(store, {"customer_id": "a", "created_at": datetime(2020, 1, 1)})
    event(store, "a1", "a", "purchase", datetime(2027, 5, 1, 9), amount=10.0)
    event(store, "a2", "a", "purchase", datetime(2027, 5, 1, 17), amount=10.0)  # same day
    event(store, "a3", "a", "purchase", datetime(2027, 5, 15, 12), amount=10.0)
    alive = store.plan.conventions.scores["inactivity"].alive
    assert alive is not None
    [row] = scores.history(store, alive, NOW).to_pyarrow().to_pylist()
    # two purchase days: one repeat; 14 days from the first to the last; 31.5 days to now
    assert row["frequency"] == 1.0
    assert row["recency"] == pytest.approx(2.0)
    assert row["T"] == pytest.approx(31.5 / 7)


def test_a_fit_that_needs_a_penalty_prints_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    # customers as regular as clockwork: lifetimes' unpenalized fit does not converge, and it
    # prints the optimizer's state before raising (into a simulation's progress bar)
    frequency, recency, T = np.full(100, 10.0), np.full(100, 49.0), np.full(100, 50.0)
    fit = bgnbd.fit(frequency, recency, T, NOW)
    assert fit is not None and fit.customers == 100
    assert capsys.readouterr().out == ""
