"""Pass 1: triggers → candidate enrolments, one table per tick (DESIGN.md §4, Triggers).

Each scenario's trigger gives rows ``(customer_id, scenario_id, occurrence, trigger_time,
event_id, anniversary, event__<prop>…)``; the occurrence is the natural key of what fired (the
event id, the local day of a date trigger, the last event of an inactivity episode), so the same
occurrence never enrols twice.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from animato.engine.clock import Interval, anniversary_source_days, seconds
from animato.engine.compile import Compiler
from animato.engine.state import State, cadence, last_time
from animato.plan.model import Plan, Scenario, Trigger
from animato.store.schema import event_properties


def _empty_props(plan: Plan) -> dict[str, Any]:
    return {f"event__{p}": ibis.null(t) for p, t in event_properties(plan).items()}


def _shape(plan: Plan, table: ir.Table, scenario: Scenario, **cols: Any) -> ir.Table:
    """Give a trigger's rows the common candidate shape."""
    base = {
        "customer_id": table.customer_id,
        "scenario_id": ibis.literal(scenario.id),
        "occurrence": cols.pop("occurrence"),
        "trigger_time": cols.pop("trigger_time").cast(dt.Timestamp()),
        "event_id": cols.pop("event_id", ibis.null("string")),
        "anniversary": cols.pop("anniversary", ibis.null("int64")).cast("int64"),
    }
    props = _empty_props(plan)
    props.update(cols)
    return table.select(**base, **props)


def during(events: ir.Table, interval: Interval) -> ir.Table:
    """The events whose time is in the tick interval: what every event trigger reads, to be
    computed once (the events are not in time order: each trigger would scan them all).
    """
    return events.filter((events.time > interval.start) & (events.time <= interval.end))


def event_trigger(
    plan: Plan,
    scenario: Scenario,
    during: ir.Table,
    customers: ir.Table,
    state: State,
    compiler: Compiler,
) -> ir.Table:
    """Events of the trigger's type among ``during``'s (and matching ``where``)."""
    trigger = scenario.trigger
    fired = during.filter(during.type == trigger.event)
    props = {f"event__{p}": fired[p] for p in event_properties(plan)}
    fired = fired.mutate(**props)
    if trigger.where is not None and compiler.reads_only_event(trigger.where):
        fired = fired.filter(compiler.condition(trigger.where, fired))
    elif trigger.where is not None:
        needed = compiler.aggregates(trigger.where)
        context = fired.left_join(customers, "customer_id")
        if "customer_id_right" in context.columns:
            context = context.drop("customer_id_right")
        aggs = state.aggregates(needed)
        if aggs is not None:
            context = context.left_join(aggs, "customer_id").drop("customer_id_right")
        fired = context.filter(compiler.condition(trigger.where, context))
    return _shape(
        plan,
        fired,
        scenario,
        occurrence=fired.event_id,
        trigger_time=fired.time,
        event_id=fired.event_id,
        **{k: fired[k] for k in props},
    )


def date_trigger(
    plan: Plan, scenario: Scenario, customers: ir.Table, interval: Interval
) -> ir.Table | None:
    """Customers whose date (or its anniversary), shifted by ``offset``, is a day of this tick."""
    trigger: Trigger = scenario.trigger
    assert trigger.date is not None
    field = customers[trigger.date]
    day_of = field.cast("date") if field.type().is_timestamp() else field
    parts = []
    for day in interval.days(trigger.late_within):
        source = (datetime.combine(day, time()) - trigger.offset.delta()).date()
        if trigger.years is None:
            match = day_of == source
            years: ir.IntegerValue = ibis.null("int64")
        else:
            matches = [
                (day_of.month() == month) & (day_of.day() == dom)
                for month, dom in anniversary_source_days(source)
            ]
            match = matches[0] if len(matches) == 1 else matches[0] | matches[1]
            years = ibis.literal(source.year) - day_of.year()
            allowed = years >= 1 if trigger.years == "every" else years.isin(trigger.years)
            match = match & allowed
        fired = customers.filter(match.fill_null(False))
        parts.append(
            _shape(
                plan,
                fired,
                scenario,
                occurrence=ibis.literal(day.isoformat()),
                trigger_time=ibis.literal(interval.to_utc(day, time())),
                anniversary=(ibis.literal(source.year) - day_of.year()) if trigger.years else years,
            )
        )
    if not parts:
        return None
    return ibis.union(*parts) if len(parts) > 1 else parts[0]


