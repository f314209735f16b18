"""The consent ledger: state = last event per channel and purpose; a withdrawal stops what is
waiting (postponed or already rendered), end to end through a real SMTP server.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import ibis
import pyarrow as pa
import pytest
from aiosmtpd.controller import Controller
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from animato.cli import app
from animato.delivery import deliver
from animato.engine import Engine
from animato.plan.model import Plan
from animato.privacy import consent
from animato.settings import Settings
from animato.store import Store
from animato.store.ingest import ingest
from tests.delivery.outboxes import AFTER, Inbox, make_store, smtp_server
from tests.engine import engineplan

CONSENTS = "customer_id,channel,purpose,granted,time,source,wording_version\n"

EVENT = st.tuples(
    st.sampled_from(["email", "sms"]),
    st.sampled_from(["marketing", "service"]),
    st.booleans(),
    st.integers(0, 5),  # minutes after a start: equal times happen often
)


@pytest.fixture(scope="module")
def plan(tmp_path_factory: pytest.TempPathFactory) -> Plan:
    """The engine tests' plan (the property test opens a fresh store on it per example)."""
    folder = tmp_path_factory.mktemp("plan")
    store = engineplan.make_store(folder)
    store.close()
    return store.plan


@settings(max_examples=40, deadline=None)
@given(events=st.lists(EVENT, max_size=12))
def test_the_state_is_the_last_event_per_channel_and_purpose(
    plan: Plan, events: list[tuple[str, str, bool, int]]
) -> None:
    store = Store(plan)
    start = datetime(2026, 1, 1)
    rows = [
        {"consent_id": f"k{i}", "customer_id": "c1", "channel": ch, "purpose": purpose,
         "granted": grant, "time": start + timedelta(minutes=minute), "source": "form",
         "wording_version": f"v{i}"}
        for i, (ch, purpose, grant, minute) in enumerate(events)
    ]  # fmt: skip
    store.append("consents", pa.Table.from_pylist(rows, schema=CONSENT_SCHEMA))
    # the model: events in time order, a withdrawal after a grant at the same time
    expected: dict[tuple[str, str], bool] = {}
    for row in sorted(rows, key=lambda r: (r["time"], r["granted"] is False)):
        expected[(row["channel"], row["purpose"])] = row["granted"]
    state = {(r["channel"], r["purpose"]): r["granted"] for r in consent.state(store, "c1")}
    assert state == expected
    who = ibis.memtable(pa.table({"customer_id": ["c1"]}))
    granted = consent.granted(store.table("consents"), who)
    found = {(r["channel"], r["purpose"]) for r in granted.to_pyarrow().to_pylist()}
    assert found == {key for key, grant in expected.items() if grant}
    store.close()


CONSENT_SCHEMA = pa.schema(
    [("consent_id", pa.string()), ("customer_id", pa.string()), ("channel", pa.string()),
     ("purpose", pa.string()), ("granted", pa.bool_()), ("time", pa.timestamp("us")),
     ("source", pa.string()), ("wording_version", pa.string())]
)  # fmt: skip


@pytest.fixture
def smtp() -> Iterator[tuple[Controller, Inbox]]:
    controller, inbox = smtp_server()
    try:
        yield controller, inbox
    finally:
        controller.stop()


