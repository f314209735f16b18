"""Pass 2: entry → enrolments (``when``, ``exclude``, ``reentry``, one running instance, control).

Candidates of one tick become enrolments with a deterministic id (customer, scenario, occurrence).
A customer in the scenario's holdout or in the plan's global control is enrolled too, marked
``control``: they follow the journey but their messages are withheld, which is what makes
incremental revenue measurable.
"""

from __future__ import annotations

from datetime import datetime

import ibis
import ibis.expr.types as ir

from animato.engine.clock import existing
from animato.engine.compile import Compiler
from animato.engine.ids import below, in_control_expr, row_id_expr
from animato.engine.state import State
from animato.plan.durations import Duration
from animato.plan.model import Plan, Scenario

TERMINAL = ("completed", "converted", "exited")


def _with_customers(cands: ir.Table, customers: ir.Table, now: datetime) -> ir.Table:
    """The candidates of customers who exist at ``now``, with their fields (an event of a
    customer the store does not know, or not yet, enrols no one).
    """
    joined = cands.join(existing(customers, now), "customer_id")
    return joined.drop("customer_id_right") if "customer_id_right" in joined.columns else joined


def running(enrolments: ir.Table, journey_log: ir.Table) -> ir.Table:
    """Enrolments whose journey has not ended."""
    ended = journey_log.filter(journey_log.kind.isin(TERMINAL)).select("enrolment_id")
    return enrolments.anti_join(ended, "enrolment_id")


def enrol(
    plan: Plan,
    scenarios: list[Scenario],
    cands: ir.Table,
    customers: ir.Table,
    state: State,
    enrolments: ir.Table,
    busy: ir.Table,
    now: datetime,
    compiler: Compiler,
    tick_id: str,
) -> ir.Table:
    """The new enrolments of the tick from its candidates, for every scenario in one expression.

    ``enrolments`` holds at least the candidates' past enrolments (their re-entry rules look
    there), ``busy`` the running enrolments (of every scenario) as the tick starts. A scenario's
    rules (``when``, exclusions, re-entry, holdout) are picked by a ``case`` on its id, so that
    the expression does not grow a copy per scenario.
    """
    ids = [scenario.id for scenario in scenarios]
    cands = cands.filter(cands.scenario_id.isin(ids))
    rules = plan.conventions.exclusions
    texts = {
        s.id: (s.when, [rules[n].when for n in s.exclude if s.id not in rules[n].except_])
        for s in scenarios
    }
    needed = set().union(*(compiler.aggregates(t) for w, ex in texts.values() for t in [w, *ex]))
    context = _with_customers(cands, customers, now)
    aggs = state.aggregates(needed)
    if aggs is not None:
        context = context.left_join(aggs, "customer_id").drop("customer_id_right")
    keeps = []
    for scenario_id, (when, exclusions) in texts.items():
        keep = compiler.condition(when, context)
        for text in exclusions:
            keep = keep & ~compiler.condition(text, context)
        keeps.append((context.scenario_id == scenario_id, keep))
    chosen = context.filter(ibis.cases(*keeps, else_=False)).select(*cands.columns)
    # One instance per customer and scenario: the earliest occurrence of the tick wins.
    rank = ibis.row_number().over(
        group_by=["scenario_id", "customer_id"], order_by=["trigger_time", "occurrence"]
    )
    chosen = chosen.mutate(_rank=rank).filter(ibis._._rank == 0).drop("_rank")
    pair = ["scenario_id", "customer_id"]
    # Running, or kept out by their re-entry rule: one anti-join (a second one on the same table
    # is not rewritten for PostgreSQL by Ibis 12).
    blocked = _reentry_blocked(scenarios, enrolments, now)
    out = busy.select(*pair) if blocked is None else ibis.union(busy.select(*pair), blocked)
    chosen = chosen.anti_join(out, pair)
    scoped = ibis.literal(f"{plan.salt}:") + chosen.scenario_id + ":" + chosen.customer_id
    holdout = ibis.cases(
        *((chosen.scenario_id == s.id, below(scoped, s.holdout)) for s in scenarios),
        else_=False,
    )
    control = ibis.cases(
        (in_control_expr(plan.salt, "global", chosen.customer_id, plan.global_control), "global"),
        (holdout, "holdout"),
        else_=ibis.null("string"),
    )
    return chosen.select(
        enrolment_id=row_id_expr(chosen.customer_id, chosen.scenario_id, chosen.occurrence),
        customer_id=chosen.customer_id,
        scenario_id=chosen.scenario_id,
        occurrence=chosen.occurrence,
        entered_at=chosen.trigger_time,
        control=control,
        anniversary=chosen.anniversary,
        event_id=chosen.event_id,
        tick_id=ibis.literal(tick_id),
    )


def _reentry_blocked(
    scenarios: list[Scenario], enrolments: ir.Table, now: datetime
) -> ir.Table | None:
    """The (scenario, customer) pairs that ``reentry`` keeps out.

    ``never`` blocks every earlier entrant; ``after D`` those who entered within D; ``max N per D``
    those who entered N times within D.
    """
    pair = ["scenario_id", "customer_id"]
    parts: list[ir.Table] = []
    never = [s.id for s in scenarios if s.reentry.kind == "never"]
    if never:
        parts.append(enrolments.filter(enrolments.scenario_id.isin(never)).select(*pair))
    after = [s for s in scenarios if s.reentry.kind == "after"]
    if after:
        since = ibis.cases(
            *((enrolments.scenario_id == s.id, _since(now, s.reentry.after)) for s in after)
        )
        recent = enrolments.filter(
            enrolments.scenario_id.isin([s.id for s in after]), enrolments.entered_at > since
        )
        parts.append(recent.select(*pair))
    per = [s for s in scenarios if s.reentry.kind not in ("never", "after")]
    if per:
        since = ibis.cases(
            *((enrolments.scenario_id == s.id, _since(now, s.reentry.per)) for s in per)
        )
        window = enrolments.filter(
            enrolments.scenario_id.isin([s.id for s in per]), enrolments.entered_at > since
        )
        counted = window.group_by(*pair).aggregate(n=window.count())
        most = ibis.cases(*((counted.scenario_id == s.id, s.reentry.count) for s in per))
        parts.append(counted.filter(counted.n >= most).select(*pair))
    if not parts:
        return None
    return ibis.union(*parts) if len(parts) > 1 else parts[0]


def _since(now: datetime, duration: Duration | None) -> datetime:
    assert duration is not None
    return now - duration.delta()
