"""A report's results over a period, as Arrow tables: the one function a page, a CLI or the
dashboard calls (:func:`compute`), computing in the store.

Tables: ``actions`` (one row per scenario and campaign: activity, engagement, business and the
headline incrementality), ``channels`` (messages per action and channel), ``incrementality``
(every treated-against-control comparison, the plan-wide one included), ``programs`` (the
roll-up), ``pareto``, ``kpis`` (the plan's declared KPIs, computed), ``variants`` (A/B
tests) and ``scores`` (customers per tenth of each declared score).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import ibis
import pyarrow as pa

from animato.engine import scores
from animato.errors import AnimatoError
from animato.measure import groups, incrementality, kpis, variants
from animato.measure.incrementality import Comparison, Sample
from animato.measure.pareto import pareto
from animato.plan.model import Plan
from animato.store.store import Store

CONTROLS = ("holdout", "global")


@dataclass
class Results:
    """Every table of a report and the period it covers."""

    start: datetime
    end: datetime
    currency: str
    tables: dict[str, pa.Table] = field(default_factory=dict)

    def rows(self, name: str) -> list[dict[str, Any]]:
        """A table as a list of dicts."""
        rows: list[dict[str, Any]] = self.tables[name].to_pylist()
        return rows


def _rows(expr: Any) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = expr.to_pyarrow().to_pylist()
    return rows


def main_event(plan: Plan) -> str | None:
    """The event most goals aim at (a purchase, typically): the plan-wide comparison's."""
    goals = Counter(a.goal.event for p in plan.programs for a in p.actions if a.goal is not None)
    return goals.most_common(1)[0][0] if goals else None


