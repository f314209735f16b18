"""The data a scenario or campaign needs: customer fields and event types it reads.

The seeds' scenario specification lists "the attributes (data) needed to deploy it". They are
found by walking every condition the action depends on (target, ``when``, exclusions, trigger,
step ``if``, goal, exits), following definitions and segments, and by reading the ``customer``
variables of its templates.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from liquid.exceptions import LiquidError

from animato.plan import model as m
from animato.plan.checker import BUILTIN_CUSTOMER
from animato.plan.conditions import Call, ConditionSyntaxError, Literal, Name, parse, walk
from animato.plan.templates import ENV, TemplateSource

Action = m.Scenario | m.Campaign


@dataclass
class Needs:
    """Customer fields, event types (with properties) and conventions an action relies on."""

    fields: set[str] = field(default_factory=set)
    events: set[str] = field(default_factory=set)
    conventions: set[str] = field(default_factory=set)
    personalisation: set[str] = field(default_factory=set)


class _Walker:
    def __init__(self, plan: m.Plan) -> None:
        self.plan = plan
        self.needs = Needs()
        self.seen: set[str] = set()
        conv = plan.conventions
        self.named = {**conv.definitions, **conv.segments}
        self.named.update({s.stage: s.when for s in conv.lifecycle})
        self.customer = set(BUILTIN_CUSTOMER) | set(plan.data.customer)

    def convention(self, name: str | None) -> None:
        if name is None or name in self.seen or name not in self.named:
            return
        self.seen.add(name)
        self.needs.conventions.add(name)
        self.condition(self.named[name])

    def condition(self, text: str | None, event: str | None = None) -> None:
        if not text:
            return
        try:
            tree = parse(text)
        except ConditionSyntaxError:
            return
        for node in walk(tree):
            if isinstance(node, Call):
                self.call(node)
            elif isinstance(node, Name):
                self.name(node, event)

    def name(self, node: Name, event: str | None) -> None:
        head = node.parts[0]
        if head == "event" and len(node.parts) == 2 and event:
            self.needs.events.add(f"{event}.{node.parts[1]}")
        elif head == "customer" and len(node.parts) == 2:
            self.needs.fields.add(node.parts[1])
        elif head == "lifecycle":
            for stage in self.plan.conventions.lifecycle:
                self.convention(stage.stage)
        elif head in self.named:
            self.convention(head)
        elif head in self.customer and len(node.parts) == 1:
            self.needs.fields.add(head)

    def call(self, node: Call) -> None:
        if node.func == "segment" and node.args and isinstance(node.args[0], Literal):
            self.convention(str(node.args[0].value))
            return
        if not node.args or not isinstance(node.args[0], Name):
            return
        arg = node.args[0]
        if arg.parts[0] in self.plan.data.events:
            self.needs.events.add(".".join(arg.parts))
        elif arg.parts[0] in self.customer:
            self.needs.fields.add(arg.parts[0])

    def template(self, source: TemplateSource | None) -> None:
        if source is None:
            return
        for text in (source.body, *source.matter.values()):
            try:
                analysis = ENV.from_string(text).analyze()
            except LiquidError:
                continue
            for root, uses in analysis.globals.items():
                if root != "customer":
                    continue
                for use in uses:
                    parts = [s for s in use.segments if isinstance(s, str)]
                    if len(parts) > 1:
                        self.needs.personalisation.add(parts[1])


def needs(
    plan: m.Plan, action: Action, templates: dict[str, TemplateSource] | None = None
) -> Needs:
    """What data a scenario or campaign relies on, from its conditions and templates."""
    walker = _Walker(plan)
    templates = templates or {}
    program = plan.program_of(action.id)
    walker.convention(action.target or program.target)
    walker.condition(action.when)
    if action.goal is not None:
        walker.needs.events.add(action.goal.event)
        walker.condition(action.goal.where, action.goal.event)
    names: list[str] = []
    if isinstance(action, m.Campaign):
        names.append(action.template)
        if action.fallback is not None and action.fallback.template:
            names.append(action.fallback.template)
    else:
        trigger = action.trigger
        event = trigger.event
        if trigger.event is not None:
            walker.needs.events.add(trigger.event)
        if trigger.inactive is not None:
            walker.needs.events.add(trigger.inactive.event)
        if trigger.date is not None:
            walker.needs.fields.add(trigger.date)
        walker.convention(trigger.segment)
        walker.condition(trigger.where, event)
        walker.condition(action.when, event)
        for name in action.exclude:
            exclusion = plan.conventions.exclusions.get(name)
            walker.needs.conventions.add(name)
            walker.condition(exclusion.when if exclusion else None)
        for rule in action.exit_when:
            walker.needs.events.add(rule.event)
            walker.condition(rule.where, rule.event)
        for step in action.steps:
            walker.condition(step.if_, event)
            names.append(step.template)
            if step.fallback is not None and step.fallback.template:
                names.append(step.fallback.template)
    for name in dict.fromkeys(names):
        walker.template(templates.get(name))
    walker.needs.fields |= walker.needs.personalisation
    return walker.needs
