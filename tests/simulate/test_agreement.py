"""Simulation and production agree: ``animato run`` day by day and ``animato simulate`` over
the same period make the same decisions, row for row, on the demo plan and demo data.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from animato.cli import app

runner = CliRunner()
PLAN = Path(__file__).resolve().parents[2] / "examples" / "retail"
# Every column the engine decides; tick bookkeeping (start time, duration) aside.
LOGS = {
    "enrolments": "*",
    "journey_log": "*",
    "messages": "*",
    "decisions": "*",
    "segment_log": "*",
    "outbox": "message_id, customer_id, action_id, step_id, channel, send_at, tick_id",
    "ticks": "tick_id, previous, now, enrolments, messages",
}


def _invoke(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def _rows(path: Path, table: str) -> list[tuple[object, ...]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.sql(f"SELECT {LOGS[table]} FROM {table} ORDER BY ALL").fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("agree")
    data = folder / "data"
    _invoke("demo-data", str(data), "--customers", "600", "--years", "1", "--end", "2026-02-01")
    store = folder / "store.duckdb"
    for kind in ("customers", "consents", "events"):
        _invoke("ingest", kind, str(data / f"{kind}.parquet"), "--plan", str(PLAN),
                "--store", str(store))  # fmt: skip
    return store


def test_run_day_by_day_and_simulate_make_the_same_decisions(history: Path, tmp_path: Path) -> None:
    out = tmp_path / "sim"
    said = _invoke(
        "simulate", str(PLAN), "--store", str(history), "--out", str(out),
        "--from", "2026-01-04T23:00", "--to", "2026-01-14T23:00",
        "--open-rate", "0", "--click-rate", "0",  # production has no tracking recorded
    )  # fmt: skip
    assert "Simulation report:" in said and (out / "report.html").exists()
    _invoke(
        "run", str(PLAN), "--store", str(history),
        "--now", "2026-01-05T23:00", "--until", "2026-01-14T23:00",
    )  # fmt: skip
    simulated = out / "store.duckdb"
    assert len(_rows(history, "ticks")) == 10
    for table in LOGS:
        production = _rows(history, table)
        assert production, f"nothing in {table}: the test would prove nothing"
        assert _rows(simulated, table) == production, table


def test_simulate_explains_bad_options(history: Path, tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        ["simulate", str(PLAN), "--store", str(history), "--out", str(tmp_path / "s"),
         "--from", "2026-01-10", "--to", "2026-01-05"],
    )  # fmt: skip
    assert result.exit_code == 1 and "is not after --from" in result.stderr
    result = runner.invoke(
        app,
        ["simulate", str(PLAN), "--store", str(history), "--from", "2026-01-01",
         "--to", "2026-01-05", "--step", "1mo"],
    )  # fmt: skip
    assert result.exit_code == 2 and "--step" in result.stderr
    result = runner.invoke(
        app, ["simulate", str(PLAN), "--store", str(tmp_path / "none.duckdb"),
              "--from", "2026-01-01", "--to", "2026-01-05"],
    )  # fmt: skip
    assert result.exit_code == 1 and "ingest data first" in result.stderr
