"""animato against the two usual ways of computing a day's decisions: one customer at a time
(a query per customer and rule, as per-contact engines do) and a pandas implementation.

The decisions compared are the day's entries into the cart-abandonment scenario of the demo plan
(``abandon_panier``: a ``cart_abandoned`` event of at least 30 €, a customer who exists, is not
staff, has no open complaint (``count(complaint_opened, 90d) > count(complaint_closed, 90d)``),
is not already in the scenario and entered it fewer than 3 times in 90 days; then the global
control group and the 10 % holdout). Both baselines must find exactly the entries animato makes
(the one-customer-at-a-time baseline gets indexes on the columns it looks customers up by);
animato is timed on a whole tick of a plan holding only that scenario (its entry, journeys,
arbitration and rendering: more work than the baselines do).

Usage: .venv/bin/python bench/baseline.py --customers 1000000 [--keep DIR]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from tick import END, day_of_activity  # noqa: E402

from animato import load_plan  # noqa: E402
from animato.engine import Engine  # noqa: E402
from animato.engine.entry import TERMINAL  # noqa: E402
from animato.engine.ids import unit_hash  # noqa: E402
from animato.plan.model import Plan  # noqa: E402
from animato.store import Store  # noqa: E402
from animato.store.ingest import ingest  # noqa: E402

PLAN = ROOT / "examples" / "retail"
SCENARIO = "abandon_panier"
WINDOW = timedelta(days=90)

Entry = tuple[str, str | None]  # customer, control group


def only_scenario(plan: Plan) -> Plan:
    """The plan with one program holding only the benchmarked scenario, and no campaign."""
    programs = []
    for program in plan.programs:
        mine = [s for s in program.scenarios if s.id == SCENARIO]
        if mine:
            programs.append(program.model_copy(update={"scenarios": mine, "campaigns": []}))
    return plan.model_copy(update={"programs": programs})


def control(plan: Plan, customer: str, holdout: float) -> str | None:
    """The control group a new entrant falls in, as DESIGN.md §4 draws it."""
    if (
        plan.global_control > 0
        and unit_hash(f"{plan.salt}:global:{customer}") < plan.global_control
    ):
        return "global"
    if unit_hash(f"{plan.salt}:{SCENARIO}:{customer}") < holdout:
        return "holdout"
    return None


def per_contact(path: Path, plan: Plan, start: datetime, now: datetime) -> set[Entry]:
    """One customer at a time: the day's triggers, then a query per customer and rule."""
    con = duckdb.connect(str(path), read_only=True)
    q = con.execute
    triggers = q(
        "SELECT DISTINCT customer_id FROM events WHERE type = 'cart_abandoned'"
        " AND time > ? AND time <= ? AND cart_value >= 30",
        [start, now],
    ).fetchall()
    holdout = next(s.holdout for s in plan.scenarios if s.id == SCENARIO)
    found: set[Entry] = set()
    for (customer,) in triggers:
        row = q(
            "SELECT created_at, employee FROM customers WHERE customer_id = ?", [customer]
        ).fetchone()
        if row is None or row[0] > now or row[1] is True:
            continue
        opened, closed = q(
            "SELECT count(*) FILTER (WHERE type = 'complaint_opened'),"
            " count(*) FILTER (WHERE type = 'complaint_closed') FROM events"
            " WHERE customer_id = ? AND time > ? AND time <= ?",
            [customer, now - WINDOW, now],
        ).fetchone() or (0, 0)
        if opened > closed:
            continue
        enrolled = q(
            "SELECT enrolment_id, entered_at FROM enrolments"
            " WHERE customer_id = ? AND scenario_id = ?",
            [customer, SCENARIO],
        ).fetchall()
        if sum(1 for _, entered in enrolled if entered > now - WINDOW) >= 3:
            continue
        running = False
        for enrolment, _ in enrolled:
            ended = q(
                "SELECT count(*) FROM journey_log WHERE enrolment_id = ? AND kind IN (?, ?, ?)",
                [enrolment, *TERMINAL],
            ).fetchone()
            running = running or not (ended and ended[0])
        if not running:
            found.add((customer, control(plan, customer, holdout)))
    con.close()
    return found


