"""Pass 3: journeys → goals, exits, and the steps that fall due, with their hard filters.

For each running enrolment the next step is due ``wait`` after entry (first step) or after the
previous step's send time; a step's ``at`` moves its send time to the next local ``at`` time.
Before any step, a goal reached ends the journey as converted and an ``exit_when`` event ends it
as exited. A due step whose ``if`` is false is skipped; otherwise it becomes a message row whose
decision is ``candidate``, ``withheld:control``, ``dropped:no_consent`` or ``dropped:no_address``
(until the arbitration pass decides the candidates).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from animato.engine.clock import Interval
from animato.engine.compile import ENGAGEMENT, Compiler
from animato.engine.entry import TERMINAL
from animato.engine.ids import row_id, row_id_expr
from animato.engine.state import State
from animato.plan.model import Scenario, Step
from animato.store.schema import event_properties
from animato.store.store import Store


@dataclass
class Tick:
    """What every scenario's journeys read, computed once per tick into temporary tables.

    ``running``: the enrolments not ended before the journeys pass; ``progress``: their decided
    steps and last send time; ``fresh``: the events this tick is the first to see (and the history
    of customers enrolled late), the only ones where a goal or an exit can newly be reached.
    """

    running: ir.Table
    progress: ir.Table
    fresh: ir.Table


ADDRESS = {"email": "email", "sms": "phone", "call": "phone", "push": "customer_id"}


def _ended(
    store: Store,
    scenario: Scenario,
    active: ir.Table,
    events: ir.Table,
    interval: Interval,
    compiler: Compiler,
    tick_id: str,
) -> int:
    """Log goals reached and exits seen in ``events``; return how many journeys ended."""
    rows: list[ir.Table] = []
    rules: list[tuple[str, str, str | None, Any]] = []
    if scenario.goal is not None:
        rules.append(("converted", scenario.goal.event, scenario.goal.where, scenario.goal.within))
    rules += [("exited", r.event, r.where, None) for r in scenario.exit_when]
    for kind, event_type, where, within in rules:
        hits = events.filter((events.type == event_type) & (events.time <= interval.end))
        hits = hits.join(active, "customer_id").filter(lambda t: t.time > t.entered_at)
        if within is not None:
            hits = hits.filter(hits.time <= hits.entered_at + _interval(within))
        if where is not None:
            hits = hits.mutate(**{f"event__{p}": hits[p] for p in event_properties(store.plan)})
            hits = hits.filter(compiler.condition(where, hits))
        first = hits.group_by("enrolment_id", "customer_id").aggregate(time=hits.time.min())
        rows.append(
            first.select(
                row_id=row_id_expr(first.enrolment_id, ibis.literal(kind)),
                enrolment_id=first.enrolment_id,
                customer_id=first.customer_id,
                scenario_id=ibis.literal(scenario.id),
                kind=ibis.literal(kind),
                time=first.time,
                reason=ibis.literal(event_type),
                tick_id=ibis.literal(tick_id),
            )
        )
    ended = 0
    for table in rows:  # goal first: a converted journey is not also exited
        ended += store.append(
            "journey_log",
            table.anti_join(
                store.table("journey_log").filter(
                    ibis._.kind.isin(("completed", "converted", "exited"))
                ),
                "enrolment_id",
            ),
        )
    return ended


def _interval(duration: Any) -> Any:
    from animato.engine.triggers import _interval as make

    return make(duration)


def _send_time(interval: Interval, due: datetime, step: Step) -> datetime:
    """The first local ``at`` time at or after ``due`` (or ``due``), never before the tick."""
    send = due
    if step.at is not None:
        day = interval.local_day(due)
        send = interval.to_utc(day, step.at)
        if send < due:
            send = interval.to_utc(day + timedelta(days=1), step.at)
    return max(send, interval.end)


ACTIVE = ("enrolment_id", "customer_id", "entered_at", "control", "anniversary", "event_id")


def progress(messages: ir.Table, active: ir.Table) -> ir.Table:
    """Per running enrolment: how many steps are decided (``step``) and the last send time."""
    mine = messages.semi_join(active.select("enrolment_id"), "enrolment_id")
    return mine.group_by("enrolment_id").aggregate(step=mine.count(), last_send=mine.send_at.max())


def advance(
    store: Store,
    scenario: Scenario,
    current: State,
    tick: Tick,
    interval: Interval,
    compiler: Compiler,
    tick_id: str,
) -> dict[str, int]:
    """Decide every step of a scenario that falls due in this tick; return counts by decision."""
    counts: dict[str, int] = {}
    active = tick.running.filter(tick.running.scenario_id == scenario.id).select(*ACTIVE)
    counts["ended"] = _ended(store, scenario, active, tick.fresh, interval, compiler, tick_id)
    log = store.table("journey_log")
    ended = log.filter((log.tick_id == tick_id) & log.kind.isin(TERMINAL))
    active = active.anti_join(ended, "enrolment_id")
    done = tick.progress
    decided_last = True
    while decided_last:
        due = _due(store, scenario, active, done, interval)
        waiting = due.group_by("step").aggregate(n=due.count()).to_pyarrow().to_pylist()
        decided_last = False
        for index in sorted(row["step"] for row in waiting):
            step = scenario.steps[index]
            state = due.filter(due.step == index)
            decided = _decide(store, scenario, step, state, current, interval, compiler, tick_id)
            for decision, n in decided.items():
                counts[decision] = counts.get(decision, 0) + n
            following = scenario.steps[index + 1] if index + 1 < len(scenario.steps) else None
            decided_last |= following is not None and not following.wait.delta()
        if decided_last:  # a step with no wait may follow at once: count again
            messages = store.table("messages")
            done = progress(messages.filter(messages.action_id == scenario.id), active)
    return counts


def _due(
    store: Store, scenario: Scenario, active: ir.Table, done: ir.Table, interval: Interval
) -> ir.Table:
    """Running journeys whose next step falls due by the end of the tick, with that step's index.

    The next step is due ``wait`` after entry (first step) or after the previous step's send time.
    """
    state = active.left_join(done, "enrolment_id").drop("enrolment_id_right")
    state = state.mutate(step=state.step.fill_null(0))
    state = state.filter(state.step < len(scenario.steps))
    due = ibis.cases(
        *(
            (state.step == i, (state.entered_at if i == 0 else state.last_send) + _interval(s.wait))
            for i, s in enumerate(scenario.steps)
        ),
    )
    state = state.mutate(due=due).filter(ibis._.due <= interval.end)
    return store.materialize("tick_due", state)


def _decide(
    store: Store,
    scenario: Scenario,
    step: Step,
    state: ir.Table,
    current: State,
    interval: Interval,
    compiler: Compiler,
    tick_id: str,
) -> dict[str, int]:
    """Write the step's message row of each due journey; log the journeys it completes."""
    plan = store.plan
    needed = compiler.aggregates(step.if_)
    context = state.left_join(store.table("customers"), "customer_id").drop("customer_id_right")
    if compiler.reads_event(step.if_):
        events = store.table("events").semi_join(state.select("event_id"), "event_id")
        trigger_props = events.select(
            "event_id", **{f"event__{p}": events[p] for p in event_properties(plan)}
        )
        context = context.left_join(trigger_props, "event_id").drop("event_id_right")
    aggs = current.aggregates(needed)
    if aggs is not None:
        context = context.left_join(aggs, "customer_id").drop("customer_id_right")
    # Engagement comes from tracking (delivery issue); until then nobody has opened or clicked.
    earlier = [s.id for s in scenario.steps[: scenario.steps.index(step)]]
    context = context.mutate(
        **{f"{k}__{s}": ibis.literal(False) for k in ENGAGEMENT for s in earlier},
        **{f"{k}__previous": ibis.literal(False) for k in ENGAGEMENT},
    )
    consent = _consented(store, state)
    purpose = plan.conventions.consent
    channels = [step.channel] + ([step.fallback.channel] if step.fallback else [])
    reach = {}
    for channel in channels:
        ok = consent.filter((consent.channel == channel) & (consent.purpose == purpose[channel]))
        address = ADDRESS.get(channel, "customer_id")
        has_address = (
            context[address].notnull() if address in context.columns else ibis.literal(True)
        )
        reach[channel] = (context.customer_id.isin(ok.customer_id), has_address)
    chosen = ibis.literal(step.channel)
    decision = ibis.cases(
        (~compiler.condition(step.if_, context), "skipped:condition"),
        (context.control.notnull(), "withheld:control"),
        (reach[step.channel][0] & reach[step.channel][1], "candidate"),
        else_="dropped:no_consent",
    )
    if step.fallback is not None:
        fb = step.fallback.channel
        use_fallback = (
            ~(reach[step.channel][0] & reach[step.channel][1]) & reach[fb][0] & reach[fb][1]
        )
        chosen = ibis.cases((use_fallback, fb), else_=step.channel)
        decision = ibis.cases(
            (use_fallback & (decision == "dropped:no_consent"), "candidate"), else_=decision
        )
    no_address = ~reach[step.channel][1] & reach[step.channel][0]
    decision = ibis.cases(
        (no_address & (decision == "dropped:no_consent"), "dropped:no_address"), else_=decision
    )
    rows = (
        context.select("enrolment_id", "customer_id", "due", channel=chosen, decision=decision)
        .to_pyarrow()
        .to_pylist()
    )
    if not rows:
        return {}
    out = []
    for row in rows:
        send = _send_time(interval, row["due"], step)
        out.append(
            {
                "message_id": row_id(row["enrolment_id"], step.id),
                "enrolment_id": row["enrolment_id"],
                "customer_id": row["customer_id"],
                "action_id": scenario.id,
                "step_id": step.id,
                "channel": row["channel"],
                "due_at": row["due"],
                "send_at": row["due"] if row["decision"] == "skipped:condition" else send,
                "decision": row["decision"],
                "tick_id": tick_id,
            }
        )
    store.append("messages", pa.Table.from_pylist(out))
    if step is scenario.steps[-1]:
        _complete(store, scenario, out, tick_id)
    counts: dict[str, int] = {}
    for row in out:
        counts[row["decision"]] = counts.get(row["decision"], 0) + 1
    return counts


def _consented(store: Store, who: ir.Table) -> ir.Table:
    """Those of ``who`` whose latest consent event per channel and purpose is a grant."""
    consents = store.table("consents")
    consents = consents.semi_join(who.select("customer_id").distinct(), "customer_id")
    latest = consents.mutate(
        _rank=ibis.row_number().over(
            group_by=["customer_id", "channel", "purpose"],
            order_by=[ibis.desc("time"), ibis.desc("consent_id")],
        )
    )
    return latest.filter((latest._rank == 0) & latest.granted).select(
        "customer_id", "channel", "purpose"
    )


def _complete(store: Store, scenario: Scenario, last: list[dict[str, Any]], tick_id: str) -> None:
    """Journeys whose last step was just decided end as completed, at that step's send time."""
    store.append(
        "journey_log",
        pa.Table.from_pylist(
            [
                {
                    "row_id": row_id(m["enrolment_id"], "completed"),
                    "enrolment_id": m["enrolment_id"],
                    "customer_id": m["customer_id"],
                    "scenario_id": scenario.id,
                    "kind": "completed",
                    "time": m["send_at"],
                    "reason": "",
                    "tick_id": tick_id,
                }
                for m in last
            ]
        ),
    )
