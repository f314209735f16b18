"""The demo data's built-in true effects: a known uplift planted per scenario, so that the KPI
report can be checked against the truth.

For an event-triggered scenario of :data:`PLANTED`, every trigger event of the last
:data:`WINDOW_DAYS` days whose customer is *treated* (in neither the scenario's holdout nor the
global control, by the engine's own assignment, :func:`animato.engine.ids.in_control`) gets,
with the planted probability, one extra goal event within the goal's window after it. Planted
events are recognisable by their id (``uplift-<scenario>-…``), so the true effect of a scenario
on its treated entrants is known exactly: their conversion and revenue with every event, minus
the same without the scenario's planted ones (:func:`truth`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from animato.demo.population import CATEGORIES
from animato.engine.ids import in_control
from animato.measure import groups
from animato.measure.results import Results
from animato.plan.model import Plan
from animato.store.store import Store

# Share of treated trigger events that get an extra goal event: the demo's true effects.
PLANTED: dict[str, float] = {
    "abandon_panier": 0.25,
    "relance_clic_email": 0.15,
    "bienvenue_newsletter": 0.20,
    "relance_visite": 0.10,
    "cross_sell": 0.06,
}
WINDOW_DAYS = 75
PREFIX = "uplift-"
_US = 1_000_000


def plant(plan: Plan, events: pa.Table, rng: np.random.Generator, end_us: int) -> pa.Table:
    """``events`` (UTC microsecond times) with the planted goal events added."""
    times = pc.cast(events["time"], pa.int64()).to_numpy()
    kinds = events["type"].to_numpy(zero_copy_only=False)
    who = events["customer_id"].to_numpy(zero_copy_only=False)
    since = end_us - WINDOW_DAYS * 86400 * _US
    parts: list[dict[str, np.ndarray]] = []
    for scenario in plan.scenarios:
        share = PLANTED.get(scenario.id)
        goal = scenario.goal
        if share is None or goal is None or scenario.trigger.event is None:
            continue
        rows = np.flatnonzero((kinds == scenario.trigger.event) & (times >= since))
        treated = np.array(
            [
                not in_control(plan.salt, scenario.id, str(c), scenario.holdout)
                and not in_control(plan.salt, "global", str(c), plan.global_control)
                for c in who[rows]
            ],
            dtype=bool,
        )
        chosen = rows[treated & (rng.random(rows.size) < share)]
        window_us = goal.within.approx_days() * 86400 * _US
        at = times[chosen] + (rng.uniform(0.02, 0.9, chosen.size) * window_us).astype(np.int64)
        keep = at < end_us
        chosen, at = chosen[keep], at[keep]
        ids = np.array([f"{PREFIX}{scenario.id}-{i}" for i in events["event_id"].take(chosen)])
        parts.append(
            {
                "event_id": ids,
                "order_id": np.char.add("CMD-", ids.astype(str)),
                "customer_id": who[chosen],
                "type": np.full(chosen.size, goal.event),
                "time": at,
                "amount": np.round(40.0 + rng.gamma(3.0, 25.0, chosen.size), 2),
                "category": np.array(CATEGORIES)[rng.integers(0, len(CATEGORIES), chosen.size)],
                "channel": np.full(chosen.size, "web"),
            }
        )
    if not parts:
        return events
    extra = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    n = extra["time"].size
    columns = {}
    for field in events.schema:
        if field.name in extra:
            columns[field.name] = pa.array(extra[field.name]).cast(field.type)
        else:
            columns[field.name] = pa.nulls(n, field.type)
    return pa.concat_tables([events, pa.table(columns, schema=events.schema)])


@dataclass(frozen=True)
class Check:
    """One scenario's planted effect beside what the report measured."""

    action_id: str
    planted: float
    treated: int
    true_conversion: float
    measured_conversion: float | None
    low: float | None
    high: float | None
    true_revenue: float
    measured_revenue: float | None
    revenue_low: float | None
    revenue_high: float | None

    @property
    def recovered(self) -> bool:
        """Whether both true effects lie within the report's 95 % intervals."""
        return (
            self.low is not None
            and self.high is not None
            and self.low <= self.true_conversion <= self.high
            and self.revenue_low is not None
            and self.revenue_high is not None
            and self.revenue_low <= self.true_revenue <= self.revenue_high
        )


def truth(store: Store, results: Results) -> list[Check]:
    """Each planted scenario's true effect on its treated entrants of the report's period
    (conversion rate and revenue per entrant), beside the report's estimate against the holdout.
    """
    events = store.table("events")
    checks = []
    compared = {
        r["action_id"]: r for r in results.rows("incrementality") if r["control"] == "holdout"
    }
    for action_id, share in PLANTED.items():
        if action_id not in compared:
            continue
        without = events.filter(~events.event_id.startswith(f"{PREFIX}{action_id}-"))
        rows = {}
        for name, source in (("all", events), ("without", without)):
            units = groups.units(store, results.start, results.end, source)
            assert units is not None
            mine = units.filter((units.action_id == action_id) & (units.group == "treated"))
            rows[name] = (
                mine.aggregate(
                    n=mine.count(),
                    conv=mine.count(where=mine.converted),
                    rev=mine.revenue.sum(),
                )
                .to_pyarrow()
                .to_pylist()[0]
            )
        n = rows["all"]["n"] or 0
        if not n:
            continue
        r = compared[action_id]
        checks.append(
            Check(
                action_id,
                share,
                n,
                ((rows["all"]["conv"] or 0) - (rows["without"]["conv"] or 0)) / n,
                r["conversion_uplift"],
                r["conversion_uplift_low"],
                r["conversion_uplift_high"],
                ((rows["all"]["rev"] or 0.0) - (rows["without"]["rev"] or 0.0)) / n,
                r["revenue_uplift"],
                r["revenue_uplift_low"],
                r["revenue_uplift_high"],
            )
        )
    return checks
