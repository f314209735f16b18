"""Demo data: real Parquet files, read back and ingested into a real store on a DuckDB file."""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from animato import load_plan
from animato.cli import app
from animato.demo import DemoDataError, DemoSummary, generate
from animato.plan import Plan
from animato.scaffold import DEMO
from animato.store import Store
from animato.store.ingest import ingest

FILES = ("customers", "events", "consents")
END = date(2026, 11, 1)
PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture(scope="module")
def plan() -> Plan:
    return load_plan(DEMO)


@pytest.fixture(scope="module")
def demo(plan: Plan, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, DemoSummary]:
    """500 customers with two years of events, written once for the module."""
    folder = tmp_path_factory.mktemp("demo")
    return folder, generate(plan, folder, customers=500, seed=42)


@pytest.fixture
def store(plan: Plan, tmp_path: Path) -> Iterator[Store]:
    opened = Store(plan, tmp_path / "store.duckdb")
    yield opened
    opened.close()


def read(folder: Path, name: str) -> list[dict[str, Any]]:
    return pq.read_table(folder / f"{name}.parquet").to_pylist()


def copy_plan(tmp_path: Path, old: str, new: str) -> Plan:
    """The demo plan with one line of plan.yaml changed."""
    folder = tmp_path / "plan"
    shutil.copytree(DEMO, folder)
    text = (folder / "plan.yaml").read_text(encoding="utf-8")
    assert old in text
    (folder / "plan.yaml").write_text(text.replace(old, new), encoding="utf-8")
    return load_plan(folder)


# --- files -----------------------------------------------------------------------------------


def test_the_same_seed_writes_the_same_files_and_another_seed_others(
    plan: Plan, demo: tuple[Path, DemoSummary], tmp_path: Path
) -> None:
    folder, summary = demo
    again = generate(plan, tmp_path / "again", customers=500, seed=42)
    other = generate(plan, tmp_path / "other", customers=500, seed=7)
    assert other.rows != summary.rows
    assert again.rows == summary.rows
    for name in FILES:
        written = (folder / f"{name}.parquet").read_bytes()
        assert (tmp_path / "again" / f"{name}.parquet").read_bytes() == written
        assert (tmp_path / "other" / f"{name}.parquet").read_bytes() != written
    assert read(tmp_path / "other", "customers") != read(folder, "customers")
    assert sorted(p.name for p in (tmp_path / "again").iterdir()) == [
        "consents.parquet",
        "customers.parquet",
        "events.parquet",
    ]


def test_columns_are_named_as_the_contract_says(demo: tuple[Path, DemoSummary]) -> None:
    folder, summary = demo
    customers = pq.read_schema(folder / "customers.parquet").names
    for column in ("customer_id", "prenom", "nom", "civilite", "date_naissance", "adresse"):
        assert column in customers
    assert "est_collaborateur" in customers and "created_at" in customers
    assert "first_name" not in customers and "employee" not in customers
    events = pq.read_schema(folder / "events.parquet").names
    assert events[:4] == ["event_id", "customer_id", "type", "time"]
    assert {"amount", "order_id", "cart_value", "page", "score", "points"} <= set(events)
    assert pq.read_schema(folder / "consents.parquet").names == [
        "customer_id",
        "channel",
        "purpose",
        "granted",
        "time",
        "source",
        "wording_version",
    ]
    assert summary.rows["customers"] == 500 and not summary.left_out


def test_events_are_known_unique_and_inside_the_period(
    plan: Plan, demo: tuple[Path, DemoSummary]
) -> None:
    folder, summary = demo
    events = pq.read_table(folder / "events.parquet")
    assert summary.rows["events"] == len(events)
    assert 15 <= len(events) / 500 <= 30  # about 20 events a customer over two years
    types = Counter(events["type"].to_pylist())
    assert set(types) <= set(plan.data.events)
    assert types["visit"] > types["purchase"] > types["cart_abandoned"] > types["financing"]
    assert len(set(events["event_id"].to_pylist())) == len(events)
    start = datetime(2024, 11, 1, tzinfo=PARIS)
    end = datetime(2026, 11, 1, tzinfo=PARIS)
    times = events["time"]
    assert pc.min(times).as_py() >= start and pc.max(times).as_py() < end
    assert (summary.start, summary.end) == (date(2024, 11, 1), END)
    recent = pc.sum(pc.greater_equal(times, datetime(2026, 10, 18, tzinfo=UTC))).as_py()
    assert recent > len(events) / 104  # the last two weeks are as busy as any others
    purchases = events.filter(pc.equal(events["type"], "purchase")).to_pylist()
    assert all(p["order_id"] and p["amount"] is not None for p in purchases)
    shop = [p for p in purchases if p["channel"] == "magasin"]
    assert all(p["store"] for p in shop)
    assert all(9 <= p["time"].astimezone(PARIS).hour < 20 for p in shop)


def test_one_customer_in_five_is_a_prospect_who_never_bought(
    demo: tuple[Path, DemoSummary],
) -> None:
    folder, _ = demo
    customers = {c["customer_id"] for c in read(folder, "customers")}
    events = pq.read_table(folder / "events.parquet", columns=["customer_id", "type"])
    buyers = set(events.filter(pc.equal(events["type"], "purchase"))["customer_id"].to_pylist())
    assert buyers <= customers
    assert 0.14 <= 1 - len(buyers) / len(customers) <= 0.26


