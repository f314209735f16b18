"""Live figures of a scenario: where its journeys stand on each step, and its recent decisions.

A journey stands on the last step decided for it (``entry`` before its first step). It is
``in progress`` there when its journey runs and nothing of that step is held, ``waiting`` when
that step's message is held by arbitration (postponed) or scheduled in the outbox and not yet
delivered, and ``converted``, ``exited`` or ``completed`` when the journey ended there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import ibis

from animato.engine.entry import TERMINAL
from animato.engine.outbox import waiting
from animato.plan.model import Scenario
from animato.store.store import Store

STATUSES = ("in_progress", "waiting", "converted", "exited", "completed")


@dataclass
class StepCounts:
    """Journeys standing on one step of a scenario, by status."""

    step: str
    label: str
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATUSES, 0))


def step_counts(store: Store, scenario: Scenario) -> list[StepCounts]:
    """Per step (entry first): journeys in progress, waiting, converted, exited, completed."""
    enrolments = store.table("enrolments")
    mine = enrolments.filter(enrolments.scenario_id == scenario.id).select("enrolment_id")
    log = store.table("journey_log")
    ends = log.filter((log.scenario_id == scenario.id) & log.kind.isin(TERMINAL))
    ends = ends.group_by("enrolment_id").aggregate(end=ends.kind.max())
    messages = store.table("messages")
    steps = messages.filter(
        (messages.action_id == scenario.id) & messages.enrolment_id.notnull()
    ).select("enrolment_id", "message_id", "due_at")
    last = steps.group_by("enrolment_id").aggregate(
        reached=steps.count(), last_id=steps.message_id.argmax(steps.due_at)
    )
    outbox, deliveries = store.table("outbox"), store.table("deliveries")
    scheduled = outbox.anti_join(deliveries, "message_id").select("message_id")
    held = ibis.union(waiting(store).select("message_id"), scheduled)
    rows = mine.left_join(last, "enrolment_id").drop("enrolment_id_right")
    rows = rows.left_join(ends, "enrolment_id").drop("enrolment_id_right")
    rows = rows.mutate(reached=rows.reached.fill_null(0), held=rows.last_id.isin(held.message_id))
    status = ibis.cases(
        (rows.end.notnull(), rows.end),
        (rows.held, "waiting"),
        else_="in_progress",
    )
    grouped = rows.group_by(rows.reached, status=status).aggregate(n=rows.count())
    out = [StepCounts("entry", "Entrée")]
    out += [StepCounts(str(s.id), f"{s.id} · {s.channel}") for s in scenario.steps]
    for row in grouped.to_pyarrow().to_pylist():
        index = min(int(row["reached"]), len(scenario.steps))
        out[index].counts[row["status"]] += int(row["n"])
    return out


def recent_decisions(store: Store, action_id: str, days: int = 7) -> dict[str, int]:
    """Messages of an action decided by the ticks of the last ``days`` days, by decision
    (the hard filters of the journeys and every arbitration decision).
    """
    ticks = store.table("ticks")
    latest = ticks.now.max().to_pyarrow().as_py()
    if not isinstance(latest, datetime):
        return {}
    recent = ticks.filter(ticks.now > latest - timedelta(days=days)).select("tick_id")
    messages = store.table("messages")
    hard = messages.filter(
        (messages.action_id == action_id) & (messages.decision != "candidate")
    ).semi_join(recent, "tick_id")
    log = store.table("decisions")
    decided = log.filter(log.action_id == action_id).semi_join(recent, "tick_id")
    both = ibis.union(
        hard.select("message_id", "decision"), decided.select("message_id", "decision")
    ).distinct()
    counts = both.group_by("decision").aggregate(n=both.count()).order_by("decision")
    return {r["decision"]: int(r["n"]) for r in counts.to_pyarrow().to_pylist()}
