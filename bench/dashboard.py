"""Response time of every dashboard page on the demo data (10,000 customers, January 2026 ticked,
as ``make demo`` builds it). Target: every page under 300 ms.

Copies the store (``make demo``'s, stopped) into a temporary folder, starts ``animato serve`` on
the copy in its own process, signs in, then asks for each page once (cold: the first view of a
page builds what it caches until the next tick) and ``--repeat`` times more, with one client.

Usage: .venv/bin/python bench/dashboard.py [--store build/demo.duckdb] [--repeat 20]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx2 as httpx
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from animato import load_plan  # noqa: E402
from animato.store import Store  # noqa: E402
from animato.web.users import Users, users_path  # noqa: E402
from tests.delivery.outboxes import free_port  # noqa: E402

PLAN = ROOT / "examples" / "retail"
TARGET_MS = 300


def copy_store(source: Path, folder: Path) -> Path:
    """The store file with its email bodies and secret, in ``folder``."""
    target = folder / source.name
    shutil.copyfile(source, target)
    for suffix in (".content", ".secret"):
        extra = Path(f"{source}{suffix}")
        if extra.is_dir():
            shutil.copytree(extra, f"{target}{suffix}")
        elif extra.exists():
            shutil.copyfile(extra, f"{target}{suffix}")
    return target


def sample_customer(store_file: Path) -> tuple[str, str, str]:
    """A customer with the most messages in the outbox, their email, and one email sent."""
    store = Store(load_plan(PLAN), store_file)
    try:
        outbox = store.table("outbox")
        top = outbox.group_by("customer_id").aggregate(n=outbox.count())
        top = top.order_by([top.n.desc(), "customer_id"]).limit(1)
        who = top.to_pyarrow()["customer_id"][0].as_py()
        customers = store.table("customers")
        email = customers.filter(customers.customer_id == who).email.to_pyarrow()[0].as_py()
        mine = outbox.filter((outbox.customer_id == who) & outbox.content.notnull())
        sent = mine.order_by("send_at").message_id.to_pyarrow()[0].as_py()
    finally:
        store.close()
    return who, email, sent


def main() -> None:
    """Serve a copy of the demo store and time each page."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, default=ROOT / "build" / "demo.duckdb")
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    if not args.store.exists():
        sys.exit(f"no store at {args.store}: run 'make demo' first (then stop its service)")
    folder = Path(tempfile.mkdtemp(prefix="animato-bench-dashboard-"))
    store_file = copy_store(args.store, folder)
    who, email, sent = sample_customer(store_file)
    Users(users_path(str(store_file))).add("bench", "bench-pw", "operator")
    port = free_port()
    command = [sys.executable, "-m", "animato", "serve", str(PLAN), "--store", str(store_file),
               "--port", str(port), "--now", "2026-01-03T00:00", "--tick-every", "0",
               "--deliver-every", "0"]  # fmt: skip
    server = subprocess.Popen(command, env=os.environ, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        client = httpx.Client(base_url=base, timeout=60)
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                sys.exit(server.communicate()[1].decode())
            try:
                client.get("/health")
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    sys.exit("animato serve did not start")
                time.sleep(0.2)
        form = client.get("/login").text
        token = re.search(r'name="csrf" value="([^"]+)"', form)
        assert token is not None
        signed = client.post("/login", data={"csrf": token.group(1), "name": "bench",
                                             "password": "bench-pw"})  # fmt: skip
        assert signed.status_code == 303, signed.text
        plan = load_plan(PLAN)
        pages = ["/plan/index.html", "/plan/tree.html", "/plan/matrix.html", "/plan/calendar.html"]
        pages += [f"/plan/scenarios/{s.id}.html" for s in plan.scenarios[:6]]
        search = f"/customers?q={email.split('@')[0]}"
        pages += [f"/plan/campaigns/{plan.campaigns[0].id}.html", "/pressure", search,
                  f"/customers/{who}", f"/customers/{who}/messages/{sent}",
                  "/operations"]  # fmt: skip
        table = Table(title=f"Dashboard pages on {args.store} ({args.repeat} requests each)")
        for column in ("page", "first ms", "median ms", "p95 ms", "max ms", "< 300 ms"):
            table.add_column(column, justify="left" if column == "page" else "right")
        worst = cold = 0.0
        for path in pages:
            times = []
            for _ in range(args.repeat + 1):
                started = time.perf_counter()
                answer = client.get(path)
                times.append((time.perf_counter() - started) * 1000)
                assert answer.status_code == 200, (path, answer.status_code)
            first, rest = times[0], sorted(times[1:])
            p95 = rest[min(len(rest) - 1, int(len(rest) * 0.95))]
            worst, cold = max(worst, p95), max(cold, first)
            table.add_row(path, f"{first:.0f}", f"{statistics.median(rest):.0f}", f"{p95:.0f}",
                          f"{rest[-1]:.0f}", "yes" if p95 < TARGET_MS else "NO")  # fmt: skip
        Console().print(table)
        print(
            f"slowest page: p95 {worst:.0f} ms, first view {cold:.0f} ms; target < {TARGET_MS} ms"
        )
    finally:
        server.terminate()
        server.communicate(timeout=60)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
