"""HTTP throughput of ``animato serve`` on loopback: batch event ingestion and click redirects.

Starts ``animato serve`` on the demo plan with a new store in its own process, then drives it
from this process with aiohttp's client (keep-alive connections, a fixed number of requests in
flight; httpx2's async client tops out near 1,100 requests/s on one core, below what it
measures). Targets: 20,000 events/s in batches of 1,000, and 2,000 redirects/s.

Usage: .venv/bin/python bench/serve.py [--batches 100] [--clicks 20000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import httpx2 as httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from animato import load_plan  # noqa: E402
from animato.settings import secret_for  # noqa: E402
from animato.store import Store  # noqa: E402
from animato.tracking import Signer, Token  # noqa: E402

PLAN = ROOT / "examples" / "retail"
TOKEN = "bench-token"
PAGES = ["accueil", "liste", "fiche_produit", "panier", "compte"]


def batch(number: int, size: int) -> list[dict[str, object]]:
    """``size`` visit events with distinct ids."""
    return [
        {"event_id": f"b{number}-{i}", "customer_id": f"C{(number * size + i) % 50_000:06}",
         "type": "visit", "time": f"2026-01-{1 + i % 28:02}T{i % 24:02}:{i % 60:02}:00Z",
         "page": PAGES[i % 5]}
        for i in range(size)
    ]  # fmt: skip


async def run_all(
    url: str, make: list[tuple[str, str, object]], concurrency: int, timeout: float = 120
) -> tuple[float, list[int]]:
    """Send the requests with ``concurrency`` in flight; return the elapsed time and statuses."""
    statuses: list[int] = []
    queue: asyncio.Queue[tuple[str, str, object]] = asyncio.Queue()
    for item in make:
        queue.put_nowait(item)
    headers = {"Authorization": f"Bearer {TOKEN}"}
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(
        url, connector=connector, headers=headers, timeout=aiohttp.ClientTimeout(total=timeout)
    ) as client:

        async def worker() -> None:
            while not queue.empty():
                method, path, body = queue.get_nowait()
                if method == "POST":
                    async with client.post(path, json=body) as answer:
                        await answer.read()
                else:
                    async with client.get(path, allow_redirects=False) as answer:
                        await answer.read()
                statuses.append(answer.status)

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.perf_counter() - start, statuses


def wait_until_up(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"animato serve exited: {process.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
        try:
            if httpx.get(f"{url}/health").status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise SystemExit("animato serve did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=100, help="batches of events to post")
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--clicks", type=int, default=20_000, help="click requests")
    parser.add_argument("--concurrency", type=int, default=16, help="batches in flight")
    parser.add_argument("--click-concurrency", type=int, default=32, help="clicks in flight")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="animato-bench-") as tmp:
        location = str(Path(tmp) / "store.duckdb")
        Store(load_plan(PLAN), location).close()
        env = {**os.environ, "ANIMATO_API_TOKEN": TOKEN, "ANIMATO_PUBLIC_URL": "http://bench"}
        command = [sys.executable, "-m", "animato", "serve", str(PLAN), "--store", location,
                   "--port", str(args.port), "--tick-every", "0",
                   "--deliver-every", "0"]  # fmt: skip
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE)  # fmt: skip
        url = f"http://127.0.0.1:{args.port}"
        try:
            wait_until_up(url, process)
            warm = [("POST", "/v1/events", batch(-1, args.batch_size))]
            asyncio.run(run_all(url, warm, 1))
            posts = [("POST", "/v1/events", batch(n, args.batch_size)) for n in range(args.batches)]
            elapsed, statuses = asyncio.run(run_all(url, posts, args.concurrency))
            assert set(statuses) == {200}, sorted(set(statuses))
            events = args.batches * args.batch_size
            print(f"ingestion: {events:,} events in {args.batches} batches of {args.batch_size:,}"
                  f" ({args.concurrency} in flight): {elapsed:.2f} s,"
                  f" {events / elapsed:,.0f} events/s (target 20,000)")  # fmt: skip
            signer = Signer(secret_for(location))
            link = signer.sign(Token("c", "0123456789abcdef0123456789abcdef",
                                     "https://www.maison-lumiere.fr/soldes?utm=bench"))  # fmt: skip
            clicks = [("GET", f"/c/{link}", None)] * args.clicks
            asyncio.run(run_all(url, clicks[:200], args.click_concurrency))
            elapsed, statuses = asyncio.run(run_all(url, clicks, args.click_concurrency))
            assert set(statuses) == {302}, sorted(set(statuses))
            rate = args.clicks / elapsed
            print(f"click redirects: {args.clicks:,} requests ({args.click_concurrency} in"
                  f" flight): {elapsed:.2f} s, {rate:,.0f} requests/s (target 2,000)")  # fmt: skip
        finally:
            process.terminate()
            process.wait(timeout=60)
        store = Store(load_plan(PLAN), location)
        print(f"stored: {store.count('events'):,} events")
        store.close()


if __name__ == "__main__":
    main()
