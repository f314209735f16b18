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

from animato.engine.compile import Compiler
from animato.engine.ids import in_control_expr, row_id_expr
from animato.engine.state import State
from animato.plan.model import Plan, Scenario

TERMINAL = ("completed", "converted", "exited")


def _with_customers(cands: ir.Table, customers: ir.Table) -> ir.Table:
    joined = cands.left_join(customers, "customer_id")
    return joined.drop("customer_id_right") if "customer_id_right" in joined.columns else joined


def running(enrolments: ir.Table, journey_log: ir.Table) -> ir.Table:
    """Enrolments whose journey has not ended."""
    ended = journey_log.filter(journey_log.kind.isin(TERMINAL)).select("enrolment_id")
    return enrolments.anti_join(ended, "enrolment_id")


def enrol(
    plan: Plan,
    scenario: Scenario,
    cands: ir.Table,
    customers: ir.Table,
    state: State,
    enrolments: ir.Table,
    busy: ir.Table,
    now: datetime,
    compiler: Compiler,
    tick_id: str,
) -> ir.Table:
    """The new enrolments of one scenario from its candidates of this tick.

    ``busy`` holds the running enrolments (of every scenario) as the tick starts.
    """
    cands = cands.filter(cands.scenario_id == scenario.id)
    rules = plan.conventions.exclusions
    exclusions = [
        rules[name].when for name in scenario.exclude if scenario.id not in rules[name].except_
    ]
    texts = [scenario.when, *exclusions]
    needed = set().union(*(compiler.aggregates(t) for t in texts))
    context = _with_customers(cands, customers)
    aggs = state.aggregates(needed)
    if aggs is not None:
        context = context.left_join(aggs, "customer_id").drop("customer_id_right")
    keep = compiler.condition(scenario.when, context)
    for text in exclusions:
        keep = keep & ~compiler.condition(text, context)
    chosen = context.filter(keep).select(*cands.columns)
    # One instance per customer and scenario: the earliest occurrence of the tick wins.
    rank = ibis.row_number().over(group_by="customer_id", order_by=["trigger_time", "occurrence"])
    chosen = chosen.mutate(_rank=rank).filter(ibis._._rank == 0).drop("_rank")
    mine = enrolments.filter(enrolments.scenario_id == scenario.id)
    chosen = chosen.anti_join(busy.filter(busy.scenario_id == scenario.id), "customer_id")
    reentry = scenario.reentry
    if reentry.kind == "never":
        chosen = chosen.anti_join(mine, "customer_id")
    elif reentry.kind == "after":
        assert reentry.after is not None
        recent = mine.filter(mine.entered_at > now - reentry.after.delta())
        chosen = chosen.anti_join(recent, "customer_id")
    else:
        assert reentry.per is not None and reentry.count is not None
        window = mine.filter(mine.entered_at > now - reentry.per.delta())
        full = window.group_by("customer_id").aggregate(n=window.count())
        chosen = chosen.anti_join(full.filter(full.n >= reentry.count), "customer_id")
    control = ibis.cases(
        (in_control_expr(plan.salt, "global", chosen.customer_id, plan.global_control), "global"),
        (in_control_expr(plan.salt, scenario.id, chosen.customer_id, scenario.holdout), "holdout"),
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