def with_pandas(path: Path, plan: Plan, start: datetime, now: datetime) -> set[Entry]:
    """The same rules over data frames read from the store."""
    con = duckdb.connect(str(path), read_only=True)
    events = con.execute(
        "SELECT customer_id, type, time, cart_value FROM events WHERE time > ? AND time <= ?"
        " AND type IN ('cart_abandoned', 'complaint_opened', 'complaint_closed')",
        [now - WINDOW, now],
    ).df()
    customers = con.execute("SELECT customer_id, created_at, employee FROM customers").df()
    enrolments = con.execute(
        "SELECT enrolment_id, customer_id, entered_at FROM enrolments WHERE scenario_id = ?",
        [SCENARIO],
    ).df()
    ended = con.execute(
        "SELECT DISTINCT enrolment_id FROM journey_log WHERE kind IN (?, ?, ?)", list(TERMINAL)
    ).df()
    con.close()
    day = events[
        (events.type == "cart_abandoned") & (events.time > start) & (events.cart_value >= 30)
    ]
    who = day[["customer_id"]].drop_duplicates().merge(customers, on="customer_id")
    who = who[(who.created_at <= now) & ~(who.employee.fillna(False).astype(bool))]
    complaints = (
        events[events.type != "cart_abandoned"]
        .groupby(["customer_id", "type"])
        .size()
        .unstack(fill_value=0)
        .reindex(columns=["complaint_opened", "complaint_closed"], fill_value=0)
    )
    open_ = complaints[complaints.complaint_opened > complaints.complaint_closed].index
    who = who[~who.customer_id.isin(open_)]
    recent = enrolments[enrolments.entered_at > now - WINDOW].groupby("customer_id").size()
    who = who[~who.customer_id.isin(recent[recent >= 3].index)]
    running = enrolments[~enrolments.enrolment_id.isin(ended.enrolment_id)]
    who = who[~who.customer_id.isin(running.customer_id)]
    holdout = next(s.holdout for s in plan.scenarios if s.id == SCENARIO)
    return {(c, control(plan, c, holdout)) for c in who.customer_id}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--keep", type=Path, help="keep data and store in this folder")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="animato-baseline-"))
    work.mkdir(parents=True, exist_ok=True)
    data = work / "data"
    try:
        if not (data / "events.parquet").exists():
            animato = str(Path(sys.executable).parent / "animato")
            subprocess.run([animato, "demo-data", str(data), "--customers", str(args.customers),
                            "--end", END.date().isoformat()], check=True)  # fmt: skip
        plan = only_scenario(load_plan(PLAN))
        path = work / "baseline.duckdb"
        path.unlink(missing_ok=True)
        store = Store(plan, path)
        for kind in ("customers", "consents", "events"):
            ingest(store, kind, data / f"{kind}.parquet")  # type: ignore[arg-type]
        engine = Engine(store)
        engine.tick(END + timedelta(hours=23), since=END - timedelta(days=30))  # a month of entries
        ids = pq.read_table(data / "customers.parquet", columns=["customer_id"])
        day = END + timedelta(days=1)
        today = work / "baseline-day.parquet"
        pq.write_table(
            day_of_activity(ids.column("customer_id").to_numpy(False), day, 0.01, 1), today
        )
        ingest(store, "events", today)
        start, now = END + timedelta(hours=23), day + timedelta(hours=23)
        store.close()

        indexed = work / "baseline-indexed.duckdb"  # per-contact engines look customers up
        shutil.copyfile(path, indexed)
        con = duckdb.connect(str(indexed))
        for table, column in (
            ("customers", "customer_id"),
            ("events", "customer_id"),
            ("enrolments", "customer_id"),
            ("journey_log", "enrolment_id"),
        ):
            con.execute(f"CREATE INDEX {table}_{column} ON {table} ({column})")  # fmt: skip
        con.close()
        t0 = time.perf_counter()
        contact = per_contact(indexed, plan, start, now)
        one_by_one = time.perf_counter() - t0
        t0 = time.perf_counter()
        frames = with_pandas(path, plan, start, now)
        pandas_s = time.perf_counter() - t0

        store = Store(plan, path)
        t0 = time.perf_counter()
        result = Engine(store).tick(now)
        animato_s = time.perf_counter() - t0
        rows = store.con.raw_sql(
            "SELECT customer_id, control FROM enrolments WHERE scenario_id = ? AND tick_id = ("
            " SELECT tick_id FROM ticks ORDER BY now DESC LIMIT 1)",
            parameters=[SCENARIO],
        ).fetchall()
        store.close()
        made: set[Entry] = {(c, g) for c, g in rows}
        print(f"{args.customers:,} customers; the day's entries into {SCENARIO}: {len(made):,}"
              f" ({result.messages:,} messages decided by the tick)")  # fmt: skip
        for name, found in (("one customer at a time", contact), ("pandas", frames)):
            same = "same entries" if found == made else f"DIFFERENT: {len(found ^ made):,} differ"
            print(f"  {name}: {same}")
            for entry in sorted(found - made)[:5]:
                print(f"    only {name}: {entry}")
            for entry in sorted(made - found)[:5]:
                print(f"    only animato: {entry}")
        print(f"  animato, a whole tick: {animato_s:.2f} s")
        for name, took in (("one customer at a time", one_by_one), ("pandas", pandas_s)):
            print(f"  {name}: {took:.2f} s (animato {took / animato_s:,.1f}x as fast)")
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
