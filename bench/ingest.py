"""Ingestion throughput: N events and M customers generated as Parquet, ingested into a new store.

Targets: events at 1,000,000/s or better, customers (emails and phones checked) at 50,000/s or
better. Each ingest is timed twice, the second time being a re-ingest that must add nothing. Events
have no id unless ``--event-ids`` (their id is then the md5 of their content). A one-event ingest
into a throwaway store runs first, so that one-off imports do not count.

Usage: .venv/bin/python bench/ingest.py --events 1000000 --customers 200000
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from animato import load_plan  # noqa: E402
from animato.plan import Plan  # noqa: E402
from animato.store import Store  # noqa: E402
from animato.store.ingest import IngestSummary, ingest  # noqa: E402
from tests.plan.planfiles import write_plan  # noqa: E402

START = np.datetime64("2023-01-01T00:00:00", "us")
YEAR_US = 365 * 86_400 * 1_000_000


def events_table(n: int, customers: int, rng: np.random.Generator, ids: bool) -> pa.Table:
    """Events of the test plan's three types, UTC times over a year, with or without ids."""
    kinds = np.array(["purchase", "newsletter_signup", "complaint_opened"])
    kind = kinds[rng.choice(3, n, p=[0.7, 0.25, 0.05])]
    purchase = kind == "purchase"
    amount = np.round(rng.gamma(2.0, 30.0, n), 2)
    categories = np.array(["chaussures", "maison", "textile", "beauté"])
    times = START + rng.integers(0, YEAR_US, n).astype("timedelta64[us]")
    table = pa.table(
        {
            "customer_id": pa.array(np.char.add("c", rng.integers(0, customers, n).astype(str))),
            "type": pa.array(kind),
            "time": pa.array(times, pa.timestamp("us", tz="UTC")),
            "amount": pa.array(amount, mask=~purchase),
            "category": pa.array(categories[rng.integers(0, 4, n)], mask=~purchase),
            "source": pa.array(np.full(n, "site"), mask=kind != "newsletter_signup"),
        }
    )
    if ids:
        table = table.add_column(
            0, "event_id", pa.array(np.char.add("e", np.arange(n).astype(str)))
        )
    return table


def customers_table(n: int, rng: np.random.Generator) -> pa.Table:
    """Customers with distinct emails and French mobiles written two ways; 1% of phones bad."""
    ids = np.char.add("c", np.arange(n).astype(str))
    heads = rng.choice(["60", "61", "62", "64", "65", "66", "67", "68", "73", "75", "76", "78"], n)
    tails = rng.integers(0, 10**7, n)
    bad = rng.random(n) < 0.01  # too short: quarantined as bad_phone
    phones = []
    for i, (head, tail) in enumerate(zip(heads.tolist(), tails.tolist(), strict=True)):
        nsn = f"{head}{tail:07d}"[: 5 if bad[i] else 9]
        spaced = " ".join(("0" + nsn)[k : k + 2] for k in range(0, len(nsn) + 1, 2))
        phones.append(spaced if i % 2 else f"+33{nsn}")
    emails = np.char.add(np.char.add("Client.", ids), "@Exemple.fr")
    return pa.table(
        {
            "customer_id": pa.array(ids),
            "email": pa.array(emails),
            "phone": pa.array(phones, pa.string()),
            "first_name": pa.array(rng.choice(["Anne", "Paul", "Léa", "Hugo"], n)),
            "birth_date": pa.array(
                np.datetime64("1950-01-01") + rng.integers(0, 20_000, n).astype("timedelta64[D]")
            ),
            "country": pa.array(rng.choice(["FR", "BE"], n)),
        }
    )


def warm_up(plan: Plan, folder: Path) -> None:
    """Ingest one event into a throwaway store: one-off imports are not ingestion time."""
    pq.write_table(events_table(1, 1, np.random.default_rng(0), False), folder / "one.parquet")
    store = Store(plan, folder / "warm-up.duckdb")
    ingest(store, "events", folder / "one.parquet")
    store.close()


def timed(label: str, count: int, run: Callable[[], IngestSummary]) -> None:
    """Run ``run()`` (an ingest) and print its summary and rows per second."""
    began = time.perf_counter()
    summary = run()
    seconds = time.perf_counter() - began
    print(
        f"{label:<28} {count:>10,} rows in {seconds:6.2f} s = {count / seconds:>12,.0f} rows/s"
        f"  (loaded {summary.loaded:,}, duplicates {summary.duplicates:,},"
        f" quarantined {sum(summary.quarantined.values()):,})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--event-ids", action="store_true", help="events carry their own id")
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        plan = load_plan(write_plan(folder / "plan"))
        events_file, customers_file = folder / "events.parquet", folder / "customers.parquet"
        events = events_table(args.events, args.customers, rng, args.event_ids)
        pq.write_table(events, events_file)
        pq.write_table(customers_table(args.customers, rng), customers_file)
        warm_up(plan, folder)
        store = Store(plan, folder / "store.duckdb")
        timed("events (Parquet)", args.events, lambda: ingest(store, "events", events_file))
        timed("events again (re-ingest)", args.events, lambda: ingest(store, "events", events_file))
        timed(
            "customers (Parquet)",
            args.customers,
            lambda: ingest(store, "customers", customers_file),
        )
        timed(
            "customers again (re-ingest)",
            args.customers,
            lambda: ingest(store, "customers", customers_file),
        )
        store.close()


if __name__ == "__main__":
    main()