def test_a_withdrawal_stops_a_message_already_in_the_outbox(
    tmp_path: Path, smtp: tuple[Controller, Inbox], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rendered at 12:00 for the 10:00 campaign, withdrawn at 12:30 (a file ingested), one more
    tick, delivery to a real SMTP server: the customer who withdrew receives nothing.
    """
    monkeypatch.setenv("ANIMATO_PUBLIC_URL", "https://t.example")
    controller, inbox = smtp
    store = make_store(tmp_path / "plan", 3, location=str(tmp_path / "store.duckdb"))
    rendered = store.table("outbox").to_pyarrow().to_pylist()
    assert {r["customer_id"] for r in rendered} == {"c000", "c001", "c002"}
    withdrawal = tmp_path / "in" / "consents.csv"
    withdrawal.parent.mkdir()
    withdrawal.write_text(CONSENTS + "c001,email,marketing,false,2027-03-01T12:30:00Z,form,v3\n")
    assert ingest(store, "consents", withdrawal).loaded == 1
    Engine(store).tick(AFTER + timedelta(hours=1))
    settings = Settings(smtp_host="127.0.0.1", smtp_port=controller.port,
                        public_url="https://t.example")  # fmt: skip
    summary = deliver(store, settings, AFTER + timedelta(hours=2))
    assert summary.counts["email"] == {"sent": 2, "withheld:no_consent": 1}
    received = {str(m["To"]) for m in inbox.messages}
    assert received == {"c000@example.fr", "c002@example.fr"}
    store.close()


BLACKOUT_PLAN = engineplan.PLAN.replace(
    "conventions:\n",
    "conventions:\n  blackouts:\n"
    "    - {id: treve, from: 2026-03-01, to: 2026-03-03, scope: scenarios}\n",
)


def test_a_postponed_step_is_dropped_when_consent_is_withdrawn_before_its_retry(
    tmp_path: Path,
) -> None:
    store = engineplan.make_store(tmp_path, BLACKOUT_PLAN)
    engineplan.customers(store, {"customer_id": "a"}, {"customer_id": "b"})
    for who in ("a", "b"):
        engineplan.event(store, f"e{who}", who, "cart_abandoned", datetime(2026, 3, 1, 8),
                         cart_value=80.0)  # fmt: skip
    engine = Engine(store)
    engine.tick(datetime(2026, 3, 1, 12), since=datetime(2026, 3, 1))
    decided = engineplan.rows(store, "decisions")
    assert {(r["customer_id"], r["decision"]) for r in decided} == {
        ("a", "postponed:blackout"), ("b", "postponed:blackout")}  # fmt: skip
    store.append("consents", pa.Table.from_pylist([
        {"consent_id": "w", "customer_id": "a", "channel": "email", "purpose": "marketing",
         "granted": False, "time": datetime(2026, 3, 2, 9), "source": "call_centre",
         "wording_version": "v2"}]))  # fmt: skip
    engine.tick(datetime(2026, 3, 4, 23))
    later = [r for r in engineplan.rows(store, "decisions") if r["decided_at"].day == 4]
    assert {(r["customer_id"], r["decision"]) for r in later} == {
        ("a", "dropped:no_consent"), ("b", "accepted")}  # fmt: skip
    assert {r["customer_id"] for r in engineplan.rows(store, "outbox")} == {"b"}


def test_consent_command_shows_the_state_and_its_history(tmp_path: Path) -> None:
    plan = tmp_path / "plan"
    store = make_store(plan, 1, location=str(tmp_path / "s.duckdb"))
    store.close()
    ledger = tmp_path / "consents.csv"
    ledger.write_text(
        CONSENTS + "c000,sms,marketing,false,2027-03-02T10:00:00Z,call_centre,v2\n"
        "c000,sms,marketing,true,2027-03-05T10:00:00Z,checkout,v3\n"
        "c000,email,marketing,false,2027-03-06T10:00:00Z,api,v3\n"
    )
    runner = CliRunner()
    store_opt = ["--store", str(tmp_path / "s.duckdb")]
    loading = ["ingest", "consents", str(ledger), "--plan", str(plan), *store_opt]
    loaded = runner.invoke(app, loading)
    assert loaded.exit_code == 0, loaded.output
    result = runner.invoke(app, ["consent", "c000", "--plan", str(plan), *store_opt])
    assert result.exit_code == 0, result.output
    current, _, history = result.stdout.partition("History")
    lines = {line.split("│")[1].strip(): line for line in current.splitlines() if "│" in line}
    assert "withdrawn" in lines["email"] and "api" in lines["email"]
    assert "granted" in lines["sms"] and "checkout" in lines["sms"] and "v3" in lines["sms"]
    assert history.count("│ sms") == 3 and "call_centre" in history
    unknown = runner.invoke(app, ["consent", "nobody", "--plan", str(plan), *store_opt])
    assert unknown.exit_code == 1 and "no consent" in unknown.output


def test_a_ledger_without_source_loads_with_its_file_as_source(tmp_path: Path) -> None:
    store = engineplan.make_store(tmp_path / "plan")
    old = tmp_path / "old.csv"
    old.write_text("customer_id,channel,purpose,granted,time\nc1,email,marketing,yes,2025-05-01\n")
    assert ingest(store, "consents", old).loaded == 1
    [row] = consent.history(store, "c1")
    assert (row["source"], row["wording_version"], row["granted"]) == ("file:old.csv", None, True)
    assert ingest(store, "consents", old).duplicates == 1
