"""The treated and control groups of each scenario and campaign over a period, and what each
unit did next: the units a report compares.

A unit is a scenario enrolment (entered in the period) or a campaign message (due in the
period, one per customer of the target, withheld ones included). Its group is ``treated``,
``holdout`` (the action's own control group) or ``global`` (the plan's global control), as the
engine assigned it. Its outcome is read from the events, the same way for every group: whether
a goal event (with the goal's ``where``) followed within the goal's ``within``, and the revenue
of those events. Comparing groups on this intention-to-treat basis, rather than on the
conversions attributed to sent messages, is what makes the difference causal.
"""

from __future__ import annotations

from datetime import datetime

import ibis
import ibis.expr.types as ir

from animato.engine.compile import Compiler
from animato.engine.ids import in_control_expr
from animato.engine.triggers import _interval
from animato.plan.model import Campaign, Plan, Scenario
from animato.store.schema import event_properties
from animato.store.store import Store

GROUPS = ("treated", "holdout", "global")


def revenue_property(plan: Plan, event_type: str) -> str | None:
    """The event property that carries revenue (a number named ``amount``), if declared."""
    spec = plan.data.events.get(event_type)
    if spec is None:
        return None
    field = spec.properties.get("amount")
    return "amount" if field is not None and field.type in ("number", "integer") else None


def _scenario_units(
    store: Store, scenarios: list[Scenario], start: datetime, end: datetime
) -> ir.Table:
    e = store.table("enrolments")
    e = e.filter(
        e.scenario_id.isin([s.id for s in scenarios]), e.entered_at >= start, e.entered_at < end
    )
    return e.select(
        action_id=e.scenario_id,
        unit_id=e.enrolment_id,
        customer_id=e.customer_id,
        start=e.entered_at,
        group=e.control.fill_null("treated"),
    )


def _campaign_units(
    store: Store, campaigns: list[Campaign], start: datetime, end: datetime
) -> ir.Table:
    plan = store.plan
    m = store.table("messages")
    m = m.filter(m.action_id.isin([c.id for c in campaigns]), m.due_at >= start, m.due_at < end)
    withheld = m.decision == "withheld:control"
    in_global = in_control_expr(plan.salt, "global", m.customer_id, plan.global_control)
    return m.select(
        action_id=m.action_id,
        unit_id=m.message_id,
        customer_id=m.customer_id,
        start=m.due_at,
        group=ibis.cases((withheld & in_global, "global"), (withheld, "holdout"), else_="treated"),
    )


def units(
    store: Store, start: datetime, end: datetime, events: ir.Table | None = None
) -> ir.Table | None:
    """Every unit of the period with its group and outcome: ``action_id``, ``unit_id``,
    ``customer_id``, ``start``, ``group``, ``converted`` (bool) and ``revenue``; None when no
    action has a goal. Outcomes are read from ``events`` (default: the store's).
    """
    plan = store.plan
    compiler = Compiler(plan, end)
    events = store.table("events") if events is None else events
    props = event_properties(plan)
    parts: list[ir.Table] = []
    scenarios = [s for s in plan.scenarios if s.goal is not None]
    campaigns = [c for c in plan.campaigns if c.goal is not None]
    base = []
    if scenarios:
        base.append(_scenario_units(store, scenarios, start, end))
    if campaigns:
        base.append(_campaign_units(store, campaigns, start, end))
    if not base:
        return None
    every = base[0] if len(base) == 1 else ibis.union(*base)
    actions: list[Scenario | Campaign] = [*scenarios, *campaigns]
    for action in actions:
        goal = action.goal
        assert goal is not None
        mine = every.filter(every.action_id == action.id)
        amount = revenue_property(plan, goal.event)
        ev = events.filter(events.type == goal.event)
        ev = ev.select(
            "customer_id",
            _time=ev.time,
            _amount=ev[amount].cast("float64") if amount else ibis.literal(0.0),
            **{f"event__{p}": ev[p] for p in props},
        )
        ev = ev.rename(_customer="customer_id")
        joined = mine.join(
            ev,
            (mine.customer_id == ev._customer)
            & (ev._time > mine.start)
            & (ev._time <= mine.start + _interval(goal.within)),
        )
        joined = joined.filter(compiler.condition(goal.where, joined))
        outcome = joined.group_by("unit_id").aggregate(
            _n=joined.count(), _revenue=joined._amount.fill_null(0.0).sum()
        )
        done = mine.left_join(outcome, "unit_id").drop("unit_id_right")
        parts.append(
            done.select(
                *mine.columns,
                converted=done._n.fill_null(0) > 0,
                revenue=done._revenue.fill_null(0.0),
            )
        )
    return parts[0] if len(parts) == 1 else ibis.union(*parts)


def customers(store: Store, event_type: str, start: datetime, end: datetime) -> ir.Table:
    """The plan-wide comparison: every customer who existed during the period, in the global
    control or not, whether they had an ``event_type`` event in the period and its revenue.
    """
    plan = store.plan
    c = store.table("customers")
    c = c.filter(c.created_at.isnull() | (c.created_at < end))
    amount = revenue_property(plan, event_type)
    ev = store.table("events")
    ev = ev.filter(ev.type == event_type, ev.time >= start, ev.time < end)
    per = ev.group_by("customer_id").aggregate(
        _n=ev.count(), _revenue=(ev[amount].cast("float64") if amount else ibis.literal(0.0)).sum()
    )
    joined = c.select("customer_id").left_join(per, "customer_id").drop("customer_id_right")
    in_global = in_control_expr(plan.salt, "global", joined.customer_id, plan.global_control)
    return joined.select(
        action_id=ibis.literal("plan"),
        unit_id=joined.customer_id,
        customer_id=joined.customer_id,
        group=ibis.cases((in_global, "global"), else_="treated"),
        converted=joined._n.fill_null(0) > 0,
        revenue=joined._revenue.fill_null(0.0),
    )


def samples(rows: ir.Table) -> ir.Table:
    """Units summed per action and group: ``n``, ``conversions``, ``revenue``, ``revenue_sq``."""
    return rows.group_by("action_id", "group").aggregate(
        n=rows.count(),
        conversions=rows.count(where=rows.converted),
        revenue=rows.revenue.sum(),
        revenue_sq=(rows.revenue * rows.revenue).sum(),
    )
