"""A small plan and a hand-built store for the report's tests (real DuckDB, rows appended)."""

from __future__ import annotations

from datetime import datetime, timedelta
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
T0 = datetime(2027, 3, 2, 9)


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


def filled(folder: Path) -> Store:
    """The hand-built store of the report's tests (the figures they compute by hand)."""
    store = make_store(folder)
    treated = ids("pepper", 0.2, 4, inside=False, prefix="t")  # a, b, c, d of the comments
    held = ids("pepper", 0.2, 2, inside=False, prefix="h")
    outside = ids("pepper", 0.2, 1, inside=True, prefix="g")
    everyone = treated + held + outside
    append(store, "customers", *({"customer_id": c, "created_at": START} for c in everyone))
    enrol = [(c, None) for c in treated] + [(c, "holdout") for c in held]
    enrol += [(outside[0], "global")]
    append(
        store,
        "enrolments",
        *(
            {
                "enrolment_id": f"e-{c}",
                "customer_id": c,
                "scenario_id": "panier",
                "entered_at": T0,
                "control": g,
            }
            for c, g in enrol
        ),
        # entered before the period: not counted
        {
            "enrolment_id": "e-old",
            "customer_id": treated[0],
            "scenario_id": "panier",
            "entered_at": START - timedelta(days=3),
            "control": None,
        },
    )
    a, b, c, d = treated
    buy = [
        (a, T0 + timedelta(days=1), 100.0),  # converts
        (c, T0 + timedelta(days=6), 50.0),  # converts
        (d, T0 + timedelta(days=8), 30.0),  # after the 7 days: not a conversion
        (held[0], T0 + timedelta(hours=5), 40.0),  # the holdout converts too
        (outside[0], T0 + timedelta(days=2), 10.0),
    ]
    append(
        store,
        "events",
        *(
            {
                "event_id": f"buy-{who}",
                "customer_id": who,
                "type": "purchase",
                "time": t,
                "amount": amount,
            }
            for who, t, amount in buy
        ),
    )
    # messages of the treated: all four scheduled, three sent, two delivered, one bounced
    send = T0 + timedelta(hours=1)
    append(
        store,
        "outbox",
        *(
            {
                "message_id": f"m-{x}",
                "customer_id": x,
                "action_id": "panier",
                "step_id": "t1",
                "channel": "email",
                "send_at": send,
                "error": None,
            }
            for x in treated
        ),
        {
            "message_id": "m-err",
            "customer_id": a,
            "action_id": "panier",
            "step_id": "t1",
            "channel": "email",
            "send_at": send,
            "error": "missing value",
        },
    )
    append(
        store,
        "deliveries",
        *({"message_id": f"m-{x}", "status": "sent"} for x in (a, b, c)),
        {"message_id": f"m-{d}", "status": "failed"},
    )
    kinds = [
        (a, "delivered"),
        (b, "delivered"),
        (c, "bounced"),
        (a, "opened"),
        (a, "opened"),
        (b, "opened"),
        (a, "clicked"),
        (b, "unsubscribed"),
        (a, "complained"),
    ]
    append(
        store,
        "engagement",
        *(
            {
                "row_id": f"g{i}",
                "message_id": f"m-{x}",
                "customer_id": x,
                "action_id": "panier",
                "kind": k,
                "time": send,
                "detail": None,
            }
            for i, (x, k) in enumerate(kinds)
        ),
        {
            "row_id": "conv",
            "message_id": f"m-{a}",
            "customer_id": a,
            "action_id": "panier",
            "kind": "converted",
            "time": T0 + timedelta(days=1),
            "detail": f"buy-{a}",
        },
    )
    return store
