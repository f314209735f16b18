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


def step_counts(store: Store, scenarios: list[Scenario]) -> dict[str, list[StepCounts]]:
    """Per scenario, per step (entry first): journeys in progress, waiting, converted, exited,
    completed; every scenario in one query.
    """
    ids = [s.id for s in scenarios]
    enrolments = store.table("enrolments")
    mine = enrolments.filter(enrolments.scenario_id.isin(ids)).select("enrolment_id", "scenario_id")
    log = store.table("journey_log")
    ends = log.filter(log.scenario_id.isin(ids) & log.kind.isin(TERMINAL))
    ends = ends.group_by("enrolment_id").aggregate(end=ends.kind.max())
    messages = store.table("messages")
    steps = messages.filter(messages.action_id.isin(ids) & messages.enrolment_id.notnull()).select(
        "enrolment_id", "message_id", "due_at"
    )
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
    grouped = rows.group_by("scenario_id", "reached", status=status).aggregate(n=rows.count())
    out = {}
    for scenario in scenarios:
        out[scenario.id] = [StepCounts("entry", "Entrée")] + [
            StepCounts(str(s.id), f"{s.id} · {s.channel}") for s in scenario.steps
        ]
    for row in grouped.to_pyarrow().to_pylist():
        lines = out[row["scenario_id"]]
        lines[min(int(row["reached"]), len(lines) - 1)].counts[row["status"]] += int(row["n"])
    return out


def recent_decisions(store: Store, days: int = 7) -> dict[str, dict[str, int]]:
    """Messages of each action decided by the ticks of the last ``days`` days, by decision
    (the hard filters of the journeys and every arbitration decision).
    """
    ticks = store.table("ticks")
    latest = ticks.now.max().to_pyarrow().as_py()
    if not isinstance(latest, datetime):
        return {}
    recent = ticks.filter(ticks.now > latest - timedelta(days=days)).select("tick_id")
    messages = store.table("messages")
    hard = messages.filter(messages.decision != "candidate").semi_join(recent, "tick_id")
    decided = store.table("decisions").semi_join(recent, "tick_id")
    both = ibis.union(
        hard.select("message_id", "action_id", "decision"),
        decided.select("message_id", "action_id", "decision"),
    ).distinct()
    counts = both.group_by("action_id", "decision").aggregate(n=both.count())
    out: dict[str, dict[str, int]] = {}
    for r in counts.order_by("action_id", "decision").to_pyarrow().to_pylist():
        out.setdefault(r["action_id"], {})[r["decision"]] = int(r["n"])
    return out
