"""A small plan and a hand-built history whose every simulated figure is known in advance.

Three customers (a, b, c). a abandons a cart on Monday 2027-03-01 at 09:00, b on Wednesday at
09:00; the cart scenario sends t1 an hour later and t2 a day after t1 to those who did not open
t1 (the assumption says nobody opens); a weekly newsletter goes to everyone on Tuesday at 10:00;
at most 2 messages in any 7 × 24 h. Ticks run at midnight UTC, from 03-02 to 03-08:

- tick 03-02: a's t1 (due 03-01 10:00) goes at 03-02 00:00;
- tick 03-03: a's t2 (priority 90) and the newsletter (03-02 10:00) meet at 03-03 00:00: a's t2
  is accepted (2 in the week), a's newsletter dropped (cap_week); b's and c's go out;
- tick 03-04: b's t1 goes at 03-04 00:00 (newsletter + t1: 2 in the week);
- ticks 03-05 to 03-08: b's t2 is postponed by the weekly cap every day (max_delay 7d).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pyarrow as pa

from animato import load_plan
from animato.store import Store

PLAN = """\
name: Simulation test
salt: pepper
timezone: UTC
data:
  customer: {first_name: string}
  events:
    cart_abandoned: {}
conventions:
  pressure:
    caps: {all: {week: 2}}
simulation:
  assume: {open_rate: 0%, click_rate: 0%}
programs:
  - id: p
    name: P
    kpis: [{name: CA, metric: revenue}]
    scenarios:
      - id: panier
        name: Panier
        trigger: {event: cart_abandoned}
        priority: 90
        max_delay: 7d
        steps:
          - {id: t1, wait: 1h, channel: email, template: mail}
          - {id: t2, wait: 1d, if: "not opened('t1')", channel: email, template: mail}
    campaigns:
      - id: hebdo
        name: Hebdo
        every: {weekday: tuesday, time: "10:00"}
        channel: email
        template: mail
        priority: 10
"""
MAIL = "---\\nsubject: Bonjour\\n---\\n<p>Bonjour {{ customer.first_name }}</p>\\n"
START, END = datetime(2027, 3, 1), datetime(2027, 3, 8)


def write_history(folder: Path, plan_text: str = PLAN) -> tuple[Path, Path]:
    """Write the plan into ``folder/plan`` and its history into ``folder/store.duckdb``."""
    plan_dir = folder / "plan"
    (plan_dir / "templates").mkdir(parents=True)
    (plan_dir / "plan.yaml").write_text(plan_text)
    (plan_dir / "templates" / "mail.html").write_text(MAIL.encode().decode("unicode_escape"))
    path = folder / "store.duckdb"
    store = Store(load_plan(plan_dir), path)
    people = [
        {"customer_id": c, "first_name": c.upper(), "email": f"{c}@example.fr"} for c in "abc"
    ]
    store.append("customers", pa.Table.from_pylist(people))
    consents = [
        {"consent_id": c, "customer_id": c, "channel": "email", "purpose": "marketing",
         "granted": True, "time": datetime(2020, 1, 1)}
        for c in "abc"
    ]  # fmt: skip
    store.append("consents", pa.Table.from_pylist(consents))
    carts = [
        {"event_id": f"c{c}", "customer_id": c, "type": "cart_abandoned", "time": when}
        for c, when in (("a", datetime(2027, 3, 1, 9)), ("b", datetime(2027, 3, 3, 9)))
    ]
    store.append("events", pa.Table.from_pylist(carts))
    store.close()
    return plan_dir, path
