"""Ingestion of real CSV, Parquet and JSON Lines files into a real store on a DuckDB file."""

from __future__ import annotations

import csv
import json
import tempfile
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from animato import load_plan
from animato.cli import app
from animato.errors import StoreError
from animato.store import Store
from animato.store.ingest import IngestSummary, ingest
from tests.plan.planfiles import write_plan

EVENTS = "customer_id,type,time,amount,category,source\n"
CUSTOMERS = "customer_id,email,phone,first_name,birth_date,country\n"
CONSENTS = "customer_id,channel,purpose,granted,time,source,wording_version\n"
# Plan changes that give the contract a required field, allowed values, a column mapping…
STRICT_EVENTS = (
    "{amount: number, category: string}",
    "{amount: {type: number, required: true}, category: {type: category, values: [shoes, home]}}",
)
MORE_CUSTOMER_FIELDS = (
    "    first_name: string\n",
    "    first_name: {type: string, required: true}\n    visits: integer\n    optin: boolean\n",
)


def open_store(folder: Path, **changes: tuple[str, str]) -> Store:
    """A store on a DuckDB file for the test plan (with ``changes`` to its files)."""
    plan = load_plan(write_plan(folder / "plan", **changes))
    return Store(plan, folder / "store.duckdb")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = open_store(tmp_path)
    yield opened
    opened.close()


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def rows(store: Store, table: str) -> list[dict[str, Any]]:
    """A table's rows, by customer, then row number, time and channel where it has them."""
    found = store.table(table).to_pyarrow().to_pylist()
    order = ("customer_id", "row_number", "time", "channel")
    return sorted(found, key=lambda r: tuple(str(r.get(k)) for k in order))