def comparisons(store: Store, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Every treated-against-control comparison of the period, as report rows."""
    plan = store.plan
    found: dict[tuple[str, str], Sample] = {}
    parts = []
    units = groups.units(store, start, end)
    if units is not None:
        parts.append(groups.samples(units))
    event = main_event(plan)
    if event is not None and plan.global_control > 0:
        parts.append(groups.samples(groups.customers(store, event, start, end)))
    for part in parts:
        for r in _rows(part):
            found[(r["action_id"], r["group"])] = Sample(
                int(r["n"]), int(r["conversions"] or 0), r["revenue"] or 0.0, r["revenue_sq"] or 0.0
            )
    out = []
    empty = Sample(0, 0, 0.0, 0.0)
    order = [a.id for a in plan.scenarios + plan.campaigns if a.goal is not None]
    for action in [*order, "plan"]:
        treated = found.get((action, "treated"), empty)
        if action == "plan":  # every customer against the global control, when there is one
            controls = ["global"] if (action, "treated") in found else []
        else:
            controls = [c for c in CONTROLS if (action, c) in found]
        for control in controls:
            c = found.get((action, control), empty)
            out.append(_comparison_row(action, control, incrementality.compare(treated, c)))
    return out


def _comparison_row(action: str, control: str, c: Comparison) -> dict[str, Any]:
    def part(name: str, i: incrementality.Interval | None) -> dict[str, float | None]:
        if i is None:
            return {name: None, f"{name}_low": None, f"{name}_high": None}
        return {name: i.estimate, f"{name}_low": i.low, f"{name}_high": i.high}

    return {
        "action_id": action,
        "control": control,
        "treated": c.treated.n,
        "control_size": c.control.n,
        "treated_rate": c.treated.rate,
        "control_rate": c.control.rate,
        **part("conversion_uplift", c.conversion),
        "treated_revenue_per_unit": c.treated.mean,
        "control_revenue_per_unit": c.control.mean,
        **part("revenue_uplift", c.revenue_per_unit),
        **part("incremental_revenue", c.incremental_revenue),
        "p_value": c.p_value,
        "verdict": c.verdict,
        "treated_conversions": c.treated.conversions,
    }


def _unmeasured(has_goal: bool, entrants: dict[str, Any]) -> str:
    """Why an action has no comparison: no goal, no entrants, or no control group."""
    if not has_goal:
        return "no goal"
    return incrementality.NO_CONTROL if entrants.get("entrants") else "no entrants"


def _headline(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per action, the comparison a summary shows: against its own holdout when it has one,
    else against the global control.
    """
    best: dict[str, dict[str, Any]] = {}
    for r in rows:
        if r["control_size"] == 0 and r["action_id"] in best:
            continue
        if r["action_id"] not in best or best[r["action_id"]]["control_size"] == 0:
            best[r["action_id"]] = r
    return best


def compute(store: Store, start: datetime, end: datetime) -> Results:
    """Every table of the report over ``[start, end)`` (naive UTC)."""
    plan = store.plan
    results = Results(start, end, plan.currency)
    channels = _rows(kpis.messages(store, start, end))
    attributed = {r["action_id"]: r for r in _rows(kpis.attributed(store, start, end))}
    entrants = {r["action_id"]: r for r in _rows(kpis.entrants(store, start, end))}
    compared = comparisons(store, start, end)
    headline = _headline(compared)
    per_action: dict[str, dict[str, Any]] = {}
    counted: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(kpis.COUNTS, 0))
    for r in channels:
        for k in kpis.COUNTS:
            counted[r["action_id"]][k] += int(r[k] or 0)
    for program in plan.programs:
        for action in program.actions:
            h = headline.get(action.id, {})
            a = attributed.get(action.id, {})
            e = entrants.get(action.id, {})
            row: dict[str, Any] = {
                "action_id": action.id,
                "name": action.name,
                "kind": "scenario" if action in program.scenarios else "campaign",
                "program_id": program.id,
                "entrants": int(e.get("entrants") or 0),
                "controls": int(e.get("controls") or 0),
                **counted[action.id],
                "treated": h.get("treated", 0),
                "goal_conversions": h.get("treated_conversions", 0),
                "conversions": int(a.get("conversions") or 0),
                "revenue": float(a.get("revenue") or 0.0),
                "incremental_conversion": h.get("conversion_uplift"),
                "incremental_revenue": h.get("incremental_revenue"),
                "incremental_revenue_low": h.get("incremental_revenue_low"),
                "incremental_revenue_high": h.get("incremental_revenue_high"),
                "compared_with": h.get("control"),
                "verdict": h.get("verdict", _unmeasured(action.goal is not None, e)),
            }
            row.update(kpis.rates(row))
            per_action[action.id] = row
    programs = [_program_row(plan, p.id, per_action) for p in plan.programs]
    gains = {
        k: r["incremental_revenue"]
        for k, r in per_action.items()
        if r["incremental_revenue"] is not None
    }
    owners = {**per_action, **{r["program_id"]: r for r in programs}}
    results.tables = {
        "actions": pa.Table.from_pylist(list(per_action.values())),
        "channels": pa.Table.from_pylist(channels, schema=_channels_schema()),
        "incrementality": pa.Table.from_pylist(compared),
        "programs": pa.Table.from_pylist(programs),
        "pareto": pa.Table.from_pylist(pareto(gains), schema=_pareto_schema()),
        "kpis": pa.Table.from_pylist(kpis.declared(plan, owners), schema=_kpis_schema()),
        "variants": pa.Table.from_pylist(
            variants.rows(store, start, end), schema=_variants_schema()
        ),
        "scores": pa.Table.from_pylist(score_bands(store, end), schema=_scores_schema()),
    }
    return results


def score_bands(store: Store, end: datetime) -> list[dict[str, Any]]:
    """Customers per tenth of each declared score at ``end`` (with the BG/NBD fit in force)."""
    fits = scores.latest_fits(store, end)
    out = []
    for name in store.plan.conventions.scores:
        values = scores.values(store, name, end)
        band = (values.score * 10).floor().clip(upper=9).cast("int64")
        counted = (
            values.filter(values.score.notnull())
            .group_by(band=band)
            .aggregate(customers=ibis._.count())
        )
        found = {r["band"]: r["customers"] for r in _rows(counted)}
        fit = fits.get(name)
        for b in range(10):
            out.append(
                {
                    "score": name,
                    "low": b / 10,
                    "high": (b + 1) / 10,
                    "customers": int(found.get(b, 0)),
                    "fit": None
                    if fit is None
                    else f"BG/NBD r={fit.r:.3f} alpha={fit.alpha:.3f} a={fit.a:.3f} "
                    f"b={fit.b:.3f} on {fit.customers:,} customers, {fit.as_of:%Y-%m-%d}",
                }
            )
    return out


