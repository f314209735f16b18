"""The scheduler of the service: ticks and deliveries on their periods, stopped with the app."""

from __future__ import annotations

import time
from pathlib import Path

from fastapi.testclient import TestClient

from animato import load_plan
from animato.settings import Settings
from animato.store import Store
from animato.web.app import create_app
from animato.web.service import Service
from tests.delivery.outboxes import make_store


def test_ticks_and_deliveries_run_on_schedule_and_stop_with_the_app(tmp_path: Path) -> None:
    location = str(tmp_path / "store.duckdb")
    make_store(tmp_path / "plan", 2, location=location).close()
    plan = load_plan(tmp_path / "plan")
    service = Service(plan, location, Settings(smtp_host=""), tick_every=0.2, deliver_every=0.1)
    with TestClient(create_app(service)) as client:
        deadline = time.monotonic() + 20
        while service.scheduler.status.last_delivery is None or (
            service.scheduler.status.last_tick is None
        ):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        health = client.get("/health").json()
        assert health["last_tick"] and health["last_delivery"] and health["status"] == "ok"
    assert not service.scheduler._thread.is_alive()  # stopped with the app
    assert service.scheduler.status.error == ""
    store = Store(plan, location)  # the service let go of the file
    assert store.count("ticks") == 1  # (the clock is before the test's own tick: nothing to do)
    store.close()
