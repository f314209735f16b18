"""The same plan on the same data makes the same decisions on every backend: DuckDB (the store
file) and PostgreSQL (a real server), driven through the CLI, compared row for row after
normalising types (a server returns its own numeric and timestamp types).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from animato import load_plan
from animato.cli import app
from animato.store import Store

runner = CliRunner()
PLAN = Path(__file__).resolve().parents[2] / "examples" / "retail"
LOGS = {
    "enrolments": None,
    "journey_log": None,
    "messages": None,
    "decisions": None,
    "segment_log": None,
    "outbox": ["message_id", "customer_id", "action_id", "step_id", "channel", "send_at"],
    "ticks": ["tick_id", "previous", "now", "enrolments", "messages"],
}
DAYS = ["--now", "2026-01-05T23:00", "--until", "2026-01-11T23:00"]


def _invoke(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def _value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, float | Decimal):
        return round(float(value), 9)
    return value


def _rows(location: str, table: str) -> list[tuple[Any, ...]]:
    store = Store(load_plan(PLAN), location)
    try:
        logs = store.table(table)
        columns = LOGS[table] or [c for c in logs.columns if c != "_loaded_at"]
        rows = logs.select(*columns).to_pyarrow().to_pylist()
    finally:
        store.close()
    return sorted((tuple(_value(v) for v in row.values()) for row in rows), key=repr)


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("backends")
    data = folder / "data"
    _invoke("demo-data", str(data), "--customers", "500", "--years", "1", "--end", "2026-02-01")
    store = folder / "store.duckdb"
    for kind in ("customers", "consents", "events"):
        _invoke("ingest", kind, str(data / f"{kind}.parquet"), "--plan", str(PLAN),
                "--store", str(store))  # fmt: skip
    return store


def test_duckdb_and_postgres_make_the_same_decisions(
    history: Path, postgres: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANIMATO_HOME", str(tmp_path / "home"))
    said = _invoke("transfer", postgres, "--plan", str(PLAN), "--store", str(history))
    assert "events: 0 rows added" not in said
    again = _invoke("transfer", postgres, "--plan", str(PLAN), "--store", str(history))
    assert "events: 0 rows added" in again  # a second copy adds nothing
    _invoke("run", str(PLAN), "--store", str(history), *DAYS)
    _invoke("run", str(PLAN), "--backend", postgres, *DAYS)
    for table in LOGS:
        duckdb_rows = _rows(str(history), table)
        assert duckdb_rows, f"nothing in {table}: the test would prove nothing"
        assert _rows(postgres, table) == duckdb_rows, table


def test_an_unknown_backend_is_refused_clearly(history: Path) -> None:
    result = runner.invoke(app, ["run", str(PLAN), "--backend", "mysql://x@y/z", *DAYS])
    assert result.exit_code == 1
    assert "unknown backend mysql://" in result.output
    assert "postgres://user@host:port/database" in result.output
