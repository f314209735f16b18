"""The figures of each scenario and campaign over a period, rolled up per program: activity
(entrants, messages per channel, delivered, bounced), engagement (open, click, unsubscribe and
complaint rates), business (conversion rate to the goal, attributed revenue, average basket),
and the KPIs the plan declares, computed.

Counts are computed in the store (Ibis); rates are divided here, from the counts, so that a
program's rate is its actions' counts added up, never an average of rates.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import ibis
import ibis.expr.types as ir

from animato.measure.groups import revenue_property
from animato.plan.model import Kpi, Plan
from animato.store.store import Store

FEEDBACK = ("delivered", "bounced", "opened", "clicked", "unsubscribed", "complained")
COUNTS = ("scheduled", "sent", *FEEDBACK)


def messages(store: Store, start: datetime, end: datetime) -> ir.Table:
    """Messages per action and channel whose send time falls in the period: ``scheduled``
    (rendered into the outbox), ``sent`` (handed to the provider), then how many were
    delivered, bounced, opened, clicked, unsubscribed or complained about (each message once).
    """
    o = store.table("outbox")
    o = o.filter(o.error.isnull(), o.send_at >= start, o.send_at < end)
    base = o.select("message_id", "action_id", "channel")
    d = store.table("deliveries")
    sent = d.filter(d.status == "sent").select("message_id", _sent=ibis.literal(1))
    g = store.table("engagement")
    flags = (
        g.filter(g.kind.isin(FEEDBACK))
        .group_by("message_id")
        .aggregate(**{f"_{k}": ibis.cases(((g.kind == k).any(), 1), else_=0) for k in FEEDBACK})
    )
    joined = base.left_join(sent, "message_id").drop("message_id_right")
    joined = joined.left_join(flags, "message_id").drop("message_id_right")
    return joined.group_by("action_id", "channel").aggregate(
        scheduled=joined.count(),
        sent=joined._sent.fill_null(0).sum(),
        **{k: joined[f"_{k}"].fill_null(0).sum() for k in FEEDBACK},
    )


def attributed(store: Store, start: datetime, end: datetime) -> ir.Table:
    """Conversions credited to the messages sent in the period (``converted`` engagement rows)
    and the revenue of those events, per action.
    """
    plan = store.plan
    o = store.table("outbox")
    o = o.filter(o.error.isnull(), o.send_at >= start, o.send_at < end).select("message_id")
    g = store.table("engagement")
    g = g.filter(g.kind == "converted").semi_join(o, "message_id")
    events = store.table("events")
    typed = [t for t in plan.data.events if revenue_property(plan, t)]
    amount = events["amount"].cast("float64") if typed else ibis.literal(0.0)
    ev = events.select(_event=events.event_id, _amount=amount)
    joined = g.left_join(ev, g.detail == ev._event)
    return joined.group_by("action_id").aggregate(
        conversions=joined.count(), revenue=joined._amount.fill_null(0.0).sum()
    )


def entrants(store: Store, start: datetime, end: datetime) -> ir.Table:
    """Entrants per action: scenario enrolments in the period (control groups included) and the
    customers a campaign targeted in it.
    """
    e = store.table("enrolments")
    e = e.filter(e.entered_at >= start, e.entered_at < end)
    per_scenario = e.group_by(action_id=e.scenario_id).aggregate(
        entrants=e.count(), controls=e.count(where=e.control.notnull())
    )
    campaigns = [c.id for c in store.plan.campaigns]
    m = store.table("messages")
    m = m.filter(m.action_id.isin(campaigns or [""]), m.due_at >= start, m.due_at < end)
    per_campaign = m.group_by("action_id").aggregate(
        entrants=m.customer_id.nunique(),
        controls=m.count(where=m.decision == "withheld:control"),
    )
    return ibis.union(per_scenario, per_campaign)


def rates(row: dict[str, Any]) -> dict[str, Any]:
    """The rates of a row of counts (None where the denominator is 0)."""

    def share(num: str, den: str) -> float | None:
        return row[num] / row[den] if row.get(den) else None

    basket = row["revenue"] / row["conversions"] if row.get("conversions") else None
    return {
        "delivery_rate": share("delivered", "sent"),
        "bounce_rate": share("bounced", "sent"),
        "open_rate": share("opened", "delivered"),
        "click_rate": share("clicked", "delivered"),
        "unsubscribe_rate": share("unsubscribed", "delivered"),
        "complaint_rate": share("complained", "delivered"),
        "conversion_rate": share("goal_conversions", "treated"),
        "average_basket": basket,
    }


def kpi_value(kpi: Kpi, row: dict[str, Any]) -> float | None:
    """The value of a declared KPI from a row of the report (an action's or a program's)."""
    key = {
        "messages_sent": "sent",
        "incremental_conversion": "incremental_conversion",
        "incremental_revenue": "incremental_revenue",
    }.get(kpi.metric, kpi.metric)
    value = row.get(key)
    return None if value is None else float(value)


def declared(plan: Plan, rows: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Every KPI the plan declares (on programs, scenarios and campaigns), computed."""
    out = []
    for program in plan.programs:
        owners: list[tuple[str, str, list[Kpi]]] = [("program", program.id, program.kpis)]
        owners += [("action", a.id, a.kpis) for a in program.actions]
        for level, owner, kpis in owners:
            for kpi in kpis:
                value = kpi_value(kpi, rows.get(owner, {}))
                met = None if value is None or kpi.target is None else value >= kpi.target
                out.append(
                    {
                        "level": level,
                        "owner_id": owner,
                        "program_id": program.id,
                        "kpi": kpi.name,
                        "metric": kpi.metric,
                        "value": value,
                        "target": kpi.target,
                        "met": met,
                    }
                )
    return out
