"""Retention: the conventions' periods applied by ``animato privacy purge`` and by the service's
scheduler once a day.
"""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

import pyarrow as pa
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from animato import load_plan
from animato.cli import app
from animato.engine import Engine
from animato.privacy import audit
from animato.settings import Settings
from animato.store import Store
from animato.web.app import create_app
from animato.web.service import Service
from tests.engine import engineplan

RETENTION = "conventions:\n  retention: {events: 36mo, inactive_customers: 3y, quarantine: 6mo}\n"
PLAN = engineplan.PLAN.replace("conventions:\n", RETENTION)


def lived(folder: Path) -> Path:
    """A store file with an idle customer of 2020, an active one with events old and new, and
    quarantined rows old and new.
    """
    store = engineplan.make_store(folder / "plan", PLAN)
    location = folder / "store.duckdb"
    store = Store(store.plan, location)
    engineplan.customers(
        store,
        {"customer_id": "idle", "created_at": datetime(2020, 1, 1), "first_name": "Oubliée"},
        {"customer_id": "busy", "created_at": datetime(2020, 1, 1), "first_name": "Active"},
        {"customer_id": "new", "created_at": datetime(2026, 5, 1), "first_name": "Neuve"},
    )
    for i, (who, when) in enumerate([("idle", datetime(2021, 3, 1)), ("busy", datetime(2021, 3, 1)),
                                     ("busy", datetime(2026, 4, 1))]):  # fmt: skip
        engineplan.event(store, f"e{i}", who, "purchase", when, amount=30.0)
    schema = store.table("quarantine").schema().to_pyarrow()
    rejected = [
        {"kind": "events", "source": "/x.csv", "row_number": n, "record": "{}", "reason": "r",
         "_loaded_at": loaded}
        for n, loaded in ((1, datetime(2025, 1, 1)), (2, datetime(2026, 5, 1)))
    ]  # fmt: skip
    store.append("quarantine", pa.Table.from_pylist(rejected, schema=schema))
    Engine(store).tick(datetime(2026, 5, 31, 23), since=datetime(2026, 5, 30))
    store.close()
    return location


def test_purge_applies_each_period_once(tmp_path: Path) -> None:
    location = lived(tmp_path)
    where = ["--plan", str(tmp_path / "plan"), "--store", str(location)]
    result = CliRunner().invoke(app, ["privacy", "purge", "--now", "2026-06-01", *where])
    assert result.exit_code == 0, result.output
    assert "events 2" in result.stdout and "quarantine 1" in result.stdout
    assert "1 inactive customer(s) erased" in result.stdout
    store = Store(load_plan(tmp_path / "plan"), location)
    assert sorted(r["customer_id"] for r in engineplan.rows(store, "customers")) == ["busy", "new"]
    # the idle customer's old event went with the events' period; the busy one keeps the recent
    assert [(r["customer_id"], r["time"]) for r in engineplan.rows(store, "events")] == [
        ("busy", datetime(2026, 4, 1))]  # fmt: skip
    # and from the state's copy of the purchases
    assert [(r["customer_id"], r["time"]) for r in engineplan.rows(store, "state_history")] == [
        ("busy", datetime(2026, 4, 1))]  # fmt: skip
    assert [r["row_number"] for r in engineplan.rows(store, "quarantine")] == [2]
    state = {r["customer_id"]: r for r in engineplan.rows(store, "customer_state")}
    assert "idle" not in state
    assert store.count("erased_identities") == 0  # may sign up again: not an erasure request
    store.close()
    again = CliRunner().invoke(app, ["privacy", "purge", "--now", "2026-06-01", *where])
    assert "Purged: events 0, quarantine 0; 0 inactive" in again.stdout
    store = Store(load_plan(tmp_path / "plan"), location)
    entries = sorted((e["action"], e["actor"], e["time"]) for e in audit.entries(store))
    at = datetime(2026, 6, 1)
    assert entries == [("erase", "cli", at), ("purge", "cli", at), ("purge", "cli", at)]
    store.close()


def test_the_service_purges_on_its_daily_schedule(tmp_path: Path) -> None:
    location = lived(tmp_path)
    plan = load_plan(tmp_path / "plan")
    service = Service(plan, str(location), Settings(smtp_host=""), purge_every=3600)
    with TestClient(create_app(service)):
        deadline = time.monotonic() + 20
        while service.scheduler.status.last_purge is None:
            assert time.monotonic() < deadline
            time.sleep(0.05)
    store = Store(plan, location)
    entries = sorted((e["action"], e["actor"]) for e in audit.entries(store))
    assert entries == [("erase", "scheduler"), ("purge", "scheduler")]
    assert store.count("customers") == 2
    store.close()
