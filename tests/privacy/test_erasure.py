"""Access and erasure on a real store file: data ingested from files, a tick that renders email
and a call list, delivery to a real SMTP server and to CSV files, a simulation copy, then
``animato privacy export`` and ``erase`` through the CLI, and every table and file scanned.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from aiosmtpd.controller import Controller
from typer.testing import CliRunner

from animato import load_plan
from animato.cli import app
from animato.delivery import deliver
from animato.engine import Engine
from animato.privacy import audit
from animato.privacy.identities import Keys
from animato.settings import Settings
from animato.simulate import simulate
from animato.store import Store
from animato.store.ingest import ingest
from tests.delivery.outboxes import MAIL, PLAN, TEXTS, Inbox, smtp_server

EMAIL, PHONE, NAME = "jeannette.secret@example.fr", "+33612345678", "Jeannettesecret"
CAMPAIGNS = (
    "      - {id: promo, name: Promo, channel: email, template: mail, at: 2027-03-01T10:00:00}\n"
    "      - {id: appel, name: Appel, channel: call, template: appel, at: 2027-03-01T10:00:00}\n"
)
CUSTOMERS = (
    "customer_id,email,phone,first_name,address,city,created_at\n"
    "c000,anne@example.fr,0611111111,Anne,1 rue Haute,Lyon,2026-01-01\n"
    f"c001,{EMAIL},06 12 34 56 78,{NAME},2 rue Basse,Lyon,2026-01-01\n"
    f"c001,not-an-email,06 12 34 56 78,{NAME},2 rue Basse,Lyon,2026-01-01\n"  # quarantined
    "c002,bob@example.fr,0622222222,Bob,3 rue Neuve,Lyon,2026-01-01\n"
)
CONSENTS = "customer_id,channel,purpose,granted,time,source,wording_version\n" + "".join(
    f"{c},{ch},marketing,true,2026-01-01,form,v1\n"
    for c in ("c000", "c001", "c002")
    for ch in ("email", "call")
)
EVENTS = (
    "customer_id,type,time,amount\n"
    "c000,purchase,2027-02-01T10:00:00Z,40\nc001,purchase,2027-02-02T10:00:00Z,90\n"
    "c001,purchase,2027-02-03T10:00:00Z,oops\n"  # quarantined: the record names c001
)


@pytest.fixture
def smtp() -> Iterator[tuple[Controller, Inbox]]:
    controller, inbox = smtp_server()
    try:
        yield controller, inbox
    finally:
        controller.stop()


@pytest.fixture
def lived(tmp_path: Path, smtp: tuple[Controller, Inbox], monkeypatch: pytest.MonkeyPatch) -> Path:
    """A store that went through ingestion, a tick, delivery and a simulation."""
    monkeypatch.setenv("ANIMATO_PUBLIC_URL", "https://t.example")
    plan_dir = tmp_path / "plan"
    (plan_dir / "templates").mkdir(parents=True)
    head = PLAN[: PLAN.index("      - {id: CAMPAIGN")]
    (plan_dir / "plan.yaml").write_text(head + CAMPAIGNS)
    (plan_dir / "templates" / "mail.html").write_text(MAIL)
    (plan_dir / "templates" / "appel.txt").write_text(TEXTS["appel.txt"])
    inputs = tmp_path / "in"
    inputs.mkdir()
    location = tmp_path / "store" / "store.duckdb"
    store = Store(load_plan(plan_dir), location)
    for kind, text in (("customers", CUSTOMERS), ("consents", CONSENTS), ("events", EVENTS)):
        (inputs / f"{kind}.csv").write_text(text)
        ingest(store, kind, inputs / f"{kind}.csv")  # type: ignore[arg-type]
    assert store.count("quarantine") == 2
    Engine(store).tick(datetime(2027, 3, 1, 12), since=datetime(2027, 3, 1))
    controller, inbox = smtp
    settings = Settings(smtp_host="127.0.0.1", smtp_port=controller.port,
                        public_url="https://t.example")  # fmt: skip
    summary = deliver(store, settings, datetime(2027, 3, 1, 13))
    assert summary.counts == {"email": {"sent": 3}, "call": {"sent": 3}}
    assert any(EMAIL in str(m["To"]) for m in inbox.messages)
    store.close()
    simulate(store.plan, location, Path(f"{location}.simulation"), datetime(2027, 2, 28),
             datetime(2027, 3, 1, 12))  # fmt: skip
    return tmp_path


def run(tmp_path: Path, *args: str) -> str:
    where = ["--plan", str(tmp_path / "plan"), "--store", str(tmp_path / "store" / "store.duckdb")]
    result = CliRunner().invoke(app, [*args, *where])
    assert result.exit_code == 0, result.output
    return result.stdout


def table_rows(location: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table of a store file."""
    con = duckdb.connect(str(location), read_only=True)
    try:
        names = [n for (n,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
        return {n: con.execute(f'SELECT * FROM "{n}"').fetchall() for n in names}
    finally:
        con.close()


def test_export_holds_every_tables_rows_for_the_customer_and_the_messages_as_sent(
    lived: Path,
) -> None:
    target = lived / "out" / "c001.json"
    printed = run(lived, "privacy", "export", "c001", "--out", str(target))
    assert "c001.json" in printed
    document = json.loads(target.read_text())
    store_file = lived / "store" / "store.duckdb"
    con = duckdb.connect(str(store_file), read_only=True)
    expected = {}
    for (name,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall():
        query = f"SELECT column_name FROM duckdb_columns() WHERE table_name = '{name}'"
        columns = [c for (c,) in con.execute(query).fetchall()]
        if "customer_id" in columns:
            count = con.execute(f"SELECT count(*) FROM \"{name}\" WHERE customer_id = 'c001'")
            if n := count.fetchone()[0]:  # type: ignore[index]
                expected[name] = n
    quarantined = con.execute("SELECT count(*) FROM quarantine WHERE record LIKE '%\"c001\"%'")
    expected["quarantine"] = quarantined.fetchone()[0]  # type: ignore[index]
    con.close()
    assert expected.pop("privacy_log") == 1  # this export's own entry, written once it is done
    got = {name: len(rows) for name, rows in document["tables"].items()}
    expected = {k: v for k, v in expected.items() if v}
    assert got == expected
    wanted = ("customers", "customer_versions", "consents", "events", "messages", "decisions",
              "outbox", "deliveries", "engagement", "quarantine")  # fmt: skip
    assert set(wanted) <= set(got)
    assert document["tables"]["customers"][0]["email"] == EMAIL
    assert {m["channel"]: m["status"] for m in document["messages"]} == {
        "email": "sent", "call": "sent"}  # fmt: skip
    mail = next(m for m in document["messages"] if m["channel"] == "email")
    assert NAME in mail["subject"] and NAME in mail["html"] and NAME in mail["text"]
    store = Store(load_plan(lived / "plan"), store_file)
    [entry] = audit.entries(store)
    assert (entry["action"], entry["customer_id"], entry["actor"]) == ("export", "c001", "cli")
    store.close()


def test_an_erased_customer_leaves_no_personal_data_and_stays_suppressed(lived: Path) -> None:
    store_file = lived / "store" / "store.duckdb"
    before = table_rows(store_file)
    assert any(EMAIL in str(r) for r in before["customers"])
    printed = run(lived, "privacy", "erase", "c001")
    assert "Erased 1 customer(s)" in printed
    after = table_rows(store_file)
    for name, rows in after.items():  # every table…
        for row in rows:
            text = str(row)
            assert EMAIL not in text and PHONE not in text and NAME not in text, (name, row)
            assert "'c001'" not in text, (name, row)
    scanned = [p for p in (lived / "store").rglob("*") if p.is_file()]
    scanned.append(lived / "in" / "customers.csv.quarantine.csv")
    scanned.append(lived / "in" / "events.csv.quarantine.csv")
    assert len(scanned) > 5
    for path in scanned:  # …and every file, the store file itself included
        data = path.read_bytes()
        for secret in (EMAIL, PHONE, NAME, "06 12 34 56 78"):
            assert secret.encode() not in data, (path, secret)
    # KPI rows stay, pseudonymised; the others' data is untouched
    pseudonym = Keys(_secret(store_file)).pseudonym("c001")
    assert len(after["events"]) == len(before["events"])
    assert [r for r in after["events"] if pseudonym in r]
    assert len(after["messages"]) == len(before["messages"])
    assert any("anne@example.fr" in str(r) for r in after["customers"])
    calls = (lived / "store" / "store.duckdb.files" / "call").glob("*.csv")
    assert sum(text.count("c000") for text in (p.read_text() for p in calls)) == 1
    # a later import does not make the person contactable again, under any id
    store = Store(load_plan(lived / "plan"), store_file)
    again = lived / "in" / "again.csv"
    again.write_text(
        "customer_id,email,phone,first_name\n"
        f"c001,{EMAIL},,{NAME}\nc777,{EMAIL.upper()},,{NAME}\nc888,,0612345678,X\nc999,z@x.fr,,Z\n"
    )
    ingest(store, "customers", again)
    barred = {(r["customer_id"], r["channel"], r["reason"])
              for r in store.table("suppressions").to_pyarrow().to_pylist()}  # fmt: skip
    assert barred == {("c001", "all", "erased"), ("c777", "all", "erased"),
                      ("c888", "all", "erased")}  # fmt: skip
    Engine(store).tick(datetime(2027, 3, 8, 12), since=datetime(2027, 3, 1, 12))
    outbox = store.table("outbox").to_pyarrow().to_pylist()
    assert not [r for r in outbox if r["customer_id"] in ("c001", "c777", "c888")]
    entries = [(e["action"], e["customer_id"]) for e in audit.entries(store)]
    assert entries == [("erase", pseudonym)]
    store.close()


def test_erasing_an_unknown_customer_is_an_error(tmp_path: Path) -> None:
    plan_dir = tmp_path / "plan"
    (plan_dir / "templates").mkdir(parents=True)
    (plan_dir / "plan.yaml").write_text(PLAN[: PLAN.index("    campaigns:")])
    where = ["--plan", str(plan_dir), "--store", str(tmp_path / "store.duckdb")]
    result = CliRunner().invoke(app, ["privacy", "erase", "nobody", *where])
    assert result.exit_code == 1 and "nothing is known of customer(s) nobody" in result.output


def _secret(store_file: Path) -> str:
    from animato.settings import secret_for

    return secret_for(str(store_file))
