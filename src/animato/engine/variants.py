"""A/B tests on steps: which variant a customer gets, and ``auto_winner``.

Assignment is deterministic, like the control groups: the customer gets the variant whose
cumulative share first exceeds ``unit_hash(salt + ':' + scenario + ':' + step + ':' + customer)``.
Once a step's ``auto_winner`` has named a winner (kept in ``variant_winners``), every later
message of the step gets it.
"""

from __future__ import annotations

from datetime import datetime

import pyarrow as pa

from animato.engine.ids import row_id, unit_hash
from animato.measure import variants as measured
from animato.plan.model import Plan, Step
from animato.store.store import Store

Key = tuple[str, str]


def assign(
    plan: Plan, scenario_id: str, step: Step, customer_id: str, winners: dict[Key, str]
) -> str | None:
    """The variant of a step's message to a customer (None for a step without variants)."""
    if not step.variants:
        return None
    won = winners.get((scenario_id, step.id or ""))
    if won is not None:
        return won
    point = unit_hash(f"{plan.salt}:{scenario_id}:{step.id}:{customer_id}")
    total = 0.0
    for variant in step.variants:
        total += variant.share
        if point < total:
            return variant.id
    return step.variants[-1].id


def winners(store: Store, now: datetime) -> dict[Key, str]:
    """The winners named at or before ``now``."""
    t = store.table("variant_winners")
    found = t.filter(t.decided_at <= now).to_pyarrow().to_pylist()
    return {(r["scenario_id"], r["step_id"]): r["variant"] for r in found}


def decide(store: Store, now: datetime, tick_id: str) -> dict[Key, str]:
    """Name the winners of the steps with ``auto_winner`` whose test has become conclusive;
    return every winner in force.
    """
    known = winners(store, now)
    open_tests = [
        (s.id, step)
        for s in store.plan.scenarios
        for step in s.steps
        if step.auto_winner is not None and (s.id, step.id) not in known
    ]
    if not open_tests:
        return known
    found = measured.samples(store, None, now, seen=now)
    fresh = []
    for scenario_id, step in open_tests:
        assert step.auto_winner is not None and step.id is not None
        name = measured.winner(found.get((scenario_id, step.id), {}), step.auto_winner.after)
        if name is None:
            continue
        known[(scenario_id, step.id)] = name
        fresh.append(
            {
                "row_id": row_id("winner", scenario_id, step.id),
                "scenario_id": scenario_id,
                "step_id": step.id,
                "variant": name,
                "decided_at": now,
                "tick_id": tick_id,
            }
        )
    if fresh:
        store.append("variant_winners", pa.Table.from_pylist(fresh), unique=True)
    return known
