"""The cost curve: steady-state daily tick at several sizes, and at twice the history.

Runs ``bench/tick.py`` (demo data, ingest, a first full tick, three steady-state days with 1 % of
the customers active) for each size in its own process, then once more at the middle size with
twice the history, and prints one table. A tick should cost what the day's activity costs: the
double history barely moves it.

Usage: .venv/bin/python bench/scale.py [--sizes 100000,1000000,10000000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIGURES = {
    "events": r"ingest events: ([\d,]+) rows in [\d.]+ s = ([\d,]+) rows/s",
    "first": r"first full tick: ([\d.]+) s",
    "steady": r"steady-state daily tick: median ([\d.]+) s",
    "memory": r"peak memory: ([\d,]+) MB",
}


def run(customers: int, years: int, keep: Path | None) -> dict[str, str]:
    """One ``bench/tick.py`` run; its figures by name."""
    command = [sys.executable, str(ROOT / "bench" / "tick.py"), "--customers", str(customers),
               "--years", str(years), "--days", "3"]  # fmt: skip
    if keep is not None:
        command += ["--keep", str(keep / f"{customers}-{years}y")]
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    print(done.stdout, flush=True)
    found = {}
    for name, pattern in FIGURES.items():
        match = re.search(pattern, done.stdout)
        found[name] = ", ".join(match.groups()) if match else "?"
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000,10000000")
    parser.add_argument("--keep", type=Path, help="keep each run's data and store here")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    runs = [(n, 2) for n in sizes] + [(sizes[len(sizes) // 2], 4)]
    rows = [(n, years, run(n, years, args.keep)) for n, years in runs]
    print("| customers | history | events (rows, rows/s) | first tick s | steady tick s | MB |")
    print("|---|---|---|---|---|---|")
    for n, years, f in rows:
        print(f"| {n:,} | {years} years | {f['events']} | {f['first']} | {f['steady']}"
              f" | {f['memory']} |")  # fmt: skip


if __name__ == "__main__":
    main()
