"""Type-check condition ASTs against the plan's data contract and conventions.

A :class:`Scope` says which names a condition may use where it stands: customer fields and
definitions everywhere; the trigger event's properties (``event.amount``) and the anniversary
number (``anniversary.years``) in a scenario's ``when`` and steps; engagement (``opened``,
``clicked``, ``converted``) only in a step's ``if``.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field

from animato.plan.conditions import (
    Arith,
    BoolOp,
    Call,
    Compare,
    DurationLit,
    In,
    ListLit,
    Literal,
    Name,
    Neg,
    Node,
    Not,
    Pos,
)
from animato.plan.model import FieldSpec, Plan

# Condition types: bool, number, string, date, timestamp, duration, null, any.
_FIELD_TYPES = {
    "string": "string",
    "category": "string",
    "email": "string",
    "phone": "string",
    "integer": "number",
    "number": "number",
    "boolean": "bool",
    "date": "date",
    "timestamp": "timestamp",
}
BUILTIN_CUSTOMER = {
    "customer_id": "string",
    "email": "string",
    "phone": "string",
    "account_id": "string",
    "role": "string",
    "timezone": "string",
    "created_at": "timestamp",
}
ENGAGEMENT = ("opened", "clicked", "converted")
AGGREGATES = ("sum", "avg", "min", "max")
FUNCTIONS = (
    "count",
    *AGGREGATES,
    "days_since",
    "days_until",
    "age",
    "last",
    "segment",
    "score",
    *ENGAGEMENT,
)


@dataclass(frozen=True)
class TypeProblem:
    """A type error in a condition, at a position inside the condition text."""

    pos: Pos
    message: str
    hint: str = ""


@dataclass
class Scope:
    """The names a condition may use, built from the plan and where the condition stands."""

    customer: dict[str, str]
    events: dict[str, dict[str, str]]
    definitions: set[str]
    segments: set[str]
    event_props: dict[str, str] | None = None
    anniversary: bool = False
    steps: list[str] | None = None
    problems: list[TypeProblem] = field(default_factory=list)
    scores: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, plan: Plan) -> Scope:
        """The customer-level scope of a plan (segments, definitions, exclusions, campaigns)."""
        customer = dict(BUILTIN_CUSTOMER)
        customer.update({k: _FIELD_TYPES[v.type] for k, v in plan.data.customer.items()})
        events = {name: _props(spec.properties) for name, spec in plan.data.events.items()}
        conv = plan.conventions
        segments = set(conv.segments) | {s.stage for s in conv.lifecycle}
        return cls(customer, events, set(conv.definitions), segments, scores=set(conv.scores))

    def within(
        self,
        *,
        event: str | None = None,
        anniversary: bool = False,
        steps: list[str] | None = None,
    ) -> Scope:
        """A narrower scope for a scenario's ``when`` (trigger event) or a step's ``if``."""
        return Scope(
            self.customer,
            self.events,
            self.definitions,
            self.segments,
            self.events.get(event) if event else None,
            anniversary,
            steps,
            scores=self.scores,
        )


def _props(properties: dict[str, FieldSpec]) -> dict[str, str]:
    return {k: _FIELD_TYPES[v.type] for k, v in properties.items()}


def closest(name: str, candidates: Iterable[str]) -> str:
    """A 'did you mean' hint naming the closest known name, or ''."""
    matches = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f"did you mean '{matches[0]}'?" if matches else ""


def check(node: Node, scope: Scope, *, expect: str = "bool") -> list[TypeProblem]:
    """All type problems of a condition; an empty list means it is well typed."""
    scope.problems = []
    kind = _type(node, scope)
    if kind not in (expect, "any", "null") and not scope.problems:
        scope.problems.append(
            TypeProblem(node.pos, f"condition gives a {kind}, expected a {expect} (true or false)")
        )
    return scope.problems


def _err(scope: Scope, node: Node, message: str, hint: str = "") -> str:
    scope.problems.append(TypeProblem(node.pos, message, hint))
    return "any"


def _type(node: Node, scope: Scope) -> str:
    if isinstance(node, Literal):
        value = node.value
        if value is None:
            return "null"
        if isinstance(value, bool):
            return "bool"
        return "number" if isinstance(value, int | float) else "string"
    if isinstance(node, DurationLit):
        return "duration"
    if isinstance(node, Name):
        return _name(node, scope)
    if isinstance(node, Call):
        return _call(node, scope)
    if isinstance(node, ListLit):
        for item in node.items:
            _type(item, scope)
        return "list"
    if isinstance(node, Compare):
        left, right = _type(node.left, scope), _type(node.right, scope)
        if not _comparable(left, right, node.left, node.right):
            return _err(scope, node, f"cannot compare a {left} with a {right}")
        if node.op not in ("==", "!=") and "bool" in (left, right):
            return _err(scope, node, f"'{node.op}' does not apply to true/false values")
        return "bool"
    if isinstance(node, In):
        item_type = _type(node.item, scope)
        for option in node.options.items:
            kind = _type(option, scope)
            if not _comparable(item_type, kind, node.item, option):
                _err(scope, option, f"list item is a {kind}, expected a {item_type}")
        return "bool"
    if isinstance(node, BoolOp):
        for operand in node.operands:
            kind = _type(operand, scope)
            if kind not in ("bool", "any"):
                _err(scope, operand, f"'{node.op}' needs true/false on both sides, got a {kind}")
        return "bool"
    if isinstance(node, Not):
        kind = _type(node.operand, scope)
        if kind not in ("bool", "any"):
            _err(scope, node, f"'not' needs a true/false value, got a {kind}")
        return "bool"
    if isinstance(node, Arith | Neg):
        operands = (node.left, node.right) if isinstance(node, Arith) else (node.operand,)
        for operand in operands:
            kind = _type(operand, scope)
            if kind not in ("number", "any"):
                _err(scope, operand, f"arithmetic needs numbers, got a {kind}")
        return "number"
    raise AssertionError(f"unknown node {node!r}")


def _comparable(left: str, right: str, lnode: Node, rnode: Node) -> bool:
    if "any" in (left, right) or "null" in (left, right) or left == right:
        return True
    temporal = {"date", "timestamp"}
    if left in temporal and right in temporal:
        return True
    # An ISO date written as a string literal compares with a date field.
    for kind, other in ((left, rnode), (right, lnode)):
        if kind in temporal and isinstance(other, Literal) and isinstance(other.value, str):
            return _is_iso_date(other.value)
    return False


def _is_iso_date(text: str) -> bool:
    from datetime import date

    try:
        date.fromisoformat(text[:10])
    except ValueError:
        return False
    return True


def _name(node: Name, scope: Scope) -> str:
    parts = node.parts
    head = parts[0]
    if head == "customer" and len(parts) == 2:
        return _customer_field(node, parts[1], scope)
    if head == "event" and len(parts) == 2:
        if scope.event_props is None:
            return _err(scope, node, "'event' is only known in a scenario triggered by an event")
        if parts[1] not in scope.event_props:
            return _err(
                scope,
                node,
                f"unknown property '{parts[1]}' of the trigger event",
                closest(parts[1], scope.event_props),
            )
        return scope.event_props[parts[1]]
    if head == "anniversary" and len(parts) == 2:
        if not scope.anniversary:
            return _err(scope, node, "'anniversary' is only known in a date trigger with 'years'")
        if parts[1] != "years":
            return _err(scope, node, f"unknown anniversary attribute '{parts[1]}'", "use 'years'")
        return "number"
    if len(parts) > 1:
        known = ["customer.<field>", "event.<property>", "anniversary.years"]
        return _err(
            scope, node, f"unknown name '{node.dotted}'", f"expected one of {', '.join(known)}"
        )
    if head in ENGAGEMENT:
        if scope.steps is None:
            return _err(scope, node, f"'{head}' is only known in a step's 'if'")
        if not scope.steps:
            return _err(scope, node, f"'{head}' needs an earlier step in the scenario")
        return "bool"
    if head in scope.definitions:
        return "bool"
    if head == "lifecycle":
        return "string"
    if head in scope.customer:
        return scope.customer[head]
    return _customer_field(node, head, scope)


def _customer_field(node: Node, name: str, scope: Scope) -> str:
    if name in scope.customer:
        return scope.customer[name]
    candidates = [*scope.customer, *scope.definitions]
    return _err(scope, node, f"unknown field or definition '{name}'", closest(name, candidates))


def _event_arg(node: Call, scope: Scope, *, with_property: bool) -> str | None:
    """Check the first argument names an event type (and a property when needed)."""
    if not node.args or not isinstance(node.args[0], Name):
        what = "an event property such as purchase.amount" if with_property else "an event type"
        _err(scope, node, f"{node.func}() expects {what} as first argument")
        return None
    arg = node.args[0]
    event = arg.parts[0]
    if event not in scope.events:
        _err(scope, arg, f"unknown event type '{event}'", closest(event, scope.events))
        return None
    if with_property:
        if len(arg.parts) != 2:
            _err(scope, arg, f"{node.func}() expects an event property such as {event}.amount")
            return None
        props = scope.events[event]
        if arg.parts[1] not in props:
            _err(
                scope,
                arg,
                f"unknown property '{arg.parts[1]}' of event '{event}'",
                closest(arg.parts[1], props),
            )
            return None
        return props[arg.parts[1]]
    if len(arg.parts) != 1:
        _err(scope, arg, f"{node.func}() expects an event type, not a property")
    return "event"


def _window(node: Call, scope: Scope, index: int, *, required: bool) -> None:
    if len(node.args) <= index:
        if required:
            _err(scope, node, f"{node.func}() needs a window such as 90d as argument {index + 1}")
        return
    if not isinstance(node.args[index], DurationLit):
        _err(scope, node.args[index], f"{node.func}() window must be a duration such as 365d")
    if len(node.args) > index + 1:
        _err(scope, node.args[index + 1], f"{node.func}() takes at most {index + 1} arguments")


def _call(node: Call, scope: Scope) -> str:
    func = node.func
    if func == "count":
        _event_arg(node, scope, with_property=False)
        _window(node, scope, 1, required=False)
        return "number"
    if func in AGGREGATES:
        kind = _event_arg(node, scope, with_property=True)
        if kind not in (None, "number") and func in ("sum", "avg"):
            _err(scope, node.args[0], f"{func}() needs a numeric property, got a {kind}")
        _window(node, scope, 1, required=True)
        return kind or "any"
    if func == "days_since":
        if node.args and isinstance(node.args[0], Name) and len(node.args[0].parts) == 1:
            name = node.args[0].parts[0]
            if name in scope.customer and scope.customer[name] in ("date", "timestamp"):
                return "number"
        _event_arg(node, scope, with_property=False)
        _window(node, scope, 1, required=False)
        return "number"
    if func in ("days_until", "age"):
        if len(node.args) != 1 or not isinstance(node.args[0], Name):
            return _err(scope, node, f"{func}() expects a date field, e.g. {func}(birth_date)")
        kind = _type(node.args[0], scope)
        if kind not in ("date", "timestamp", "any"):
            _err(scope, node.args[0], f"{func}() expects a date field, got a {kind}")
        return "number"
    if func == "last":
        kind = _event_arg(node, scope, with_property=True)
        return kind or "any"
    if func == "segment":
        if len(node.args) != 1 or not isinstance(node.args[0], Literal):
            return _err(
                scope, node, "segment() expects a quoted segment name, e.g. segment('loyal')"
            )
        name = str(node.args[0].value)
        if name not in scope.segments:
            _err(scope, node.args[0], f"unknown segment '{name}'", closest(name, scope.segments))
        return "bool"
    if func == "score":
        if len(node.args) != 1 or not isinstance(node.args[0], Literal):
            return _err(
                scope, node, "score() expects a quoted score name, e.g. score('inactivity')"
            )
        name = str(node.args[0].value)
        if name not in scope.scores:
            _err(scope, node.args[0], f"unknown score '{name}'", closest(name, scope.scores))
        return "number"
    if func in ENGAGEMENT:
        if scope.steps is None:
            return _err(scope, node, f"'{func}' is only known in a step's 'if'")
        if len(node.args) != 1 or not isinstance(node.args[0], Literal):
            return _err(scope, node, f"{func}() expects a quoted step id, e.g. {func}('t1')")
        step = str(node.args[0].value)
        if step not in scope.steps:
            hint = (
                closest(step, scope.steps) or f"earlier steps: {', '.join(scope.steps) or 'none'}"
            )
            _err(scope, node.args[0], f"'{step}' is not an earlier step of this scenario", hint)
        return "bool"
    return _err(scope, node, f"unknown function '{func}'", closest(func, FUNCTIONS))
