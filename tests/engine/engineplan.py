"""A plan that exercises every trigger kind, and helpers to load data into a real store."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from animato import load_plan
from animato.store import Store

PLAN = """\
name: Engine test
salt: pepper
timezone: Europe/Paris
data:
  customer:
    first_name: string
    birth_date: date
    loyalty_joined_at: date
    subscription_ends_at: date
  events:
    purchase: {properties: {amount: number, category: string}}
    cart_abandoned: {properties: {cart_value: number}}
    complaint_opened: {}
conventions:
  definitions:
    relance: "count(cart_abandoned) > count(cart_abandoned, 7d) and days_since(cart_abandoned) < 9"
  segments:
    gros_client: "sum(purchase.amount, 365d) >= 100"
  exclusions:
    open_complaint: {when: "count(complaint_opened, 30d) > 0"}
programs:
  - id: p
    name: P
    kpis: [{name: CA, metric: revenue}]
    scenarios:
      - id: panier
        name: Panier
        trigger: {event: cart_abandoned, where: "event.cart_value >= 50"}
        exclude: [open_complaint]
        reentry: after 7d
        priority: 90
        goal: {event: purchase, within: 3d}
        exit_when: [complaint_opened]
        steps:
          - {id: t1, wait: 1h, channel: email, template: mail}
          - {id: t2, wait: 1d, at: "18:00", channel: sms, template: sms,
             fallback: {channel: email, template: mail}}
      - id: inactif
        name: Inactif
        trigger: {inactive: {event: purchase, for: 30d}}
        reentry: max 2 per 365d
        priority: 50
        steps: [{channel: email, template: mail}]
      - id: cadence
        name: Cadence
        trigger: {inactive: {event: purchase, for: cadence, factor: 2, min_events: 3, default: 60d}}
        priority: 51
        steps: [{channel: email, template: mail}]
      - id: compte
        name: Compte
        trigger: {inactive: {event: purchase, for: 45d, scope: account}}
        priority: 52
        steps: [{channel: email, template: mail}]
      - id: anniv
        name: Anniversaire
        trigger: {date: birth_date, years: every}
        holdout: 50%
        priority: 40
        steps: [{channel: email, template: mail}]
      - id: fidelite
        name: Fidélité
        trigger: {date: loyalty_joined_at, years: [1, 5, 10], late_within: 2d}
        priority: 41
        steps: [{channel: email, template: mail}]
      - id: vip
        name: Bienvenue au club
        trigger: {segment: gros_client, on: enter}
        priority: 43
        steps: [{channel: email, template: mail}]
      - id: renouvellement
        name: Renouvellement
        trigger: {date: subscription_ends_at, offset: -30d}
        priority: 42
        steps: [{channel: email, template: mail}]
"""
MAIL = "---\nsubject: Bonjour\n---\n<p>Bonjour {{ customer.first_name }}</p>\n"


def make_store(folder: Path, plan_text: str = PLAN) -> Store:
    """Write the plan into ``folder`` and open an in-memory store for it."""
    (folder / "templates").mkdir(parents=True)
    (folder / "plan.yaml").write_text(plan_text)
    (folder / "templates" / "mail.html").write_text(MAIL)
    (folder / "templates" / "sms.liquid").write_text("Bonjour {{ customer.first_name }}\n")
    return Store(load_plan(folder))


def customers(store: Store, *rows: dict[str, Any]) -> None:
    """Load customers (email and consents granted unless said otherwise)."""
    full = [{"email": f"{r['customer_id']}@example.fr", **r} for r in rows]
    store.append("customers", pa.Table.from_pylist(full))
    consents = [
        {
            "consent_id": f"{r['customer_id']}-{ch}",
            "customer_id": r["customer_id"],
            "channel": ch,
            "purpose": "marketing",
            "granted": True,
            "time": datetime(2020, 1, 1),
        }
        for r in rows
        for ch in r.get("_consents", ["email", "sms"])
    ]
    store.append("consents", pa.Table.from_pylist(consents))


def event(
    store: Store, event_id: str, customer: str, kind: str, when: datetime, **props: Any
) -> None:
    """Load one event."""
    row = {"event_id": event_id, "customer_id": customer, "type": kind, "time": when, **props}
    store.append("events", pa.Table.from_pylist([row]))


def rows(store: Store, table: str, **where: str) -> list[dict[str, Any]]:
    """All rows of a table, optionally filtered on equal columns, sorted for comparison."""
    found = store.table(table).to_pyarrow().to_pylist()
    found = [r for r in found if all(r[k] == v for k, v in where.items())]
    return sorted(found, key=lambda r: tuple(str(v) for v in r.values()))


__all__ = ["date", "customers", "event", "make_store", "rows"]