def test_households_share_an_account_with_one_holder(demo: tuple[Path, DemoSummary]) -> None:
    folder, _ = demo
    customers = read(folder, "customers")
    accounts: dict[str, list[dict[str, Any]]] = {}
    for customer in customers:
        if customer["account_id"]:
            accounts.setdefault(customer["account_id"], []).append(customer)
    in_households = sum(len(m) for m in accounts.values())
    assert 0.2 <= in_households / len(customers) <= 0.4
    for members in accounts.values():
        assert 2 <= len(members) <= 4
        assert [m["role"] for m in members].count("titulaire") == 1
        assert len({m["adresse"] for m in members}) == 1
    members = [c for c in customers if c["loyalty_joined_at"]]
    assert 0.5 <= len(members) / len(customers) <= 0.7
    assert {c["loyalty_tier"] for c in members} <= {"essentiel", "argent", "or"}
    assert all(c["loyalty_points"] is not None for c in members)


def test_some_birthdays_fall_on_29_february(plan: Plan, tmp_path: Path) -> None:
    generate(plan, tmp_path, customers=5000, seed=42)
    births = [c["date_naissance"] for c in read(tmp_path, "customers") if c["date_naissance"]]
    assert len([b for b in births if (b.month, b.day) == (2, 29)]) >= 5
    ages = [(END - b).days / 365.25 for b in births]
    assert 18 <= min(ages) and max(ages) < 81


# --- ingest ----------------------------------------------------------------------------------


def test_customers_load_but_the_broken_contacts_are_quarantined(
    demo: tuple[Path, DemoSummary], store: Store
) -> None:
    folder, _ = demo
    summary = ingest(store, "customers", folder / "customers.parquet")
    assert summary.rows == 500 and summary.duplicates == 0
    assert set(summary.quarantined) == {"bad_email", "bad_phone"}
    assert 1 <= sum(summary.quarantined.values()) <= 15
    assert store.count("customers") == summary.loaded
    bad = store.table("quarantine").to_pyarrow().to_pylist()
    rows = read(folder, "customers")
    for entry in bad:
        customer = rows[entry["row_number"] - 1]
        email, phone = customer["email"] or "", customer["phone"] or ""
        if entry["reason"] == "bad_email":
            local, _, domain = email.partition("@")
            assert email.count("@") != 1 or " " in local or "." not in domain
        else:
            assert len([c for c in phone if c.isdigit()]) < 10


def test_consents_load_with_the_plans_purposes(
    plan: Plan, demo: tuple[Path, DemoSummary], store: Store
) -> None:
    folder, _ = demo
    summary = ingest(store, "consents", folder / "consents.parquet")
    assert (summary.loaded, summary.quarantined) == (summary.rows, {})
    consents = read(folder, "consents")
    assert {(c["channel"], c["purpose"]) for c in consents} == set(plan.conventions.consent.items())
    withdrawn = [c for c in consents if not c["granted"]]
    assert 0 < len(withdrawn) < len(consents) / 5
    events = read(folder, "events")
    unsubscribed = {
        (e["customer_id"], e["channel"], e["time"]) for e in events if e["type"] == "unsubscribed"
    }
    assert unsubscribed and unsubscribed <= {
        (c["customer_id"], c["channel"], c["time"]) for c in withdrawn
    }


def test_every_event_loads(demo: tuple[Path, DemoSummary], store: Store) -> None:
    folder, summary = demo
    loaded = ingest(store, "events", folder / "events.parquet")
    assert (loaded.loaded, loaded.duplicates, loaded.quarantined) == (summary.rows["events"], 0, {})


# --- the plan's contract ---------------------------------------------------------------------


def test_a_contract_that_refuses_a_drawn_value_is_reported(tmp_path: Path) -> None:
    plan = copy_plan(tmp_path, "values: [femme, homme, non_precise]", "values: [femme, homme]")
    with pytest.raises(DemoDataError, match="gender does not allow non_precise"):
        generate(plan, tmp_path / "out", customers=10)


def test_fields_the_contract_lacks_are_left_out(tmp_path: Path) -> None:
    plan = copy_plan(
        tmp_path,
        "    gender: {type: category, values: [femme, homme, non_precise], column: civilite}\n",
        "",
    )
    summary = generate(plan, tmp_path / "out", customers=10)
    assert summary.left_out == ["customer.gender"]
    assert "civilite" not in pq.read_schema(tmp_path / "out" / "customers.parquet").names


def test_arguments_are_checked(plan: Plan, tmp_path: Path) -> None:
    with pytest.raises(DemoDataError, match="at least 1 customer"):
        generate(plan, tmp_path, customers=0)


# --- command line ----------------------------------------------------------------------------


def test_cli_writes_the_files_and_prints_a_summary(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    result = CliRunner().invoke(
        app, ["demo-data", str(out), "--customers", "200", "--years", "1", "--seed", "3"]
    )
    assert result.exit_code == 0, result.output
    assert "customers.parquet: 200 rows" in result.stdout
    assert "events from 2025-11-01 to 2026-10-31" in result.stdout
    for name in FILES:
        assert (out / f"{name}.parquet").is_file()
    times = pq.read_table(out / "events.parquet", columns=["time"])["time"]
    assert pc.min(times).as_py() >= datetime(2025, 11, 1, tzinfo=PARIS)
    wrong = CliRunner().invoke(app, ["demo-data", str(out), "--end", "1er novembre"])
    assert wrong.exit_code == 2
