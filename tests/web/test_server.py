"""``animato serve`` as a real process: it answers, and SIGTERM stops it gracefully."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx2 as httpx

from animato import load_plan
from animato.store import Store
from tests.delivery.outboxes import free_port, make_store


def test_serve_answers_and_stops_gracefully_on_sigterm(tmp_path: Path) -> None:
    location = tmp_path / "store.duckdb"
    make_store(tmp_path / "plan", 1, location=str(location)).close()
    port = free_port()
    env = {**os.environ, "ANIMATO_API_TOKEN": "t"}
    command = [sys.executable, "-m", "animato", "serve", str(tmp_path / "plan"), "--store",
               str(location), "--port", str(port), "--tick-every", "0",
               "--deliver-every", "1"]  # fmt: skip
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, process.communicate()[1].decode()
            assert time.monotonic() < deadline, "animato serve did not start"
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        assert health.json()["status"] == "ok"
        event = {"customer_id": "c000", "type": "purchase", "time": "2027-03-02T10:00:00Z",
                 "amount": 3}  # fmt: skip
        posted = httpx.post(f"http://127.0.0.1:{port}/v1/events", json=[event],
                            headers={"Authorization": "Bearer t"})  # fmt: skip
        assert posted.json()["accepted"] == 1
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=60)
    # uvicorn shuts down, then re-raises the signal so that the exit status says why
    assert process.returncode in (0, -signal.SIGTERM), err.decode()
    assert "Application shutdown complete" in err.decode()
    store = Store(load_plan(tmp_path / "plan"), location)  # the file is free again
    assert store.count("events") == 1
    store.close()


def test_serve_with_a_clock_and_a_sink_delivers_what_is_due_then(tmp_path: Path) -> None:
    """``make demo``'s last step: the service's clock at the demo's date, email to a sink."""
    location = tmp_path / "store.duckdb"
    make_store(tmp_path / "plan", 2, location=str(location)).close()
    port, mail = free_port(), tmp_path / "mail"
    command = [sys.executable, "-m", "animato", "serve", str(tmp_path / "plan"), "--store",
               str(location), "--port", str(port), "--tick-every", "0", "--now",
               "2027-03-01T12:00", "--sink", str(mail)]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while len(list(mail.glob("*.eml"))) < 2:  # the campaign of 1 March, at once
            assert process.poll() is None, process.communicate()[1].decode()
            assert time.monotonic() < deadline, "nothing delivered"
            time.sleep(0.2)
        login = httpx.get(f"http://127.0.0.1:{port}/operations")
        assert login.status_code == 303 and login.headers["location"].startswith("/login")
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=60)
    assert f"Dashboard: http://127.0.0.1:{port}/" in err.decode()
