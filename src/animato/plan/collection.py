"""The data-collection map read against the plan: what each scenario and campaign needs (the
customer fields and event types its trigger, conditions, target, templates and channels read)
and whether some journey stage of ``collection:`` collects it.

Conditions are followed through the definitions, segments and lifecycle stages they name, so a
scenario targeting ``loyal`` needs what ``loyal`` reads. System fields (``customer_id``,
``created_at``, ``timezone``) are never collected from the customer.
"""

from __future__ import annotations

from dataclasses import dataclass

from animato.plan import conditions
from animato.plan.model import Campaign, Plan, Scenario
from animato.plan.templates import TemplateSource, customer_uses

SYSTEM = {"customer_id", "created_at", "timezone"}
ADDRESS = {"email": "email", "sms": "phone", "call": "phone"}
EVENT_FUNCTIONS = {"count", "sum", "avg", "min", "max", "days_since", "last"}
FIELD_FUNCTIONS = {"days_until", "age"}


@dataclass(frozen=True)
class Need:
    """A customer field or event type an action reads, and where: ``path`` inside the action's
    YAML (for its file and line), or a template and a line and column in it.
    """

    kind: str  # field | event
    name: str
    use: str  # what reads it, in words: "trigger", "condition 'when'", "template …", "channel"
    path: tuple[str | int, ...] = ()
    template: str | None = None
    line: int = 0
    col: int = 0


def collected(plan: Plan) -> dict[tuple[str, str], list[str]]:
    """(kind, name) → the stages that collect it."""
    out: dict[tuple[str, str], list[str]] = {}
    for stage in plan.collection:
        for item in stage.collects:
            key = ("field", item.field) if item.field else ("event", item.event or "")
            out.setdefault(key, []).append(stage.stage)
    return out


def needs(
    plan: Plan, action: Scenario | Campaign, templates: dict[str, TemplateSource]
) -> list[Need]:
    """Everything ``action`` reads, in the order of its YAML; a name once per place."""
    reader = _Reader(plan)
    program = plan.program_of(action.id)
    found: list[Need] = []
    target = action.target or program.target
    if target:
        found += reader.target(target, ("target",) if action.target else ())
    if isinstance(action, Scenario):
        trigger = action.trigger
        if trigger.date:
            found.append(Need("field", trigger.date, "trigger", ("trigger", "date")))
        if trigger.event:
            found.append(Need("event", trigger.event, "trigger", ("trigger", "event")))
            found += reader.condition(trigger.where, "trigger 'where'", ("trigger", "where"))
        if trigger.inactive:
            where = ("trigger", "inactive", "event")
            found.append(Need("event", trigger.inactive.event, "trigger", where))
        if trigger.segment:
            found += reader.target(trigger.segment, ("trigger", "segment"))
        found += reader.condition(action.when, "condition 'when'", ("when",))
        for i, name in enumerate(action.exclude):
            rule = plan.conventions.exclusions.get(name)
            if rule is not None:
                found += reader.condition(rule.when, f"exclusion '{name}'", ("exclude", i))
        if action.goal is not None:
            found.append(Need("event", action.goal.event, "goal", ("goal", "event")))
        for j, step in enumerate(action.steps):
            path: tuple[str | int, ...] = ("steps", j)
            found += reader.condition(step.if_, f"step {step.id} 'if'", (*path, "if"))
            found += _message(step.channel, step.template, templates, (*path, "channel"))
            if step.fallback is not None:
                name = step.fallback.template or step.template
                found += _message(step.fallback.channel, name, templates, (*path, "fallback"))
    else:
        found += reader.condition(action.when, "condition 'when'", ("when",))
        found += _message(action.channel, action.template, templates, ("channel",))
        if action.fallback is not None:
            name = action.fallback.template or action.template
            found += _message(action.fallback.channel, name, templates, ("fallback",))
    unique: dict[tuple[str, str, str], Need] = {}
    for need in found:
        if need.kind == "field" and (need.name in SYSTEM or need.name not in reader.fields):
            continue  # computed from events (favourite_category…) or unknown (validation says)
        unique.setdefault((need.kind, need.name, need.use), need)
    return list(unique.values())


def _message(
    channel: str, template: str, templates: dict[str, TemplateSource], path: tuple[str | int, ...]
) -> list[Need]:
    """A message's needs: its channel's address and the fields its template reads."""
    out = []
    if channel in ADDRESS:
        out.append(Need("field", ADDRESS[channel], f"channel {channel}", path))
    source = templates.get(template)
    if source is not None:
        for name, line, col in customer_uses(source):
            out.append(Need("field", name, f"template {template}", (), template, line, col))
    return out


class _Reader:
    """Reads the names conditions use, through definitions, segments and lifecycle stages."""

    def __init__(self, plan: Plan) -> None:
        conv = plan.conventions
        self.fields = set(plan.data.customer) | {"email", "phone", "account_id", "role"}
        self.named: dict[str, list[str]] = {k: [v] for k, v in conv.definitions.items()}
        self.named |= {k: [v] for k, v in conv.segments.items()}
        self.named |= {s.stage: [s.when] for s in conv.lifecycle}
        self.named["lifecycle"] = [s.when for s in conv.lifecycle]

    def target(self, name: str, path: tuple[str | int, ...]) -> list[Need]:
        """What a target (segment, definition or lifecycle stage) reads."""
        return [
            need
            for text in self.named.get(name, [])
            for need in self.condition(text, f"target '{name}'", path, seen={name})
        ]

    def condition(
        self,
        text: str | None,
        use: str,
        path: tuple[str | int, ...],
        seen: set[str] | None = None,
    ) -> list[Need]:
        """What a condition reads (nothing for one that does not parse: validation says so)."""
        if not text:
            return []
        try:
            tree = conditions.parse(text)
        except conditions.ConditionSyntaxError:
            return []
        seen = set(seen or ())
        out: list[Need] = []
        for node in conditions.walk(tree):
            if isinstance(node, conditions.Name):
                parts = node.parts
                head = parts[1] if parts[0] == "customer" and len(parts) == 2 else parts[0]
                if len(parts) == 1 or parts[0] == "customer":
                    if head in self.fields:
                        out.append(Need("field", head, use, path))
                    elif head in self.named and head not in seen:
                        seen.add(head)
                        for inner in self.named[head]:
                            out += self.condition(inner, use, path, seen)
            elif isinstance(node, conditions.Call) and node.args:
                first = node.args[0]
                if node.func == "segment" and isinstance(first, conditions.Literal):
                    name = str(first.value)
                    if name not in seen:
                        seen.add(name)
                        for inner in self.named.get(name, []):
                            out += self.condition(inner, use, path, seen)
                elif isinstance(first, conditions.Name):
                    if node.func == "days_since" and first.parts[0] in self.fields:
                        out.append(Need("field", first.parts[0], use, path))
                    elif node.func in EVENT_FUNCTIONS:
                        out.append(Need("event", first.parts[0], use, path))
                    elif node.func in FIELD_FUNCTIONS:
                        out.append(Need("field", first.parts[0], use, path))
        return out
