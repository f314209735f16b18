"""Compile condition ASTs (``animato.plan.conditions``) to Ibis boolean expressions.

A condition is evaluated over a *context* table: one row per candidate (a customer, or a customer
in a journey) holding the customer's fields, the event aggregates the condition needs (computed by
:mod:`animato.engine.aggregates`, one column each, named by :func:`Aggregate.column`), and where it
applies the trigger event's properties (``event__<prop>``), the anniversary number
(``anniversary``) and engagement with earlier steps (``opened__<step>``…). Null means unknown and
a condition that is unknown is false.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import ibis
import ibis.expr.types as ir

from animato.engine.bgnbd import Fit, p_alive_expr
from animato.plan import conditions as c
from animato.plan.durations import Duration
from animato.plan.model import Plan

ENGAGEMENT = ("opened", "clicked", "converted")


@dataclass(frozen=True)
class Aggregate:
    """A per-customer aggregate of events: ``count``, ``sum``… of a type over a window."""

    func: str
    event: str
    prop: str | None = None
    window: Duration | None = None

    @property
    def column(self) -> str:
        """The context column that holds this aggregate."""
        window = f"_{self.window.amount}{self.window.unit}".replace("-", "m") if self.window else ""
        prop = f"_{self.prop}" if self.prop else ""
        return f"agg_{self.func}_{self.event}{prop}{window}"


class Compiler:
    """Turns condition text into Ibis expressions over a context table, for one plan and clock."""

    def __init__(self, plan: Plan, now: datetime) -> None:
        self.plan = plan
        self.now = now
        self.today = ibis.literal(now.date())
        conv = plan.conventions
        self.named: dict[str, c.Node] = {k: c.parse(v) for k, v in conv.definitions.items()}
        self.segments: dict[str, c.Node] = {k: c.parse(v) for k, v in conv.segments.items()}
        self.stages = [(s.stage, c.parse(s.when)) for s in conv.lifecycle]
        self.criteria = {
            name: [(c.parse(k.when), k.weight) for k in spec.criteria]
            for name, spec in conv.scores.items()
        }
        # BG/NBD fits per score (set by the tick from the store); without one a score is the
        # weighted share of its criteria alone.
        self.fits: dict[str, Fit] = {}

    # -- what a condition needs ---------------------------------------------------------

    def aggregates(self, text: str | None) -> set[Aggregate]:
        """Every event aggregate a condition needs, following definitions and segments."""
        if text is None:
            return set()
        return self._aggregates(c.parse(text), set())

    def reads_event(self, text: str | None) -> bool:
        """Whether a condition reads the trigger event's properties (``event.amount``)."""
        return text is not None and "event" in _reads(text)[0]

    def reads_only_event(self, text: str) -> bool:
        """Whether a condition reads nothing but the event's properties (no customer, no call)."""
        names, calls = _reads(text)
        return not calls and names <= {"event"}

    def _aggregates(self, node: c.Node, seen: set[str]) -> set[Aggregate]:
        found: set[Aggregate] = set()
        for sub in c.walk(node):
            if isinstance(sub, c.Call) and sub.func in (
                "count",
                "sum",
                "avg",
                "min",
                "max",
                "days_since",
                "last",
            ):
                agg = self._aggregate_of(sub)
                if agg is not None:
                    found.add(agg)
            elif isinstance(sub, c.Call) and sub.func == "segment" and sub.args:
                name = str(getattr(sub.args[0], "value", ""))
                if name not in seen and name in self.segments:
                    found |= self._aggregates(self.segments[name], seen | {name})
                elif name not in seen:  # a lifecycle stage: the stages before it matter too
                    found |= self._aggregates(c.Name(sub.pos, ("lifecycle",)), seen | {name})
            elif isinstance(sub, c.Call) and sub.func == "score" and sub.args:
                name = str(getattr(sub.args[0], "value", ""))
                for tree, _ in self.criteria.get(name, []):
                    found |= self._aggregates(tree, seen | {name})
                alive = self.plan.conventions.scores[name].alive if name in self.criteria else None
                if alive is not None:
                    found |= set(alive_aggregates(alive.event))
            elif isinstance(sub, c.Name) and len(sub.parts) == 1:
                name = sub.parts[0]
                if name in self.named and name not in seen:
                    found |= self._aggregates(self.named[name], seen | {name})
                if name == "lifecycle":
                    for stage, tree in self.stages:
                        if stage not in seen:
                            found |= self._aggregates(tree, seen | {stage})
        return found

    def _aggregate_of(self, call: c.Call) -> Aggregate | None:
        first = call.args[0] if call.args else None
        if not isinstance(first, c.Name):
            return None
        window = next((a.value for a in call.args[1:] if isinstance(a, c.DurationLit)), None)
        event = first.parts[0]
        if event not in self.plan.data.events:
            return None  # days_since(<date field>) is not an event aggregate
        prop = first.parts[1] if len(first.parts) > 1 else None
        return Aggregate(call.func, event, prop, window)

    # -- compiling ----------------------------------------------------------------------

    def condition(self, text: str | None, table: ir.Table) -> ir.BooleanValue:
        """A condition as a non-null boolean column of ``table`` (no condition: true)."""
        if text is None:
            return ibis.literal(True)
        return self._bool(c.parse(text), table)

    def value(self, text: str, table: ir.Table) -> Any:
        """An expression's value (a number, a score…) as a column of ``table``."""
        return self._value(c.parse(text), table, frozenset())

    def _bool(self, node: c.Node, table: ir.Table) -> ir.BooleanValue:
        value = self._value(node, table, frozenset())
        return value.fill_null(False)

    def _value(self, node: c.Node, t: ir.Table, seen: frozenset[str]) -> Any:
        if isinstance(node, c.Literal):
            return ibis.literal(node.value) if node.value is not None else ibis.null()
        if isinstance(node, c.DurationLit):
            raise ValueError("a duration only appears as an aggregate window")
        if isinstance(node, c.Name):
            return self._name(node, t, seen)
        if isinstance(node, c.Call):
            return self._call(node, t, seen)
        if isinstance(node, c.Compare):
            left = self._value(node.left, t, seen)
            right = self._value(node.right, t, seen)
            left, right = _align(left, right)
            return {
                "==": lambda: left == right,
                "!=": lambda: left != right,
                "<": lambda: left < right,
                "<=": lambda: left <= right,
                ">": lambda: left > right,
                ">=": lambda: left >= right,
            }[node.op]()
        if isinstance(node, c.In):
            item = self._value(node.item, t, seen)
            options = [self._value(o, t, seen) for o in node.options.items]
            test = item.isin(options) if options else ibis.literal(False)
            return ~test if node.negated else test
        if isinstance(node, c.BoolOp):
            parts = [self._value(o, t, seen).fill_null(False) for o in node.operands]
            out = parts[0]
            for part in parts[1:]:
                out = (out & part) if node.op == "and" else (out | part)
            return out
        if isinstance(node, c.Not):
            return ~self._value(node.operand, t, seen).fill_null(False)
        if isinstance(node, c.Arith):
            left = self._value(node.left, t, seen)
            right = self._value(node.right, t, seen)
            ops = {"+": left + right, "-": left - right, "*": left * right}
            return ops[node.op] if node.op in ops else left / right.nullif(0)
        if isinstance(node, c.Neg):
            return -self._value(node.operand, t, seen)
        raise AssertionError(f"unknown node {node!r}")

    def _name(self, node: c.Name, t: ir.Table, seen: frozenset[str]) -> Any:
        head, parts = node.parts[0], node.parts
        if head == "customer":
            return t[parts[1]]
        if head == "event":
            return t[f"event__{parts[1]}"]
        if head == "anniversary":
            return t["anniversary"]
        if head in ENGAGEMENT:
            return t[f"{head}__previous"]
        if head in self.named:
            if head in seen:
                raise ValueError(f"definition '{head}' refers to itself")
            return self._value(self.named[head], t, seen | {head})
        if head == "lifecycle":
            cases = [(self._bool(tree, t), stage) for stage, tree in self.stages]
            return ibis.cases(*cases, else_=ibis.null("string")) if cases else ibis.null("string")
        return t[head]

    def _score(self, name: str, t: ir.Table, seen: frozenset[str]) -> Any:
        """A score: weighted criteria that hold, plus ``weight × (1 - P(alive))`` for customers
        with a history of the event when a BG/NBD fit exists, over the weights that apply.
        """
        total: Any = ibis.literal(0.0)
        weights: Any = ibis.literal(0.0)
        for tree, weight in self.criteria[name]:
            held = self._value(tree, t, seen | {name}).fill_null(False)
            total = total + held.cast("float64") * weight
            weights = weights + weight
        alive = self.plan.conventions.scores[name].alive
        model = self.fits.get(name)
        if alive is not None and model is not None:
            days, first, last = (t[a.column] for a in alive_aggregates(alive.event))
            p = p_alive_expr(model, days, first, last, self.now)
            total = total + ibis.cases((p.notnull(), (1.0 - p) * alive.weight), else_=0.0)
            weights = weights + ibis.cases((p.notnull(), alive.weight), else_=0.0)
        return ibis.cases((weights > 0, total / weights), else_=ibis.null("float64"))

    def _call(self, node: c.Call, t: ir.Table, seen: frozenset[str]) -> Any:
        func = node.func
        if func == "segment":
            name = str(getattr(node.args[0], "value", ""))
            if name in seen:
                raise ValueError(f"segment '{name}' refers to itself")
            stage_names = [s for s, _ in self.stages]
            if name in stage_names and name not in self.plan.conventions.segments:
                return self._name(c.Name(node.pos, ("lifecycle",)), t, seen) == name
            return self._value(self.segments[name], t, seen | {name})
        if func == "score":
            return self._score(str(getattr(node.args[0], "value", "")), t, seen)
        if func in ENGAGEMENT:
            return t[f"{func}__{getattr(node.args[0], 'value', '')}"]
        if func in ("days_until", "age") or (
            func == "days_since" and self._aggregate_of(node) is None
        ):
            field = t[node.args[0].parts[0]] if isinstance(node.args[0], c.Name) else None
            assert field is not None
            day = field.cast("date") if field.type().is_timestamp() else field
            if func == "days_since":
                return self.today.delta(day, unit="day")
            if func == "days_until":
                return day.delta(self.today, unit="day")
            years = self.today.year() - day.year()
            before = (self.today.month() < day.month()) | (
                (self.today.month() == day.month()) & (self.today.day() < day.day())
            )
            return years - before.ifelse(1, 0)
        agg = self._aggregate_of(node)
        assert agg is not None
        column = t[agg.column]
        if func == "count" or (func == "sum"):
            return column.fill_null(0)
        return column


def alive_aggregates(event: str) -> tuple[Aggregate, Aggregate, Aggregate]:
    """What P(alive) reads: distinct days with the event, its first and its last time."""
    return Aggregate("days", event), Aggregate("first_time", event), Aggregate("last_time", event)


def _reads(text: str) -> tuple[set[str], bool]:
    """The first parts of the names a condition reads, and whether it calls a function."""
    nodes = list(c.walk(c.parse(text)))
    names = {n.parts[0] for n in nodes if isinstance(n, c.Name)}
    return names, any(isinstance(n, c.Call) for n in nodes)


def _align(left: Any, right: Any) -> tuple[Any, Any]:
    """Let a date column compare with an ISO date string literal."""
    for a, b, flip in ((left, right, False), (right, left, True)):
        if a.type().is_temporal() and b.type().is_string():
            b = b.cast(a.type())
            return (b, a) if flip else (a, b)
    return left, right
