"""Tick cost on the demo plan: ingest, a first full tick, then steady-state daily ticks.

Data comes from ``animato demo-data`` (N customers, two years of history ending at END). Each
steady-state day adds the events of about 1 % of the customers (purchases, visits, carts),
ingests them, and ticks over that day. Targets on a 2-core machine for 1,000,000 customers and
20,000,000 events: events ingested at 1,000,000/s or better, customers at 50,000/s or better, a
steady-state daily tick under 5 s, peak memory under 4 GB.

``--years`` sets the length of the history (double it at a fixed daily activity: the tick should
barely move); ``--backend URL`` ingests into the DuckDB store as usual, copies its inputs to
PostgreSQL or Spark (``animato transfer``) and ticks there, each day's events appended to both.

Usage: .venv/bin/python bench/tick.py --customers 1000000 [--days 3] [--years 2] [--keep DIR]
       [--backend 'spark://local[2]']
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from animato import load_plan  # noqa: E402
from animato.engine import Engine  # noqa: E402
from animato.store import Store  # noqa: E402
from animato.store.ingest import ingest  # noqa: E402
from animato.store.transfer import copy_inputs  # noqa: E402

PLAN = ROOT / "examples" / "retail"
END = datetime(2026, 11, 1)


def day_of_activity(ids: np.ndarray, day: datetime, share: float, seed: int) -> pa.Table:
    """Events of one day for ``share`` of the customers: visits, carts and purchases."""
    rng = np.random.default_rng(seed)
    active = rng.choice(ids, max(1, int(len(ids) * share)), replace=False)
    kinds = np.array(["visit", "visit", "cart_abandoned", "purchase"])
    kind = kinds[rng.integers(0, len(kinds), len(active))]
    seconds = rng.integers(8 * 3600, 21 * 3600, len(active)).astype("timedelta64[s]")
    times = np.datetime64(day.date()) + seconds
    categories = np.array(["mode", "maison", "linge", "decoration", "beaute", "enfant"])
    category = categories[rng.integers(0, len(categories), len(active))]
    value = np.round(rng.gamma(2.0, 40.0, len(active)), 2)
    purchase, cart = kind == "purchase", kind == "cart_abandoned"
    stamp = day.strftime("%Y%m%d")
    return pa.table(
        {
            "event_id": [f"bench-{stamp}-{i}" for i in range(len(active))],
            "customer_id": pa.array(active),
            "type": pa.array(kind),
            "time": pa.array(times.astype("datetime64[us]"), pa.timestamp("us", tz="UTC")),
            "category": pa.array(category),
            "amount": pa.array(value, mask=~purchase),
            "order_id": pa.array([f"o-{stamp}-{i}" for i in range(len(active))], mask=~purchase),
            "cart_value": pa.array(value, mask=~cart),
            "page": pa.array(np.full(len(active), "fiche_produit"), mask=kind != "visit"),
        }
    )


def agree(local: Store, backend: Store, moments: list[datetime]) -> None:
    """The same ticks on the DuckDB store, and whether every decision log matches row for row."""
    t0 = time.perf_counter()
    engine = Engine(local)
    engine.tick(moments[0], since=END - timedelta(days=1))  # as the first tick above
    for moment in moments[1:]:
        engine.tick(moment)
    print(f"the same ticks on DuckDB: {time.perf_counter() - t0:.1f} s")
    for table in ("enrolments", "journey_log", "messages", "decisions"):
        rows = [_rows(store, table) for store in (local, backend)]
        verdict = "same rows" if rows[0] == rows[1] else f"{len(rows[0] ^ rows[1]):,} rows differ"
        print(f"  {table}: {len(rows[0]):,} on DuckDB, {len(rows[1]):,} on the backend: {verdict}")


def _rows(store: Store, table: str) -> set[tuple[object, ...]]:
    logs = store.table(table)
    rows = logs.select(*[c for c in logs.columns if c != "_loaded_at"]).to_pyarrow().to_pylist()
    return {tuple(_plain(v) for v in row.values()) for row in rows}


def _plain(value: object) -> object:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    return round(float(value), 9) if isinstance(value, float) else value


def peak_mb() -> float:
    """Peak resident memory of this process, in MB (Linux reports kB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=3, help="steady-state days to tick")
    parser.add_argument("--share", type=float, default=0.01, help="customers active per day")
    parser.add_argument("--keep", type=Path, help="keep data and store in this folder")
    parser.add_argument("--years", type=int, default=2, help="years of history")
    parser.add_argument("--backend", help="tick on postgres://… or spark://… instead")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="animato-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    data = work / "data"
    try:
        started = time.perf_counter()
        if not (data / "events.parquet").exists():
            subprocess.run(
                [
                    str(Path(sys.executable).parent / "animato"),
                    "demo-data",
                    str(data),
                    "--customers",
                    str(args.customers),
                    "--end",
                    END.date().isoformat(),
                    "--years",
                    str(args.years),
                ],
                check=True,
            )
        print(f"demo data: {time.perf_counter() - started:.1f} s")
        store_path = work / "store.duckdb"
        store_path.unlink(missing_ok=True)
        store = Store(load_plan(PLAN), store_path)
        for kind in ("customers", "consents", "events"):
            t0 = time.perf_counter()
            summary = ingest(store, kind, data / f"{kind}.parquet")  # type: ignore[arg-type]
            took = time.perf_counter() - t0
            print(
                f"ingest {kind}: {summary.rows:,} rows in {took:.1f} s"
                f" = {summary.rows / took:,.0f} rows/s"
                f" (loaded {summary.loaded:,}, quarantined {sum(summary.quarantined.values()):,})"
            )
        ticking = store
        if args.backend:
            # the backend's side files (Spark's tables) in the run's folder: no earlier run's logs
            os.environ["ANIMATO_HOME"] = str(work / "home")
            shutil.rmtree(work / "home", ignore_errors=True)  # a kept folder's earlier run
            t0 = time.perf_counter()
            ticking = Store(store.plan, args.backend)
            added = copy_inputs(store, ticking)
            print(f"inputs copied to {args.backend}: {sum(added.values()):,} rows"
                  f" in {time.perf_counter() - t0:.1f} s", flush=True)  # fmt: skip
        engine = Engine(ticking)
        t0 = time.perf_counter()
        first = engine.tick(END + timedelta(hours=23), since=END - timedelta(days=1))
        print(
            f"first full tick: {time.perf_counter() - t0:.1f} s"
            f" ({sum(first.enrolments.values()):,} enrolments, {first.messages:,} messages)"
        )
        ids = pq.read_table(data / "customers.parquet", columns=["customer_id"])
        customer_ids = ids.column("customer_id").to_numpy(zero_copy_only=False)
        ticks = []
        for d in range(1, args.days + 1):
            day = END + timedelta(days=d)
            path = work / f"day-{d}.parquet"
            pq.write_table(day_of_activity(customer_ids, day, args.share, d), path)
            t0 = time.perf_counter()
            summary = ingest(store, "events", path)
            if ticking is not store:  # the day's validated rows, to the backend too
                events = store.table("events")
                today = events.filter(events.event_id.startswith(f"bench-{day:%Y%m%d}-"))
                ticking.append("events", today.to_pyarrow())
            took_ingest = time.perf_counter() - t0
            t0 = time.perf_counter()
            result = engine.tick(day + timedelta(hours=23))
            took = time.perf_counter() - t0
            ticks.append(took)
            print(
                f"day {d}: {summary.loaded:,} new events ingested in {took_ingest:.1f} s;"
                f" tick {took:.2f} s (engine passes {took - result.arbitration_ms / 1000:.2f} s,"
                f" arbitration and rendering {result.arbitration_ms / 1000:.2f} s;"
                f" {sum(result.enrolments.values()):,} enrolments,"
                f" {result.messages:,} messages)"
            )
        print(f"steady-state daily tick: median {statistics.median(ticks):.2f} s")
        if ticking is not store:
            agree(store, ticking, [END + timedelta(days=d, hours=23) for d in range(args.days + 1)])
        store.close()
        ticking.close()
        print(f"peak memory: {peak_mb():,.0f} MB")
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
