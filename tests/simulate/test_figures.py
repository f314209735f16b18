"""Every figure of a simulation on a hand-built history, known in advance (see simplan)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from animato import load_plan
from animato.errors import AnimatoError
from animato.simulate import Simulation, simulate
from animato.simulate.replay import moments
from tests.simulate.simplan import END, PLAN, START, write_history


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> Simulation:
    folder = tmp_path_factory.mktemp("sim")
    plan_dir, source = write_history(folder)
    return simulate(load_plan(plan_dir), source, folder / "out", START, END)


def table(sim: Simulation, name: str) -> list[dict[str, object]]:
    return sim.figures.tables[name].to_pylist()


def test_ticks_run_every_day_after_the_start() -> None:
    assert moments(START, END, END - START) == [END]
    assert len(moments(START, END, (END - START) / 7)) == 7
    with pytest.raises(AnimatoError, match="not after"):
        moments(END, START, END - START)


def test_volumes_per_week_action_and_channel(simulated: Simulation) -> None:
    rows = table(simulated, "volumes")
    assert sorted((r["week"], r["action_id"], r["channel"], r["messages"]) for r in rows) == [
        (date(2027, 3, 1), "hebdo", "email", 2),
        (date(2027, 3, 1), "panier", "email", 3),
    ]  # fmt: skip
    assert simulated.replay.result.ticks == 7


def test_decisions_by_reason(simulated: Simulation) -> None:
    found = {(r["action_id"], r["decision"]): r["messages"] for r in table(simulated, "decisions")}
    assert found == {
        ("hebdo", "accepted"): 2,
        ("hebdo", "dropped:cap_week"): 1,
        ("panier", "accepted"): 3,
        ("panier", "postponed:cap_week"): 1,
    }


def test_pressure_per_customer_week_and_month(simulated: Simulation) -> None:
    week = {r["messages"]: r["customer_weeks"] for r in table(simulated, "pressure_week")}
    month = {r["messages"]: r["customer_months"] for r in table(simulated, "pressure_month")}
    assert week == {0: 0, 1: 1, 2: 2}  # c got 1; a and b reached the cap of 2
    assert month == {0: 0, 1: 1, 2: 2}
    assert simulated.figures.caps == {"week": 2}


def test_collisions_and_centricity(simulated: Simulation) -> None:
    # a's t2 and a's newsletter wanted 03-03; the newsletter was dropped
    assert table(simulated, "collisions") == [
        {"action_a": "hebdo", "action_b": "panier", "customer_days": 1, "both_sent": 0}
    ]
    assert simulated.figures.centricity == pytest.approx(3 / 5)


def test_matrix_with_measured_volumetry(simulated: Simulation) -> None:
    rows = {r["action_id"]: r for r in table(simulated, "matrix")}
    assert rows["panier"]["target_size"] == rows["hebdo"]["target_size"] == 3  # no target
    assert rows["panier"]["entries_per_month"] == round(2 / (7 / 30), 1)
    assert rows["hebdo"]["entries_per_month"] == round(3 / (7 / 30), 1)
    assert rows["panier"]["customers_reached"] == rows["hebdo"]["customers_reached"] == 2


def test_engagement_basis_says_what_was_assumed(simulated: Simulation) -> None:
    assert table(simulated, "engagement") == [
        {"scenario_id": "panier", "steps": "t2", "messages_read": 2, "recorded": 0, "assumed": 2}
    ]


def test_report_and_tables_are_written(simulated: Simulation) -> None:
    html = simulated.report.read_text()
    assert "Simulation: Simulation test" in html and "<svg" in html
    assert "66.7%" in html  # customer-weeks at the cap
    assert "open rate 0%, click rate 0%" in html
    tables = simulated.report.parent / "tables"
    assert (tables / "decisions.csv").read_text().splitlines()[
        0
    ] == '"action_id","decision","messages"'
    assert (tables / "volumes.parquet").stat().st_size > 0


def test_an_interrupted_simulation_resumes_where_it_stopped(
    tmp_path: Path, simulated: Simulation
) -> None:
    plan_dir, source = write_history(tmp_path)
    plan = load_plan(plan_dir)
    half = simulate(plan, source, tmp_path / "out", START, datetime(2027, 3, 4))
    assert half.replay.result.ticks == 3
    # a replay keeps the customer state out of its file: the resumed one makes it anew
    copy = duckdb.connect(str(half.replay.store), read_only=True)
    found = {name for (name,) in copy.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    copy.close()
    assert "messages" in found and not found & {"customer_state", "state_history"}
    rest = simulate(plan, source, tmp_path / "out", START, END)
    assert rest.replay.resumed == 3 and rest.replay.result.ticks == 4
    for name in ("volumes", "decisions", "pressure_week", "collisions", "matrix"):
        assert rest.figures.tables[name].equals(simulated.figures.tables[name]), name


def test_the_source_store_is_left_alone(tmp_path: Path) -> None:
    from animato.store import Store

    plan_dir, source = write_history(tmp_path)
    plan = load_plan(plan_dir)
    simulate(plan, source, tmp_path / "out", START, END)
    store = Store(plan, source)
    assert (store.count("ticks"), store.count("outbox"), store.count("events")) == (0, 0, 2)
    store.close()


def test_a_simulation_stopped_by_ctrl_c_resumes_with_the_same_figures(
    tmp_path: Path, simulated: Simulation
) -> None:
    plan_dir, source = write_history(tmp_path)
    out = tmp_path / "out"
    command = [
        sys.executable, "-m", "animato", "simulate", str(plan_dir), "--store", str(source),
        "--out", str(out), "--from", "2027-03-01", "--to", "2027-03-08", "--step", "3h",
    ]  # fmt: skip
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not (out / "store.duckdb").exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(3)  # some ticks done, the run still going (56 of them)
    child.send_signal(signal.SIGINT)
    _, stderr = child.communicate(timeout=60)
    assert child.returncode == 130, stderr
    assert "interrupted: run the same command again to resume." in stderr
    again = subprocess.run(command, capture_output=True, text=True, timeout=600, check=True)
    resumed = int(again.stdout.split("Resumed: ")[1].split(" tick")[0])
    assert 0 < resumed < 56
    whole = simulate(
        load_plan(plan_dir), source, tmp_path / "whole", START, END, (END - START) / 56
    )
    store_of = {"resumed": out, "whole": tmp_path / "whole"}
    rows = {}
    for name, folder in store_of.items():
        con = duckdb.connect(str(folder / "store.duckdb"), read_only=True)
        rows[name] = con.sql("SELECT * FROM decisions ORDER BY ALL").fetchall()
        con.close()
    assert rows["resumed"] == rows["whole"] and rows["whole"]
    assert whole.replay.result.ticks == 56


def test_data_coverage_of_each_action_in_the_base(simulated: Simulation) -> None:
    found = {(r["action_id"], r["kind"], r["name"]): (r["customers"], r["share"])
             for r in table(simulated, "data_coverage")}  # fmt: skip
    assert found == {
        ("panier", "event", "cart_abandoned"): (2, 0.6667),  # a and b abandoned a cart
        ("panier", "field", "email"): (3, 1.0),
        ("panier", "field", "first_name"): (3, 1.0),
        ("panier", "field", "*"): (3, 1.0),
        ("hebdo", "field", "email"): (3, 1.0),
        ("hebdo", "field", "first_name"): (3, 1.0),
        ("hebdo", "field", "*"): (3, 1.0),
    }
    html = simulated.report.read_text()
    assert "<h2>Data coverage</h2>" in html
    assert "cart_abandoned (event) 67%, email 100%, first_name 100%" in html


def test_coverage_counts_the_customers_who_have_a_field(tmp_path: Path) -> None:
    text = PLAN.replace("customer: {first_name: string}", "customer: {first_name: string, "
                        "birth_date: date}").replace(
        "    campaigns:",
        "      - {id: anniv, name: Anniv, trigger: {date: birth_date},"
        " steps: [{channel: email, template: mail}]}\n    campaigns:")  # fmt: skip
    plan_dir, source = write_history(tmp_path, text)
    con = duckdb.connect(str(source))
    con.execute("UPDATE customers SET birth_date = DATE '1990-03-04' WHERE customer_id = 'a'")
    con.execute("UPDATE customers SET email = NULL WHERE customer_id = 'a'")
    con.close()
    sim = simulate(load_plan(plan_dir), source, tmp_path / "out", START, END)
    found = {(r["action_id"], r["name"]): r["share"] for r in table(sim, "data_coverage")}
    assert found[("anniv", "birth_date")] == 0.3333
    assert found[("anniv", "email")] == 0.6667
    assert found[("anniv", "*")] == 0.3333  # a: the address is not one of "all its fields"
