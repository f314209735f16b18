"""Where a simulated tick's time goes: a few ticks of the 1M replay, run again from a saved store.

``bench/simulate.py --keep DIR --save 20,45,75`` keeps copies of its replay store after those
ticks (``DIR/after-N.duckdb``). This script copies one of them, runs the next ticks through the
production tick (nothing rendered, as in a simulation) and prints each tick's time and decisions;
``--statements`` adds the time of each SQL statement, summed by the animato line that ran it,
and Ibis' compilation by line too (a ``fetch``, a result read into Python, includes its own);
``--explain state:161`` prints DuckDB's operators (time over threads, rows) of the statements
run from those lines. Run
it with ``PYTHONPATH=<other checkout>/src`` to time other code on the same store (an A/B of two
commits, same ticks, same data).

Usage: .venv/bin/python bench/replay_ticks.py DIR --after 75 [--ticks 3] [--days 90] [--statements]
       [--explain LINE,...]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
import traceback
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.append(str(ROOT))  # after PYTHONPATH: another checkout's code may be timed

from animato import load_plan  # noqa: E402
from animato.engine import Engine  # noqa: E402
from animato.engine.engagement import Assumption  # noqa: E402
from animato.engine.state import SCRATCH  # noqa: E402
from animato.store import Store  # noqa: E402
from bench.simulate import DAYS, PLAN, first  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir", type=Path, help="the folder of bench/simulate.py --keep")
    parser.add_argument("--after", type=int, required=True, help="the saved tick to start from")
    parser.add_argument("--ticks", type=int, default=3)
    parser.add_argument("--days", type=int, default=DAYS, help="the replay's (simulate --days)")
    parser.add_argument("--statements", action="store_true", help="time each statement")
    parser.add_argument(
        "--explain", default="", help="operators of the statements of these lines: state:161,..."
    )
    args = parser.parse_args()
    saved = args.dir / f"after-{args.after}.duckdb"
    if not saved.exists():
        sys.exit(f"no {saved}: run bench/simulate.py --keep {args.dir} --save {args.after}")
    work = args.dir / "replay-ticks.duckdb"
    for suffix in ("", ".wal"):
        Path(f"{work}{suffix}").unlink(missing_ok=True)
        if Path(f"{saved}{suffix}").exists():
            shutil.copyfile(f"{saved}{suffix}", f"{work}{suffix}")
    plan = load_plan(PLAN)
    store = Store(plan, work)
    spent: Counter[str] = Counter()
    if args.statements:
        con = store.con
        con.raw_sql = _timed(con.raw_sql, spent, "")  # type: ignore[method-assign]
        con.to_pyarrow = _timed(con.to_pyarrow, spent, "fetch ")  # type: ignore[method-assign]
        con.compile = _timed(con.compile, spent, "compile ")  # type: ignore[method-assign]
    if args.explain:
        lines = set(args.explain.split(","))
        con = store.con
        con.raw_sql = _explained(con.raw_sql, con.con, lines, args.dir)  # type: ignore[method-assign]
    assume = Assumption(**plan.simulation.assume.model_dump())
    engine = Engine(store, assume=assume, rendering=False, state_in=SCRATCH)  # as a replay
    start = first(args.days)
    began = time.perf_counter()
    for i in range(1, args.ticks + 1):
        moment = start + timedelta(days=args.after + i)
        t0 = time.perf_counter()
        result = engine.tick(moment)
        print(
            f"{moment:%Y-%m-%d}: {time.perf_counter() - t0:.2f} s,"
            f" {sum(result.enrolments.values()):,} enrolments, {result.messages:,} decisions"
        )
    print(f"{args.ticks} ticks: {time.perf_counter() - began:.1f} s")
    store.close()
    for where, seconds in spent.most_common(40):
        print(f"{seconds:8.2f} s  {where}")


def _caller() -> str:
    """The animato line (outside the store) that runs the current statement."""
    frames = traceback.extract_stack(limit=16)[:-2]
    mine = [f for f in frames if "/animato/" in f.filename and "/store/" not in f.filename]
    return f"{Path(mine[-1].filename).stem}:{mine[-1].lineno}" if mine else "?"


def _explained(call: Callable[..., Any], raw: Any, lines: set[str], folder: Path) -> Any:
    """``call``, printing DuckDB's operators (time, rows) for the statements run from ``lines``."""
    out = folder / "profile.json"

    def explained(sql: Any, *args: Any, **kwargs: Any) -> Any:
        where = _caller()
        if where not in lines or not isinstance(sql, str):
            return call(sql, *args, **kwargs)
        raw.execute("PRAGMA enable_profiling='json'")
        raw.execute(f"PRAGMA profiling_output='{out}'")
        try:
            return call(sql, *args, **kwargs)
        finally:
            raw.execute("PRAGMA disable_profiling")
            tree = json.loads(out.read_text())
            print(f"{where}: {tree.get('latency', 0):.2f} s")
            _operators(tree, 1)

    return explained


def _operators(node: dict[str, Any], depth: int) -> None:
    """The operators of a profile taking 10 ms or more, as a tree."""
    seconds = node.get("operator_timing", 0)
    if seconds >= 0.01:
        info = node.get("extra_info") or {}
        told = {k: str(info[k])[:90] for k in ("Table", "Join Type", "Conditions") if k in info}
        rows = node.get("operator_cardinality")
        print(f"{seconds:8.3f} s {'  ' * depth}{node.get('operator_type')} rows={rows} {told}")
    for child in node.get("children", []):
        _operators(child, depth + 1)


def _timed(call: Callable[..., Any], spent: Counter[str], kind: str) -> Callable[..., Any]:
    """``call``, its time added to ``spent`` under the animato line that called it."""

    def timed(*args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return call(*args, **kwargs)
        finally:
            where = _caller()
            spent[kind + where] += time.perf_counter() - t0

    return timed


if __name__ == "__main__":
    main()