def inactive_trigger(
    plan: Plan,
    scenario: Scenario,
    events: ir.Table,
    customers: ir.Table,
    state: State,
    interval: Interval,
) -> ir.Table:
    """Customers whose time since their last event crosses the threshold inside the interval.

    The last event time, count and median gap come from the customer state; an account's cadence
    is that of its contacts' events together, so it is computed from the events.
    """
    spec = scenario.trigger.inactive
    assert spec is not None
    key = "customer_id"
    accounts = customers.select(
        "customer_id", group=customers.account_id.fill_null(customers.customer_id)
    )
    if spec.scope == "account" and spec.for_ == "cadence":
        past = events.filter((events.type == spec.event) & (events.time <= interval.end))
        past = past.join(accounts, "customer_id").mutate(customer_id=ibis._.group)
        ordered = past.mutate(
            gap=seconds(past.time) - seconds(past.time).lag().over(group_by=key, order_by=past.time)
        )
        stats = ordered.group_by(key).aggregate(
            last=ordered.time.max(), n=ordered.count(), median_gap=ordered.gap.median()
        )
    else:
        wanted = [last_time(spec.event)]
        if spec.for_ == "cadence":
            wanted += cadence(spec.event)
        held = state.table
        stats = held.select(
            "customer_id",
            last=held[wanted[0].column],
            **(
                {"n": held[wanted[1].column], "median_gap": held[wanted[2].column]}
                if spec.for_ == "cadence"
                else {}
            ),
        ).filter(ibis._["last"].notnull())
        if spec.scope == "account":
            # An account's last event is one of its contacts': it can cross the threshold in
            # this tick only if one contact's own last event does, so only those accounts count.
            members = accounts
            if spec.for_ != "cadence":
                due = stats["last"] + _interval(spec.for_)
                near = stats.filter((due > interval.start) & (due <= interval.end))
                near = near.join(accounts, "customer_id").select("group")
                members = accounts.semi_join(near, "group")
            contacts = stats.join(members, "customer_id")
            stats = contacts.group_by("group").aggregate(last=contacts["last"].max())
            stats = stats.rename(customer_id="group")
    if spec.for_ == "cadence":
        default = spec.default.approx_days() * 86400
        threshold = ibis.cases(
            (stats.n >= spec.min_events, stats.median_gap * spec.factor), else_=default
        )
        after = threshold.floor().cast("int64").as_interval("s")  # whole seconds, anywhere
        stats = stats.mutate(due=(stats["last"] + after).cast(dt.Timestamp()))
    else:
        stats = stats.mutate(due=stats["last"] + _interval(spec.for_))
    crossing = stats.filter((stats.due > interval.start) & (stats.due <= interval.end))
    if spec.scope == "account":
        crossing = crossing.rename(group="customer_id").join(accounts, "group")
    return _shape(
        plan,
        crossing,
        scenario,
        occurrence=crossing["last"].cast("string"),
        trigger_time=crossing.due,
    )


def _interval(duration: Any) -> ir.IntervalValue:
    unit = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks", "mo": "months", "y": "years"}[
        duration.unit
    ]
    return ibis.interval(**{unit: duration.amount})


def segment_trigger(
    plan: Plan, scenario: Scenario, changes: dict[str, ir.Table], interval: Interval
) -> ir.Table | None:
    """Customers who entered (or left) the watched segment in this tick."""
    trigger = scenario.trigger
    assert trigger.segment is not None
    changed = changes.get(trigger.segment)
    if changed is None:
        return None
    fired = changed.filter(changed.member == (trigger.on == "enter"))
    return _shape(
        plan,
        fired,
        scenario,
        occurrence=ibis.literal(f"{trigger.on}:") + fired.tick_id,
        trigger_time=fired.time,
    )


def candidates(
    plan: Plan,
    events: ir.Table,
    timely: ir.Table,
    customers: ir.Table,
    state: State,
    interval: Interval,
    compiler: Compiler,
    changes: dict[str, ir.Table] | None = None,
) -> ir.Table | None:
    """Every scenario's candidate enrolments for the tick, in plan order; ``timely`` holds the
    events of the interval (:func:`during`).
    """
    parts = []
    for scenario in plan.scenarios:
        kind = scenario.trigger.kind
        part: ir.Table | None
        if kind == "event":
            part = event_trigger(plan, scenario, timely, customers, state, compiler)
        elif kind == "date":
            part = date_trigger(plan, scenario, customers, interval)
        elif kind == "inactive":
            part = inactive_trigger(plan, scenario, events, customers, state, interval)
        else:
            part = segment_trigger(plan, scenario, changes or {}, interval)
        if part is not None:
            parts.append(part)
    if not parts:
        return None
    return ibis.union(*parts) if len(parts) > 1 else parts[0]
