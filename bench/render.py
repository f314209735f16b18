"""Rendering throughput: N personalised emails of the demo plan's templates, on 1 and 2 cores.

Templates are parsed and MJML compiled once (that time is printed apart); each message is then a
Liquid render of the subject, the HTML and the text part for one customer. Target: 10,000
personalised emails/s or better on the 2 cores.

Usage: .venv/bin/python bench/render.py --messages 100000
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from animato import load_plan  # noqa: E402
from animato.render import Renderer  # noqa: E402

TEMPLATES = ["newsletter", "panier_rappel", "anniversaire_client", "releve_points"]
NAMES = ["Anne", "Bruno", "Chloé", "David", "Élodie", "François", "Gaëlle", "Hugo"]
CATEGORIES = ["mode", "maison", "linge", "decoration", "beaute", "enfant"]


def data(i: int) -> dict[str, Any]:
    """Plain data of one message, as the engine gathers it."""
    mid = f"{i:032x}"
    base = f"http://localhost:8000/m/{mid}"
    return {
        "customer": {
            "customer_id": f"C{i:09d}",
            "first_name": NAMES[i % len(NAMES)],
            "last_name": "Martin",
            "loyalty_tier": "argent",
            "loyalty_points": 120 + i % 900,
            "favourite_category": CATEGORIES[i % len(CATEGORIES)],
            "favourite_products": ["Lampe Aurore", "Plaid Nuage"],
        },
        "event": {"product": "Lampe Aurore", "cart_value": 89.9, "category": "maison"},
        "anniversary": {"years": 1 + i % 10},
        "offer": {"label": "-10 %", "code": "MERCI10", "valid_until": "2027-01-31"},
        "sender": {"name": "Maison Lumière", "address": "bonjour@maison-lumiere.fr"},
        "links": {k: f"{base}/{k}" for k in ("unsubscribe", "preferences", "view_online", "shop")},
        "message": {"id": mid, "channel": "email"},
        "plan": {"name": "Maison Lumière"},
    }


_RENDERER: Renderer | None = None


def _work(span: tuple[int, int]) -> int:
    global _RENDERER
    if _RENDERER is None:
        _RENDERER = Renderer(load_plan(ROOT / "examples" / "retail"))
    failed = 0
    for i in range(*span):
        out = _RENDERER.render("email", TEMPLATES[i % len(TEMPLATES)], data(i))
        failed += out.error is not None
    return failed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    args = parser.parse_args()
    n = args.messages
    t0 = time.perf_counter()
    _work((0, len(TEMPLATES)))  # parse and compile every template once
    print(f"templates parsed and compiled: {(time.perf_counter() - t0) * 1000:.0f} ms")
    t0 = time.perf_counter()
    failed = _work((0, n))
    one = n / (time.perf_counter() - t0)
    print(f"1 core: {n:,} emails at {one:,.0f}/s ({failed} failed)")
    chunks = [(i, min(i + 5_000, n)) for i in range(0, n, 5_000)]
    with ProcessPoolExecutor(2) as pool:
        list(pool.map(_work, [(0, 2), (0, 2)]))  # warm both workers
        t0 = time.perf_counter()
        failed = sum(pool.map(_work, chunks))
        two = n / (time.perf_counter() - t0)
    print(f"2 cores: {n:,} emails at {two:,.0f}/s ({failed} failed)")


if __name__ == "__main__":
    main()