def _program_row(
    plan: Plan, program_id: str, per_action: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """A program's figures: its actions' counts added up, rates recomputed from the sums, and
    the incremental revenue summed (interval: half-widths added in quadrature, the actions'
    groups being independent samples).
    """
    mine = [r for r in per_action.values() if r["program_id"] == program_id]
    sums = ("entrants", "controls", *kpis.COUNTS, "treated", "goal_conversions", "conversions")
    row: dict[str, Any] = {"program_id": program_id, "name": _program_name(plan, program_id)}
    for k in sums:
        row[k] = sum(int(r[k]) for r in mine)
    row["revenue"] = sum(r["revenue"] for r in mine)
    measured = [r for r in mine if r["incremental_revenue"] is not None]
    if measured:
        total = sum(r["incremental_revenue"] for r in measured)
        half = math.sqrt(
            sum(
                ((r["incremental_revenue_high"] - r["incremental_revenue_low"]) / 2) ** 2
                for r in measured
            )
        )
        conv = sum(r["incremental_conversion"] * r["treated"] for r in measured)
        row.update(
            incremental_revenue=total,
            incremental_revenue_low=total - half,
            incremental_revenue_high=total + half,
            incremental_conversion=conv / max(1, sum(r["treated"] for r in measured)),
        )
    else:
        row.update(
            incremental_revenue=None,
            incremental_revenue_low=None,
            incremental_revenue_high=None,
            incremental_conversion=None,
        )
    row.update(kpis.rates(row))
    return row


def _program_name(plan: Plan, program_id: str) -> str:
    return next(p.name for p in plan.programs if p.id == program_id)


def _channels_schema() -> pa.Schema:
    return pa.schema(
        [("action_id", pa.string()), ("channel", pa.string())]
        + [(k, pa.int64()) for k in kpis.COUNTS]
    )


def _pareto_schema() -> pa.Schema:
    return pa.schema(
        [
            ("action_id", pa.string()),
            ("incremental_revenue", pa.float64()),
            ("share", pa.float64()),
            ("cumulative_share", pa.float64()),
            ("core", pa.bool_()),
        ]
    )


def _kpis_schema() -> pa.Schema:
    return pa.schema(
        [
            ("level", pa.string()),
            ("owner_id", pa.string()),
            ("program_id", pa.string()),
            ("kpi", pa.string()),
            ("metric", pa.string()),
            ("value", pa.float64()),
            ("target", pa.float64()),
            ("met", pa.bool_()),
        ]
    )


def period(store: Store, start: datetime | None, end: datetime | None) -> tuple[datetime, datetime]:
    """The period a report covers: as given, else up to the last tick and 30 days before it."""
    if end is None:
        ticks = store.table("ticks")
        last = ticks.aggregate(last=ticks.now.max()).to_pyarrow()["last"][0].as_py()
        end = last or datetime(1970, 1, 2)
    if start is None:
        start = end - timedelta(days=30)
    if start >= end:
        raise AnimatoError(f"the report's period is empty: --from {start} is not before --to {end}")
    return start, end


def _variants_schema() -> pa.Schema:
    return pa.schema(
        [
            ("scenario_id", pa.string()),
            ("step_id", pa.string()),
            ("variant", pa.string()),
            ("share", pa.float64()),
            ("messages", pa.int64()),
            ("conversions", pa.int64()),
            ("conversion_rate", pa.float64()),
            ("uplift_vs_first", pa.float64()),
            ("uplift_low", pa.float64()),
            ("uplift_high", pa.float64()),
            ("p_value", pa.float64()),
            ("winner", pa.string()),
        ]
    )


def _scores_schema() -> pa.Schema:
    return pa.schema(
        [
            ("score", pa.string()),
            ("low", pa.float64()),
            ("high", pa.float64()),
            ("customers", pa.int64()),
            ("fit", pa.string()),
        ]
    )