def quarantine_file(path: Path) -> list[dict[str, str]]:
    with path.with_name(path.name + ".quarantine.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def assert_complete(summary: IngestSummary, read: int) -> None:
    assert summary.loaded + summary.duplicates + sum(summary.quarantined.values()) == read


# --- events ---------------------------------------------------------------------------------


def test_good_rows_load_and_bad_rows_are_quarantined_with_their_reason(
    store: Store, tmp_path: Path
) -> None:
    path = write(
        tmp_path / "events.csv",
        EVENTS
        + "c1,purchase,2026-01-15 10:00,49.90,shoes,\n"
        + "c1,purchase,2026-01-16 10:00,cher,shoes,\n"
        + "c2,newsletter_signup,2026-01-15 11:00,,,site\n"
        + "c3,unknown_type,2026-01-15 11:00,,,\n",
    )
    summary = ingest(store, "events", path)
    assert (summary.loaded, summary.duplicates) == (2, 0)
    assert summary.quarantined == {"bad_number:amount": 1, "unknown_event_type": 1}
    assert_complete(summary, 4)
    events = rows(store, "events")
    assert [(e["customer_id"], e["type"], e["amount"]) for e in events] == [
        ("c1", "purchase", 49.9),
        ("c2", "newsletter_signup", None),
    ]
    assert events[1]["source"] == "site"
    quarantined = rows(store, "quarantine")
    assert [(q["row_number"], q["reason"], q["kind"]) for q in quarantined] == [
        (2, "bad_number:amount", "events"),
        (4, "unknown_event_type", "events"),
    ]
    assert json.loads(quarantined[0]["record"])["amount"] == "cher"
    assert quarantined[0]["source"] == str(path.resolve())
    assert summary.quarantine_file == tmp_path / "events.csv.quarantine.csv"
    listed = quarantine_file(path)
    assert [(r["customer_id"], r["amount"], r["row_number"], r["reason"]) for r in listed] == [
        ("c1", "cher", "2", "bad_number:amount"),
        ("c3", "", "4", "unknown_event_type"),
    ]


def test_reingesting_the_same_file_adds_nothing(store: Store, tmp_path: Path) -> None:
    path = write(
        tmp_path / "events.csv",
        EVENTS
        + "c1,purchase,2026-01-15 10:00,49.90,shoes,\n"
        + "c1,purchase,2026-01-15 10:00,49.90,shoes,\n"
        + ",purchase,2026-01-15 10:00,1,shoes,\n",
    )
    first = ingest(store, "events", path)
    assert (first.loaded, first.duplicates, first.quarantined) == (1, 1, {"missing_customer_id": 1})
    tables = {t: store.count(t) for t in ("events", "quarantine")}
    again = ingest(store, "events", path)
    assert (again.loaded, again.duplicates, again.quarantined) == (0, 2, {"missing_customer_id": 1})
    assert {t: store.count(t) for t in ("events", "quarantine")} == tables


def test_the_same_events_in_csv_parquet_and_json_lines_get_the_same_ids(
    store: Store, tmp_path: Path
) -> None:
    csv_path = write(
        tmp_path / "events.csv",
        EVENTS
        + "c1,purchase,2026-01-15T10:00:00Z,49.9,shoes,\n"
        + "c2,complaint_opened,2026-01-15T11:00:00Z,,,\n",
    )
    table = pa.table(
        {
            "customer_id": ["c1", "c2"],
            "type": ["purchase", "complaint_opened"],
            "time": pa.array(
                [datetime(2026, 1, 15, 10, tzinfo=UTC), datetime(2026, 1, 15, 11, tzinfo=UTC)],
                pa.timestamp("us", tz="UTC"),
            ),
            "amount": [49.9, None],
            "category": ["shoes", None],
        }
    )
    pq.write_table(table, tmp_path / "events.parquet")
    lines = [
        {"customer_id": "c1", "type": "purchase", "time": "2026-01-15T11:00:00+01:00",
         "amount": 49.9, "category": "shoes"},
        {"customer_id": "c2", "type": "complaint_opened", "time": "2026-01-15T11:00:00Z"},
    ]  # fmt: skip
    jsonl = write(tmp_path / "events.jsonl", "".join(json.dumps(line) + "\n" for line in lines))
    assert ingest(store, "events", csv_path).loaded == 2
    for path in (tmp_path / "events.parquet", jsonl):
        summary = ingest(store, "events", path)
        assert (summary.loaded, summary.duplicates) == (0, 2), path
    assert store.count("events") == 2


def test_an_event_id_from_the_file_is_kept(store: Store, tmp_path: Path) -> None:
    path = write(
        tmp_path / "events.csv",
        "event_id," + EVENTS + "e1,c1,complaint_opened,2026-01-15 10:00,,,\n"
        "e1,c1,complaint_opened,2026-01-16 10:00,,,\n"
        "e2,c1,complaint_opened,2026-01-15 10:00,,,\n",
    )
    summary = ingest(store, "events", path)
    assert (summary.loaded, summary.duplicates) == (2, 1)
    events = rows(store, "events")
    assert [(e["event_id"], e["time"]) for e in events] == [
        ("e1", datetime(2026, 1, 15, 9)),  # the first row of an id wins
        ("e2", datetime(2026, 1, 15, 9)),
    ]


def test_a_naive_time_is_read_in_the_plan_time_zone_and_an_offset_is_honoured(
    store: Store, tmp_path: Path
) -> None:
    path = write(
        tmp_path / "events.csv",
        "event_id,customer_id,type,time\n"
        "winter,c1,complaint_opened,2026-01-15 10:00\n"
        "summer,c1,complaint_opened,2026-07-15T10:00:00\n"
        "offset,c1,complaint_opened,2026-07-15T10:00:00+02:00\n"
        "utc,c1,complaint_opened,2026-07-15T10:00:00Z\n"
        "date,c1,complaint_opened,2026-01-15\n",
    )
    assert ingest(store, "events", path).loaded == 5
    times = {e["event_id"]: e["time"] for e in rows(store, "events")}
    assert times == {
        "winter": datetime(2026, 1, 15, 9),  # Europe/Paris in winter is UTC+1
        "summer": datetime(2026, 7, 15, 8),  # and UTC+2 in summer
        "offset": datetime(2026, 7, 15, 8),
        "utc": datetime(2026, 7, 15, 10),
        "date": datetime(2026, 1, 14, 23),
    }


def test_parquet_timestamps_naive_in_the_plan_zone_or_aware(store: Store, tmp_path: Path) -> None:
    winter = datetime(2026, 1, 15, 10)
    for name, zone in (("naive", None), ("aware", "UTC")):
        table = pa.table(
            {
                "event_id": [name],
                "customer_id": ["c1"],
                "type": ["complaint_opened"],
                "time": pa.array([winter], pa.timestamp("us", tz=zone)),
            }
        )
        pq.write_table(table, tmp_path / f"{name}.parquet")
        assert ingest(store, "events", tmp_path / f"{name}.parquet").loaded == 1
    times = {e["event_id"]: e["time"] for e in rows(store, "events")}
    assert times == {"naive": datetime(2026, 1, 15, 9), "aware": datetime(2026, 1, 15, 10)}


def test_bad_rows_of_a_parquet_file_are_quarantined(store: Store, tmp_path: Path) -> None:
    table = pa.table(
        {
            "customer_id": ["c1", None, "c3"],
            "type": ["purchase", "purchase", "purchase"],
            "time": pa.array([datetime(2026, 1, 15, 10)] * 3, pa.timestamp("us", tz="UTC")),
            "amount": [10.0, 20.0, float("nan")],
        }
    )
    path = tmp_path / "events.parquet"
    pq.write_table(table, path)
    summary = ingest(store, "events", path)
    assert (summary.loaded, summary.quarantined) == (
        1,
        {"bad_number:amount": 1, "missing_customer_id": 1},
    )
    record = json.loads(rows(store, "quarantine")[0]["record"])
    assert record["amount"] == 20.0 and record["customer_id"] is None
    assert [(r["row_number"], r["reason"]) for r in quarantine_file(path)] == [
        ("2", "missing_customer_id"),
        ("3", "bad_number:amount"),
    ]


def test_mapped_columns_are_read_from_their_source_name(tmp_path: Path) -> None:
    store = open_store(
        tmp_path,
        plan=("{amount: number, category: string}", "{amount: {type: number, column: montant}}"),
    )
    path = write(
        tmp_path / "events.csv",
        "customer_id,type,time,montant\nc1,purchase,2026-01-15 10:00,12.5\n"
        "c1,purchase,2026-01-15 11:00,douze\n",
    )
    summary = ingest(store, "events", path)
    assert (summary.loaded, summary.quarantined) == (1, {"bad_number:montant": 1})
    assert [e["amount"] for e in rows(store, "events")] == [12.5]
    store.close()


# --- one test per rejection reason ----------------------------------------------------------

REASONS: list[tuple[str, str, str, str, dict[str, tuple[str, str]]]] = [
    # (kind, header, bad row, reason, plan changes); each file also has one good row first
    ("events", EVENTS, ",purchase,2026-01-15 10:00,1,shoes,", "missing_customer_id", {}),
    ("events", EVENTS, "c1,purchase,15/01/2026 10h,1,shoes,", "bad_timestamp", {}),
    ("events", EVENTS, "c1,purchase,,1,shoes,", "missing_required:time", {}),
    ("events", EVENTS, "c1,refund,2026-01-15 10:00,1,,", "unknown_event_type", {}),
    ("events", EVENTS, "c1,purchase,2026-01-15 10:00,12;5,shoes,", "bad_number:amount", {}),
    ("events", EVENTS, "c1,purchase,2026-01-15 10:00,,shoes,", "missing_required:amount",
     {"plan": STRICT_EVENTS}),
    ("events", EVENTS, "c1,purchase,2026-01-15 10:00,3,garden,", "not_allowed:category",
     {"plan": STRICT_EVENTS}),
    ("customers", CUSTOMERS, ",x@example.fr,,Zoé,,", "missing_customer_id", {}),
    ("customers", CUSTOMERS, "c9,zoé@@example,,Zoé,,", "bad_email", {}),
    ("customers", CUSTOMERS, "c9,z@example.fr,06 12,Zoé,,", "bad_phone", {}),
    ("customers", CUSTOMERS, "c9,z@example.fr,,Zoé,1990-02-30,", "bad_date:birth_date", {}),
    ("customers", CUSTOMERS, "c9,z@example.fr,,Zoé,,DE", "not_allowed:country", {}),
    ("customers", "customer_id,created_at\n", "c9,hier", "bad_timestamp:created_at", {}),
    ("customers", "customer_id,timezone\n", "c9,Europe/Lutece", "bad_timezone", {}),
    ("customers", CUSTOMERS, "c9,z@example.fr,,,,", "missing_required:first_name",
     {"plan": MORE_CUSTOMER_FIELDS}),
    ("customers", "customer_id,first_name,visits\n", "c9,Zoé,3.5", "bad_number:visits",
     {"plan": MORE_CUSTOMER_FIELDS}),
    ("customers", "customer_id,first_name,optin\n", "c9,Zoé,peut-être", "bad_boolean:optin",
     {"plan": MORE_CUSTOMER_FIELDS}),
    ("consents", CONSENTS, ",email,marketing,true,2026-01-15 10:00,site,v1", "missing_customer_id",
     {}),
    ("consents", CONSENTS, "c1,fax,marketing,true,2026-01-15 10:00,site,v1", "bad_channel", {}),
    ("consents", CONSENTS, "c1,sms,,true,2026-01-15 10:00,site,v1", "missing_required:purpose",
     {}),
    ("consents", CONSENTS, "c1,sms,marketing,oui,2026-01-15 10:00,site,v1", "bad_boolean:granted",
     {}),
    ("consents", CONSENTS, "c1,sms,marketing,,2026-01-15 10:00,site,v1",
     "missing_required:granted", {}),
    ("consents", CONSENTS, "c1,sms,marketing,1,le 15 janvier,site,v1", "bad_timestamp", {}),
    ("consents", CONSENTS, "c1,sms,marketing,1,,site,v1", "missing_required:time", {}),
]  # fmt: skip
GOOD = {
    "events": "c1,purchase,2026-01-15 09:00,10,shoes,",
    "customers": "c1,a@example.fr,06 12 34 56 78,Anne,1980-02-03,FR",
    "consents": "c1,email,marketing,granted,2026-01-15 10:00,site,v1",
}
GOOD_SHORT = {"customer_id,created_at\n": "c1,2026-01-15 10:00"}
GOOD_SHORT |= {"customer_id,timezone\n": "c1,Europe/Paris"}
GOOD_SHORT |= {"customer_id,first_name,visits\n": "c1,Anne,3"}
GOOD_SHORT |= {"customer_id,first_name,optin\n": "c1,Anne,yes"}


@pytest.mark.parametrize(
    ("kind", "header", "bad", "reason", "changes"),
    REASONS,
    ids=[f"{kind}-{reason}" for kind, _, _, reason, _ in REASONS],
)
def test_each_rejection_reason(
    tmp_path: Path, kind: Any, header: str, bad: str, reason: str, changes: dict[str, Any]
) -> None:
    store = open_store(tmp_path, **changes)
    good = GOOD_SHORT.get(header, GOOD[kind])
    path = write(tmp_path / f"{kind}.csv", f"{header}{good}\n{bad}\n")
    summary = ingest(store, kind, path)
    assert (summary.loaded, summary.duplicates, summary.quarantined) == (1, 0, {reason: 1})
    (entry,) = rows(store, "quarantine")
    assert (entry["kind"], entry["row_number"], entry["reason"]) == (kind, 2, reason)
    columns = header.strip().split(",")
    values = [v or None for v in bad.split(",")]
    assert json.loads(entry["record"]) == dict(zip(columns, values, strict=True))
    (listed,) = quarantine_file(path)
    assert listed == {
        **dict(zip(columns, bad.split(","), strict=True)),
        "row_number": "2",
        "reason": reason,
    }
    store.close()


def test_a_line_that_is_not_json_is_quarantined(store: Store, tmp_path: Path) -> None:
    good = {"customer_id": "c1", "type": "complaint_opened", "time": "2026-01-15T10:00:00Z"}
    path = write(tmp_path / "events.jsonl", json.dumps(good) + "\n{not json\n[1, 2]\n")
    summary = ingest(store, "events", path)
    assert (summary.loaded, summary.quarantined) == (1, {"bad_json": 2})
    assert [(q["row_number"], q["record"]) for q in rows(store, "quarantine")] == [
        (2, None),
        (3, None),
    ]
    assert [r["row_number"] for r in quarantine_file(path)] == ["2", "3"]


def test_a_file_fixed_and_ingested_again_loses_its_quarantine_file(
    store: Store, tmp_path: Path
) -> None:
    path = write(tmp_path / "events.csv", EVENTS + "c1,purchase,2026-01-15 10:00,x,shoes,\n")
    assert ingest(store, "events", path).quarantine_file is not None
    write(path, EVENTS + "c1,purchase,2026-01-15 10:00,10,shoes,\n")
    summary = ingest(store, "events", path)
    assert (summary.loaded, summary.quarantine_file) == (1, None)
    assert not (tmp_path / "events.csv.quarantine.csv").exists()


def test_a_file_without_a_needed_column_or_of_an_unknown_format_is_refused(
    store: Store, tmp_path: Path
) -> None:
    with pytest.raises(StoreError, match="no column time"):
        ingest(store, "events", write(tmp_path / "e.csv", "customer_id,type\nc1,purchase\n"))
    with pytest.raises(StoreError, match="expected a .csv, .parquet or .jsonl file"):
        ingest(store, "events", write(tmp_path / "e.xlsx", ""))
    with pytest.raises(StoreError, match="no such file"):
        ingest(store, "events", tmp_path / "absent.csv")
    assert store.count("events") == 0


# --- customers ------------------------------------------------------------------------------


def test_customers_are_normalised_and_a_changed_row_is_a_new_version(
    store: Store, tmp_path: Path
) -> None:
    first = write(
        tmp_path / "customers.csv",
        CUSTOMERS + "c1, Anne.Martin@Example.FR ,06 12 34 56 78,Anne,1980-02-03,FR\n"
        "c2,bob@example.fr,+32 470 12 34 56,Bob,,BE\n",
    )
    assert ingest(store, "customers", first).loaded == 2
    current = {c["customer_id"]: c for c in rows(store, "customers")}
    assert current["c1"]["email"] == "anne.martin@example.fr"
    assert (current["c1"]["phone"], current["c2"]["phone"]) == ("+33612345678", "+32470123456")
    assert current["c1"]["birth_date"] == date(1980, 2, 3)
    assert ingest(store, "customers", first).duplicates == 2
    assert store.count("customer_versions") == 2

    changed = write(
        tmp_path / "changes.csv",
        CUSTOMERS + "c1,anne.martin@example.fr,06 12 34 56 78,Anne,1980-02-03,BE\n"
        "c2,bob@example.fr,+32 470 12 34 56,Bob,,BE\n",
    )
    summary = ingest(store, "customers", changed)
    assert (summary.loaded, summary.duplicates) == (1, 1)
    assert store.count("customers") == 2
    versions = [v for v in rows(store, "customer_versions") if v["customer_id"] == "c1"]
    assert sorted(v["country"] for v in versions) == ["BE", "FR"]
    now = {c["customer_id"]: c for c in rows(store, "customers")}
    assert now["c1"]["country"] == "BE"
    assert now["c1"]["_version"] in {v["_version"] for v in versions}
    assert now["c2"] == current["c2"]


def test_a_column_the_file_lacks_keeps_its_current_value(store: Store, tmp_path: Path) -> None:
    ingest(store, "customers", write(tmp_path / "a.csv", CUSTOMERS + "c1,a@example.fr,,Anne,,FR\n"))
    loyalty = write(tmp_path / "loyalty.csv", "customer_id,loyalty_joined_at\nc1,2020-05-01\n")
    assert ingest(store, "customers", loyalty).loaded == 1
    (customer,) = rows(store, "customers")
    assert (customer["first_name"], customer["loyalty_joined_at"]) == ("Anne", date(2020, 5, 1))
    assert customer["email"] == "a@example.fr"
    assert store.count("customer_versions") == 2


def test_the_last_row_of_a_customer_in_a_file_wins(store: Store, tmp_path: Path) -> None:
    path = write(
        tmp_path / "customers.csv",
        CUSTOMERS + "c1,a@example.fr,,Anne,,FR\nc1,a@example.fr,,Annie,,FR\n",
    )
    summary = ingest(store, "customers", path)
    assert (summary.loaded, summary.duplicates) == (2, 0)
    assert [c["first_name"] for c in rows(store, "customers")] == ["Annie"]
    assert store.count("customer_versions") == 2
    assert ingest(store, "customers", path).duplicates == 2


# --- consents -------------------------------------------------------------------------------


def test_consents_load_with_a_deterministic_id(store: Store, tmp_path: Path) -> None:
    path = write(
        tmp_path / "consents.csv",
        CONSENTS + "c1,Email,marketing,granted,2026-01-15 10:00,site,v1\n"
        "c1,sms,marketing,withdrawn,2026-01-15 10:00,site,v1\n"
        "c1,sms,marketing,0,2026-01-15 10:00,site,v1\n",
    )
    summary = ingest(store, "consents", path)
    assert (summary.loaded, summary.duplicates) == (2, 1)
    consents = rows(store, "consents")
    assert [(c["channel"], c["granted"]) for c in consents] == [("email", True), ("sms", False)]
    assert consents[0]["time"] == datetime(2026, 1, 15, 9)
    assert ingest(store, "consents", path).duplicates == 3


# --- properties -----------------------------------------------------------------------------

GOOD_EVENT = st.builds(
    lambda c, day, amount: ("good", f"c{c},purchase,2026-01-{day:02d} 10:00,{amount},shoes,"),
    st.integers(0, 3),
    st.integers(1, 28),
    st.integers(0, 500),
)
BAD_EVENT = st.sampled_from(
    [
        ("bad", ",purchase,2026-01-15 10:00,1,shoes,"),
        ("bad", "c1,purchase,never,1,shoes,"),
        ("bad", "c1,refund,2026-01-15 10:00,1,shoes,"),
        ("bad", "c1,purchase,2026-01-15 10:00,abc,shoes,"),
        ("bad", "c1,purchase,,1,shoes,"),
    ]
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(GOOD_EVENT, BAD_EVENT), min_size=1, max_size=30))
def test_every_row_is_loaded_a_duplicate_or_quarantined(lines: list[tuple[str, str]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        store = open_store(tmp)
        path = write(tmp / "events.csv", EVENTS + "".join(line + "\n" for _, line in lines))
        summary = ingest(store, "events", path)
        good = [line for kind, line in lines if kind == "good"]
        assert_complete(summary, len(lines))
        assert summary.loaded == len(set(good))
        assert sum(summary.quarantined.values()) == len(lines) - len(good)
        loaded = {(e["customer_id"], e["time"].day, e["amount"]) for e in rows(store, "events")}
        for line in good:
            customer, _, time, amount, *_ = line.split(",")
            assert (customer, int(time[8:10]), float(amount)) in loaded
        again = ingest(store, "events", path)
        assert (again.loaded, again.duplicates) == (0, len(good))
        store.close()


# --- command line ---------------------------------------------------------------------------


def test_cli_ingest_prints_a_summary_table(tmp_path: Path) -> None:
    folder = write_plan(tmp_path / "plan")
    path = write(
        tmp_path / "events.csv",
        EVENTS + "c1,purchase,2026-01-15 10:00,10,shoes,\nc1,purchase,x,10,shoes,\n",
    )
    runner = CliRunner()
    result = runner.invoke(app, ["ingest", "events", str(path), "--plan", str(folder)])
    assert result.exit_code == 0, result.output
    assert "2 rows read" in result.stdout
    assert "quarantined: bad_timestamp" in result.stdout
    assert "events.csv.quarantine.csv" in result.stdout
    assert (folder / ".animato" / "store.duckdb").exists()
    elsewhere = tmp_path / "other.duckdb"
    again = runner.invoke(
        app, ["ingest", "events", str(path), "--plan", str(folder), "--store", str(elsewhere)]
    )
    assert again.exit_code == 0, again.output
    assert elsewhere.exists()


def test_cli_ingest_reports_an_unreadable_file(tmp_path: Path) -> None:
    folder = write_plan(tmp_path / "plan")
    runner = CliRunner()
    result = runner.invoke(
        app, ["ingest", "events", str(tmp_path / "no.csv"), "--plan", str(folder)]
    )
    assert result.exit_code == 1
    assert "no such file" in result.stderr
    wrong = runner.invoke(
        app, ["ingest", "orders", str(tmp_path / "no.csv"), "--plan", str(folder)]
    )
    assert wrong.exit_code == 2


def test_progress_bar_runs(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path / "events.csv", EVENTS + "c1,purchase,2026-01-15 10:00,10,shoes,\n")
    assert ingest(store, "events", path, progress=True).loaded == 1


def test_a_property_named_like_an_internal_column_loads(tmp_path: Path) -> None:
    """A contract property called ``reason`` is data, not the quarantine reason."""
    reason = ("complaint_opened: {}", "complaint_opened: {properties: {reason: string}}")
    store = open_store(tmp_path, plan=reason)
    path = write(
        tmp_path / "events.csv",
        "customer_id,type,time,reason\nc1,complaint_opened,2026-01-15 10:00,livraison\n"
        "c1,complaint_opened,le 15,livraison\n",
    )
    summary = ingest(store, "events", path)
    assert (summary.loaded, summary.quarantined) == (1, {"bad_timestamp": 1})
    assert [e["reason"] for e in rows(store, "events")] == ["livraison"]
    assert quarantine_file(path) == [
        {"customer_id": "c1", "type": "complaint_opened", "time": "le 15",
         "reason": "livraison", "row_number": "2", "quarantine_reason": "bad_timestamp"}
    ]  # fmt: skip
    store.close()


def test_closed_event_columns_are_enums_that_only_ever_grow(tmp_path: Path) -> None:
    first = open_store(tmp_path)  # category: a free string; type: the contract's three types
    path = write(tmp_path / "e1.csv", EVENTS + "c1,purchase,2026-01-15 10:00,10,sofa,\n")
    assert ingest(first, "events", path).loaded == 1
    first.close()
    signup = ("    complaint_opened: {}\n", "    complaint_opened: {}\n    visit: {}\n")
    store = open_store(tmp_path, plan=STRICT_EVENTS)  # now category ∈ [shoes, home]; a new type
    store.close()
    store = open_store(tmp_path, plan=signup)  # the values of the strict plan stay allowed
    types = dict(
        store.con.raw_sql(
            "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = 'events'"
        ).fetchall()
    )
    assert types["type"] == "ENUM('purchase', 'newsletter_signup', 'complaint_opened', 'visit')"
    assert types["category"] == "VARCHAR"  # free again: any value may come
    path = write(tmp_path / "e2.csv", EVENTS + "c2,visit,2026-01-16 10:00,,,\n")
    assert ingest(store, "events", path).loaded == 1
    assert [(e["type"], e["category"]) for e in rows(store, "events")] == [
        ("purchase", "sofa"),
        ("visit", None),
    ]
    store.close()
    store = open_store(tmp_path, plan=STRICT_EVENTS)
    types = dict(
        store.con.raw_sql(
            "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = 'events'"
        ).fetchall()
    )
    # the type keeps 'visit', which the plan no longer declares; category keeps 'sofa'
    assert types["type"] == "ENUM('purchase', 'newsletter_signup', 'complaint_opened', 'visit')"
    assert types["category"] == "ENUM('sofa', 'shoes', 'home')"
    store.close()


def test_parquet_ids_repeated_or_missing_fall_back_to_the_full_check(
    store: Store, tmp_path: Path
) -> None:
    def parquet(name: str, ids: list[str | None]) -> Path:
        table = pa.table(
            {
                "event_id": pa.array(ids, pa.string()),
                "customer_id": ["c1"] * len(ids),
                "type": ["complaint_opened"] * len(ids),
                "time": [datetime(2026, 1, 15 + i, 10) for i in range(len(ids))],
            }
        )
        pq.write_table(table, tmp_path / name)
        return tmp_path / name

    repeated = ingest(store, "events", parquet("a.parquet", ["e1", "e1", "e2"]))
    assert (repeated.loaded, repeated.duplicates) == (2, 1)
    missing = ingest(store, "events", parquet("b.parquet", ["e3", None, ""]))
    assert (missing.loaded, missing.duplicates) == (3, 0)  # two rows get a content id
    ids = {e["event_id"] for e in rows(store, "events")}
    assert {"e1", "e2", "e3"} < ids and len(ids) == 5
    again = ingest(store, "events", parquet("b.parquet", ["e3", None, ""]))
    assert (again.loaded, again.duplicates) == (0, 3)


def test_suppressions_load_with_their_channel_or_all(store: Store, tmp_path: Path) -> None:
    path = write(
        tmp_path / "suppressions.csv",
        "customer_id,channel,reason,active,time\n"
        "c1,email,hard_bounce,,2026-01-15 10:00\n"
        "c2,,erased,true,2026-01-15 10:00\n"
        "c3,fax,do_not_contact,,2026-01-15 10:00\n"
        "c4,sms,,,2026-01-15 10:00\n",
    )
    summary = ingest(store, "suppressions", path)
    assert summary.loaded == 2
    assert summary.quarantined == {"bad_channel": 1, "missing_required:reason": 1}
    loaded = [(r["customer_id"], r["channel"], r["active"]) for r in rows(store, "suppressions")]
    assert loaded == [("c1", "email", True), ("c2", "all", True)]
    assert ingest(store, "suppressions", path).loaded == 0


def test_events_are_stored_in_time_order_whatever_the_files_order(
    store: Store, tmp_path: Path
) -> None:
    # a history exported customer by customer: each customer's events over two years
    times = [
        datetime(2024, 1, 1)
        + (i * 7919 % 5000) * (datetime(2026, 1, 1) - datetime(2024, 1, 1)) / 5000
        for i in range(5000)
    ]
    path = tmp_path / "events.parquet"
    pq.write_table(
        pa.table(
            {
                "customer_id": [f"c{i // 50}" for i in range(5000)],
                "type": ["complaint_opened"] * 5000,
                "time": times,
            }
        ),
        path,
    )
    assert ingest(store, "events", path).loaded == 5000
    stored = [t for (t,) in store.con.raw_sql("SELECT time FROM events ORDER BY rowid").fetchall()]
    assert stored == sorted(stored)
    assert len(set(stored)) == 5000
