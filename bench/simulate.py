"""Simulation cost: 90 daily ticks of the demo plan replayed over the history of N customers.

Data comes from ``animato demo-data`` (two years of history ending at END), ingested into a
store; ``animato.simulate`` then copies the store's inputs and replays the last DAYS days through
the production tick (nothing rendered or delivered), and computes the report. Target on a 2-core
machine: 90 daily ticks over 1,000,000 customers in under 10 minutes.

``--save 20,45,75`` keeps a copy of the replay store after those ticks, in the ``--keep`` folder,
for ``bench/replay_ticks.py`` to run the next ticks again (profiles, A/B of two commits).

Usage: .venv/bin/python bench/simulate.py --customers 1000000 [--days 90] [--keep DIR]
       [--report-only] [--save 20,45,75]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from animato import load_plan  # noqa: E402
from animato.simulate import figures, page  # noqa: E402
from animato.simulate.replay import replay  # noqa: E402
from animato.store import Store  # noqa: E402
from animato.store.ingest import ingest  # noqa: E402

PLAN = ROOT / "examples" / "retail"
END = datetime(2026, 11, 1)
DAYS = 90


def first(days: int) -> datetime:
    """Where a replay of ``days`` daily ticks starts: its ticks fall at 23:00 UTC."""
    return END - timedelta(days=days, hours=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=DAYS, help="daily ticks to replay")
    parser.add_argument("--keep", type=Path, help="keep data, store and replay in this folder")
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="reuse the replay kept in --keep; time the report",
    )
    parser.add_argument("--save", default="", help="ticks after which to copy the store: 20,45")
    args = parser.parse_args()
    saves = {int(n) for n in args.save.split(",") if n}
    work = args.keep or Path(tempfile.mkdtemp(prefix="animato-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    data, source = work / "data", work / "history.duckdb"
    plan = load_plan(PLAN)
    try:
        if not (data / "events.parquet").exists():
            animato = str(Path(sys.executable).parent / "animato")
            subprocess.run(
                [animato, "demo-data", str(data), "--customers", str(args.customers),
                 "--end", END.date().isoformat()],
                check=True,
            )  # fmt: skip
        if not source.exists():
            t0 = time.perf_counter()
            store = Store(plan, source)
            for kind in ("customers", "consents", "events"):
                ingest(store, kind, data / f"{kind}.parquet")  # type: ignore[arg-type]
            store.close()
            print(f"history ingested: {time.perf_counter() - t0:.1f} s")
        start = first(args.days)
        folder = work / "simulation"
        if not args.report_only:
            shutil.rmtree(folder, ignore_errors=True)
        ticks: list[float] = []
        last = [0.0]

        def ticked(done: int, total: int, moment: datetime) -> None:
            now = time.perf_counter()
            ticks.append(now - last[0])
            if done % 10 == 0 or done == total:
                print(f"  {done}/{total} ticks, {moment:%Y-%m-%d}: last {ticks[-1]:.1f} s")
            if done in saves:  # committed: the file and its log hold the tick
                for suffix in ("", ".wal"):
                    kept = Path(f"{folder / 'store.duckdb'}{suffix}")
                    if kept.exists():
                        shutil.copyfile(kept, work / f"after-{done}.duckdb{suffix}")
            last[0] = time.perf_counter()  # (a copy is not the next tick's time)

        t0 = last[0] = time.perf_counter()
        done = replay(
            plan, source, folder, start, start + timedelta(days=args.days), on_tick=ticked
        )
        took = time.perf_counter() - t0
        result = done.result
        if ticks:
            print(
                f"replay: {len(ticks)} daily ticks in {took:.1f} s ({took / 60:.1f} min, the copy"
                f" of the inputs in the first); per tick median {statistics.median(ticks):.1f} s,"
                f" max {max(ticks):.1f} s; {sum(result.enrolments.values()):,} enrolments,"
                f" {result.messages:,} decisions"
            )
        t0 = time.perf_counter()
        store = Store(plan, done.store)
        found = figures.compute(store, done.start, done.end, done.assume)
        store.close()
        report = page.write(plan, found, folder)
        print(f"report: {time.perf_counter() - t0:.1f} s ({report})")
        print(f"peak memory: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
