"""A small plan and a hand-built store for the report's tests (real DuckDB, rows appended)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from animato import load_plan
from animato.engine.ids import in_control
from animato.store import Store

PLAN = """\
name: Mesure
salt: pepper
global_control: 20%
data:
  events:
    purchase: {properties: {amount: number}}
    cart_abandoned: {}
programs:
  - id: ventes
    name: Ventes
    kpis:
      - {name: CA additionnel, metric: incremental_revenue, target: 100}
      - {name: Taux d'ouverture, metric: open_rate}
    scenarios:
      - id: panier
        name: Panier abandonné
        trigger: {event: cart_abandoned}
        holdout: 30%
        goal: {event: purchase, within: 7d}
        kpis: [{name: Conversion, metric: conversion_rate, target: 0.4}]
        steps: [{channel: email, template: mail}]
    campaigns:
      - id: noel
        name: Noël
        at: 2027-03-05T10:00
        channel: email
        template: mail
        holdout: 10%
        goal: {event: purchase, within: 7d}
"""
MAIL = "---\nsubject: Bonjour\n---\n<p>Bonjour</p>\n"
START, END = datetime(2027, 3, 1), datetime(2027, 4, 1)


def make_store(folder: Path, plan_text: str = PLAN) -> Store:
    """Write the plan into ``folder`` and open an in-memory store for it."""
    (folder / "templates").mkdir(parents=True)
    (folder / "plan.yaml").write_text(plan_text)
    (folder / "templates" / "mail.html").write_text(MAIL)
    return Store(load_plan(folder))


def ids(salt: str, share: float, count: int, *, inside: bool, prefix: str) -> list[str]:
    """``count`` customer ids that are (or are not) in the global control of ``share``."""
    found: list[str] = []
    i = 0
    while len(found) < count:
        cid = f"{prefix}{i}"
        if in_control(salt, "global", cid, share) == inside:
            found.append(cid)
        i += 1
    return found


def append(store: Store, table: str, *rows: dict[str, Any]) -> None:
    """Append rows (missing columns are null)."""
    store.append(table, pa.Table.from_pylist(list(rows)))
