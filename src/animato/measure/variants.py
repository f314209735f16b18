"""A/B tests: each variant of a step against the others on the scenario's goal.

A variant's units are the step's messages that carry it (control groups aside, whatever
arbitration then did with them); a unit converts when a goal event follows within the goal's
window after the message was due. A winner is named only when the best variant's conversion
beats every other one's with a significant test (:func:`animato.measure.incrementality.compare`).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from animato.engine.compile import Compiler
from animato.engine.triggers import _interval
from animato.measure.incrementality import PROVEN, Sample, compare
from animato.store.schema import event_properties
from animato.store.store import Store

Key = tuple[str, str]


def samples(
    store: Store,
    start: datetime | None = None,
    end: datetime | None = None,
    *,
    seen: datetime | None = None,
) -> dict[Key, dict[str, Sample]]:
    """Per (scenario, step) with variants, each variant's units and conversions (messages due
    in ``[start, end)`` when given): a unit converts when a goal event (with the goal's
    ``where``) follows the message's due time within the goal's ``within`` (and, with
    ``seen``, by that time: a tick at ``seen`` knows no later event, a replay over history
    must not either).
    """
    plan = store.plan
    compiler = Compiler(plan, end or datetime.max)
    props = event_properties(plan)
    m = store.table("messages")
    m = m.filter(m.variant.notnull(), m.decision != "withheld:control")
    if start is not None:
        m = m.filter(m.due_at >= start)
    if end is not None:
        m = m.filter(m.due_at < end)
    events = store.table("events")
    if seen is not None:
        events = events.filter(events.time <= seen)
    out: dict[Key, dict[str, Sample]] = defaultdict(dict)
    for scenario in plan.scenarios:
        goal = scenario.goal
        if goal is None or not any(step.variants for step in scenario.steps):
            continue
        mine = m.filter(m.action_id == scenario.id)
        ev = events.filter(events.type == goal.event)
        ev = ev.select(
            _customer=ev.customer_id, _time=ev.time, **{f"event__{p}": ev[p] for p in props}
        )
        joined = mine.join(
            ev,
            (mine.customer_id == ev._customer)
            & (ev._time > mine.due_at)
            & (ev._time <= mine.due_at + _interval(goal.within)),
        )
        hits = joined.filter(compiler.condition(goal.where, joined)).select("message_id")
        flagged = mine.mutate(converted=mine.message_id.isin(hits.message_id))
        counts = flagged.group_by("step_id", "variant").aggregate(
            n=flagged.count(), conversions=flagged.count(where=flagged.converted)
        )
        for r in counts.to_pyarrow().to_pylist():
            out[(scenario.id, r["step_id"])][r["variant"]] = Sample(
                int(r["n"]), int(r["conversions"] or 0), 0.0, 0.0
            )
    return dict(out)


def winner(arms: dict[str, Sample], at_least: int = 0) -> str | None:
    """The variant that converts best when it beats every other one significantly (and each
    has at least ``at_least`` units), else None.
    """
    if len(arms) < 2 or any(s.n < max(at_least, 1) for s in arms.values()):
        return None
    best = max(sorted(arms), key=lambda v: arms[v].rate)
    beaten = all(compare(arms[best], arms[v]).verdict == PROVEN for v in arms if v != best)
    return best if beaten else None


def rows(store: Store, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """The report's A/B table: per step and variant, units, conversions, rate, the difference
    with the step's first variant (95 % interval, p-value) and the winner, if any.
    """
    found = samples(store, start, end)
    out = []
    for scenario in store.plan.scenarios:
        for step in scenario.steps:
            if not step.variants:
                continue
            arms = found.get((scenario.id, step.id or ""), {})
            name = winner(arms)
            base = arms.get(step.variants[0].id)
            for variant in step.variants:
                arm = arms.get(variant.id, Sample(0, 0, 0.0, 0.0))
                c = (
                    compare(arm, base)
                    if base is not None and variant is not step.variants[0]
                    else None
                )
                out.append(
                    {
                        "scenario_id": scenario.id,
                        "step_id": step.id,
                        "variant": variant.id,
                        "share": variant.share,
                        "messages": arm.n,
                        "conversions": arm.conversions,
                        "conversion_rate": arm.rate if arm.n else None,
                        "uplift_vs_first": None
                        if c is None or c.conversion is None
                        else c.conversion.estimate,
                        "uplift_low": None
                        if c is None or c.conversion is None
                        else c.conversion.low,
                        "uplift_high": None
                        if c is None or c.conversion is None
                        else c.conversion.high,
                        "p_value": None if c is None else c.p_value,
                        "winner": name,
                    }
                )
    return out
