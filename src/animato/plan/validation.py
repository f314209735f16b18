"""Whole-plan checks: references, conditions against the data contract, templates, warnings.

Called by :func:`animato.plan.loader.inspect_plan` once every file has the right shape.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING

from liquid.exceptions import LiquidError

from animato.errors import Problem
from animato.plan import conditions, seasons
from animato.plan.checker import BUILTIN_CUSTOMER, Scope, check, closest
from animato.plan.collection import Need, collected, needs
from animato.plan.model import Campaign, Plan, Program, Scenario
from animato.plan.templates import EMAIL_EXTENSIONS
from animato.plan.templates import ENV as TEMPLATE_ENV
from animato.plan.templates import check as check_template

if TYPE_CHECKING:
    from animato.plan.loader import Inspection, Origin

CENTRICITY_FLOOR = 0.25
TEMPLATE_ROOTS: dict[str, set[str] | None] = {
    "offer": {"id", "label", "kind", "value", "code", "valid_until", "description"},
    "event": None,
    "anniversary": {"years"},
    "scenario": {"id", "name"},
    "campaign": {"id", "name"},
    "program": {"id", "name"},
    "step": {"id", "name"},
    "links": {"unsubscribe", "preferences", "view_online", "shop"},
    "sender": {"name", "address", "reply_to"},
    "plan": {"name"},
    "message": {"id", "channel"},
    "combined": None,  # steps riding along a campaign message (combine_with)
}
COMPUTED_CUSTOMER = {"favourite_category", "favourite_products", "loyalty_points", "lifecycle"}


class _Checker:
    """Collects problems while walking a loaded plan with the origins of its parts."""

    def __init__(self, result: Inspection) -> None:
        assert result.plan is not None and result.plan_origin is not None
        self.result = result
        self.plan: Plan = result.plan
        self.root: Origin = result.plan_origin
        self.problems: list[Problem] = []
        self.scope = Scope.of(self.plan)
        conv = self.plan.conventions
        self.targets = (
            set(conv.segments) | set(conv.definitions) | {s.stage for s in conv.lifecycle}
        )
        self.action_ids = {a.id for p in self.plan.programs for a in p.actions}
        self.offer_ids = {o.id for o in self.plan.offers}
        self.campaign_ids = {c.id for c in self.plan.campaigns}
        self.scenario_ids = {s.id for s in self.plan.scenarios}

    # -- helpers ------------------------------------------------------------------------

    def error(self, origin: Origin, message: str, hint: str = "", *, key: bool = False) -> None:
        from animato.plan.loader import problem_at

        self.problems.append(problem_at(origin, message, hint=hint, key=key))

    def warn(self, origin: Origin, message: str, hint: str = "") -> None:
        from animato.plan.loader import problem_at

        self.problems.append(problem_at(origin, message, hint=hint, severity="warning"))

    def ref(self, origin: Origin, name: str | None, known: Iterable[str], what: str) -> bool:
        if name is None:
            return True
        known = list(known)
        if name not in known:
            self.error(origin, f"unknown {what} '{name}'", closest(name, known))
            return False
        return True

    def condition(self, origin: Origin, text: str | None, scope: Scope) -> None:
        from animato.plan.loader import problem_at

        if text is None:
            return
        try:
            tree = conditions.parse(text)
        except conditions.ConditionSyntaxError as exc:
            self.problems.append(
                problem_at(
                    origin,
                    f"condition does not parse: {exc.message}",
                    hint=exc.hint,
                    offset=(exc.pos.line, exc.pos.col),
                )
            )
            return
        for found in check(tree, scope):
            self.problems.append(
                problem_at(
                    origin, found.message, hint=found.hint, offset=(found.pos.line, found.pos.col)
                )
            )

    def event_type(self, origin: Origin, name: str) -> bool:
        return self.ref(origin, name, self.plan.data.events, "event type")

    def duplicates(self, items: list[tuple[str, Origin]], what: str) -> None:
        counts = Counter(i for i, _ in items)
        seen: set[str] = set()
        for ident, origin in items:
            if counts[ident] > 1:
                if ident in seen:
                    self.error(
                        origin.at("id"),
                        f"duplicate {what} id '{ident}'",
                        "ids must be unique in the plan",
                    )
                seen.add(ident)

    # -- the plan -----------------------------------------------------------------------

    def run(self) -> list[Problem]:
        self.contract()
        self.conventions()
        self.cycles()
        self.offers()
        programs = [(p, self.result.program_origins[p.id]) for p in self.plan.programs]
        self.duplicates([(p.id, o) for p, o in programs], "program")
        actions: list[tuple[str, Origin]] = []
        for program, origin in programs:
            actions += [(s.id, origin.at("scenarios", i)) for i, s in enumerate(program.scenarios)]
            actions += [(c.id, origin.at("campaigns", i)) for i, c in enumerate(program.campaigns)]
        self.duplicates(actions, "scenario or campaign")
        for program, origin in programs:
            self.program(program, origin)
        self.templates()
        if self.plan.collection:
            self.collection(programs)
        self.warnings(programs)
        return self.problems

    def conventions(self) -> None:
        conv = self.plan.conventions
        base = self.root.at("conventions")
        for name, text in conv.definitions.items():
            self.condition(base.at("definitions", name), text, self.scope)
        for name, text in conv.segments.items():
            self.condition(base.at("segments", name), text, self.scope)
        for i, stage in enumerate(conv.lifecycle):
            self.condition(base.at("lifecycle", i, "when"), stage.when, self.scope)
        for name, score in conv.scores.items():
            origin = base.at("scores", name)
            for i, criterion in enumerate(score.criteria):
                at = origin.at("criteria", i, "when")
                self.condition(at, criterion.when, self.scope)
                if "score(" in criterion.when:
                    self.error(at, "a score's criterion cannot read a score")
            if score.alive is not None:
                self.ref(
                    origin.at("alive", "event"),
                    score.alive.event,
                    self.plan.data.events,
                    "event type",
                )
        for name, rule in conv.exclusions.items():
            origin = base.at("exclusions", name)
            self.condition(origin.at("when"), rule.when, self.scope)
            for j, spared in enumerate(rule.except_):
                self.ref(origin.at("except", j), spared, self.scenario_ids, "scenario")
        self.duplicates(
            [(b.id, base.at("blackouts", i)) for i, b in enumerate(conv.blackouts)], "blackout"
        )
        for i, blackout in enumerate(conv.blackouts):
            origin = base.at("blackouts", i)
            if blackout.from_ and blackout.to and blackout.to < blackout.from_:
                self.error(
                    origin.at("to"),
                    f"blackout '{blackout.id}' ends ({blackout.to}) before it starts "
                    f"({blackout.from_})",
                )
            if blackout.during is not None:
                self.ref(origin.at("during"), blackout.during, seasons.SEASONS, "season")
            if isinstance(blackout.scope, list):
                known = self.action_ids | {p.id for p in self.plan.programs}
                for j, ident in enumerate(blackout.scope):
                    self.ref(origin.at("scope", j), ident, known, "program, scenario or campaign")

    def contract(self) -> None:
        """Event properties share one column per name in the store: one type per name."""
        seen: dict[str, tuple[str, str]] = {}
        for event_type, spec in self.plan.data.events.items():
            for prop, field in spec.properties.items():
                first = seen.setdefault(prop, (event_type, field.type))
                if first[1] != field.type:
                    self.error(
                        self.root.at("data", "events", event_type, "properties", prop),
                        f"property '{prop}' is a {field.type} here but a {first[1]} in event "
                        f"'{first[0]}'",
                        "use one type per property name, or another name",
                    )

    def cycles(self) -> None:
        """Definitions and segments that refer to themselves, directly or not."""
        conv = self.plan.conventions
        graph: dict[str, set[str]] = {}
        for kind, items in (("definitions", conv.definitions), ("segments", conv.segments)):
            for name, text in items.items():
                try:
                    tree = conditions.parse(text)
                except conditions.ConditionSyntaxError:
                    continue
                refs = {
                    n.parts[0]
                    for n in conditions.walk(tree)
                    if isinstance(n, conditions.Name) and len(n.parts) == 1
                }
                refs |= {
                    str(getattr(n.args[0], "value", ""))
                    for n in conditions.walk(tree)
                    if isinstance(n, conditions.Call) and n.func == "segment" and n.args
                }
                graph[f"{kind}:{name}"] = refs
        names = {key.split(":", 1)[1]: key for key in graph}
        for key in graph:
            stack, seen = [key], set()
            while stack:
                for ref in graph.get(stack.pop(), ()):
                    target = names.get(ref)
                    if target == key:
                        kind, name = key.split(":", 1)
                        self.error(
                            self.root.at("conventions", kind, name),
                            f"'{name}' refers to itself",
                            "break the cycle",
                        )
                        stack = []
                        break
                    if target and target not in seen:
                        seen.add(target)
                        stack.append(target)

    def offers(self) -> None:
        base = self.root.at("offers")
        self.duplicates([(o.id, base.at(i)) for i, o in enumerate(self.plan.offers)], "offer")
        for i, offer in enumerate(self.plan.offers):
            self.ref(base.at(i, "fallback"), offer.fallback, self.offer_ids, "offer")

    def program(self, program: Program, origin: Origin) -> None:
        self.ref(origin.at("target"), program.target, self.targets, "segment or lifecycle stage")
        for i, scenario in enumerate(program.scenarios):
            self.scenario(scenario, origin.at("scenarios", i))
        for i, campaign in enumerate(program.campaigns):
            self.campaign(campaign, origin.at("campaigns", i))

    def scenario(self, s: Scenario, origin: Origin) -> None:
        self.ref(origin.at("target"), s.target, self.targets, "segment or lifecycle stage")
        trigger, t_origin = s.trigger, origin.at("trigger")
        event_for_scope: str | None = None
        if trigger.event is not None and self.event_type(t_origin.at("event"), trigger.event):
            event_for_scope = trigger.event
            self.condition(
                t_origin.at("where"), trigger.where, self.scope.within(event=trigger.event)
            )
        if trigger.inactive is not None:
            self.event_type(t_origin.at("inactive", "event"), trigger.inactive.event)
            if trigger.inactive.scope == "account" and "account_id" not in self.scope.customer:
                self.error(
                    t_origin.at("inactive", "scope"), "account scope needs an account_id field"
                )
        if trigger.date is not None:
            fields = {**BUILTIN_CUSTOMER, **self.scope.customer}
            if self.ref(t_origin.at("date"), trigger.date, fields, "customer field"):
                kind = fields[trigger.date]
                if kind not in ("date", "timestamp"):
                    self.error(
                        t_origin.at("date"),
                        f"'{trigger.date}' is a {kind} field: a date trigger needs a date",
                    )
        if trigger.segment is not None:
            self.ref(t_origin.at("segment"), trigger.segment, self.targets, "segment")
        anniversary = trigger.date is not None and trigger.years is not None
        entry = self.scope.within(event=event_for_scope, anniversary=anniversary)
        self.condition(origin.at("when"), s.when, entry)
        for j, name in enumerate(s.exclude):
            self.ref(
                origin.at("exclude", j), name, self.plan.conventions.exclusions, "exclusion rule"
            )
        if s.goal is not None:
            if self.event_type(origin.at("goal", "event"), s.goal.event):
                self.condition(
                    origin.at("goal", "where"), s.goal.where, self.scope.within(event=s.goal.event)
                )
        for j, rule in enumerate(s.exit_when):
            if self.event_type(origin.at("exit_when", j, "event"), rule.event):
                self.condition(
                    origin.at("exit_when", j, "where"),
                    rule.where,
                    self.scope.within(event=rule.event),
                )
        steps = [(step.id or "", origin.at("steps", j)) for j, step in enumerate(s.steps)]
        self.duplicates(steps, "step")
        for j, step in enumerate(s.steps):
            s_origin = origin.at("steps", j)
            earlier = [st.id or "" for st in s.steps[:j]]
            self.condition(
                s_origin.at("if"),
                step.if_,
                self.scope.within(event=event_for_scope, anniversary=anniversary, steps=earlier),
            )
            self.template(s_origin.at("template"), step.template, step.channel)
            self.ref(s_origin.at("offer"), step.offer, self.offer_ids, "offer")
            if step.fallback is not None:
                if step.fallback.channel == step.channel:
                    self.error(
                        s_origin.at("fallback"), "fallback channel is the step's own channel"
                    )
                self.template(
                    s_origin.at("fallback", "template"),
                    step.fallback.template or step.template,
                    step.fallback.channel,
                )
            for k, ident in enumerate(step.combine_with):
                self.ref(s_origin.at("combine_with", k), ident, self.campaign_ids, "campaign")
            for k, variant in enumerate(step.variants):
                v_origin = s_origin.at("variants", k)
                if variant.template is not None:
                    self.template(v_origin.at("template"), variant.template, step.channel)
                self.ref(v_origin.at("offer"), variant.offer, self.offer_ids, "offer")
                if variant.subject is not None:
                    if step.channel != "email":
                        self.error(v_origin.at("subject"), "only an email has a subject")
                    try:
                        TEMPLATE_ENV.from_string(variant.subject)
                    except LiquidError as exc:
                        self.error(v_origin.at("subject"), f"subject does not parse: {exc}")

    def campaign(self, c: Campaign, origin: Origin) -> None:
        self.ref(origin.at("target"), c.target, self.targets, "segment or lifecycle stage")
        self.condition(origin.at("when"), c.when, self.scope)
        if c.every is not None and c.every.season is not None:
            known = list(seasons.SEASONS) + [e.id for e in self.plan.brand_events]
            self.ref(origin.at("every", "season"), c.every.season, known, "season or brand event")
        self.template(origin.at("template"), c.template, c.channel)
        self.ref(origin.at("offer"), c.offer, self.offer_ids, "offer")
        if c.fallback is not None:
            self.template(
                origin.at("fallback", "template"),
                c.fallback.template or c.template,
                c.fallback.channel,
            )
        if c.goal is not None:
            self.event_type(origin.at("goal", "event"), c.goal.event)

    def template(self, origin: Origin, name: str, channel: str) -> None:
        found = self.result.templates.get(name)
        if found is None:
            self.error(
                origin,
                f"unknown template '{name}'",
                closest(name, self.result.templates) or f"expected templates/{name}.<ext>",
            )
            return
        if channel == "email" and found.extension not in EMAIL_EXTENSIONS:
            self.error(
                origin, f"template '{name}' is {found.path.name}: an email needs .mjml or .html"
            )
        if channel == "email" and "subject" not in found.matter:
            self.error(
                origin,
                f"email template '{name}' has no subject",
                "add 'subject:' in its front matter between --- lines",
            )

    def templates(self) -> None:
        customer = set(self.scope.customer) | COMPUTED_CUSTOMER
        known: dict[str, set[str] | None] = {"customer": customer, **TEMPLATE_ROOTS}
        for source in self.result.templates.values():
            display = str(source.path.relative_to(self.result.folder.parent))
            for issue in check_template(source, known):
                self.problems.append(
                    Problem(display, issue.line, issue.col, issue.message, issue.hint)
                )

    def collection(self, programs: list[tuple[Program, Origin]]) -> None:
        """The data-collection map names known fields and events, and collects every field and
        event an action reads.
        """
        base = self.root.at("collection")
        stages = self.plan.collection
        self.duplicates([(st.stage, base.at(i)) for i, st in enumerate(stages)], "stage")
        fields = [*self.scope.customer]
        for i, stage in enumerate(stages):
            for j, item in enumerate(stage.collects):
                here = base.at(i, "collects", j)
                if item.field is not None:
                    self.ref(here.at("field"), item.field, fields, "customer field")
                else:
                    self.event_type(here.at("event"), item.event or "")
        have = collected(self.plan)
        for program, origin in programs:
            listed: list[tuple[str, int, Scenario | Campaign]] = [
                *(("scenarios", i, a) for i, a in enumerate(program.scenarios)),
                *(("campaigns", i, a) for i, a in enumerate(program.campaigns)),
            ]
            for kind, i, action in listed:
                for need in needs(self.plan, action, self.result.templates):
                    if (need.kind, need.name) not in have:
                        self.uncollected(action.id, need, origin.at(kind, i, *need.path))

    def uncollected(self, action_id: str, need: Need, origin: Origin) -> None:
        """Report a field or event an action reads that no stage collects, where it is read."""
        what = "customer field" if need.kind == "field" else "event"
        message = (
            f"'{action_id}' needs {what} '{need.name}' ({need.use}), which no stage of the "
            "data-collection map collects"
        )
        hint = f"add {{{need.kind}: {need.name}, why: …}} to a stage of 'collection'"
        if need.template is None:
            self.error(origin, message, hint)
            return
        source = self.result.templates[need.template]
        display = str(source.path.relative_to(self.result.folder.parent))
        self.problems.append(Problem(display, need.line, need.col, message, hint))

    # -- warnings -----------------------------------------------------------------------

    def warnings(self, programs: list[tuple[Program, Origin]]) -> None:
        behavioural = [
            s for s in self.plan.scenarios if s.trigger.kind in ("event", "inactive", "date")
        ]
        total = len(self.plan.scenarios) + len(self.plan.campaigns)
        if total and len(behavioural) / total < CENTRICITY_FLOOR:
            self.warn(
                self.root,
                f"customer-centricity ratio is {len(behavioural) / total:.0%} "
                f"({len(behavioural)} customer-triggered actions of {total})",
                f"the seeds recommend at least {CENTRICITY_FLOOR:.0%}",
            )
        for program, origin in programs:
            for i, s in enumerate(program.scenarios):
                here = origin.at("scenarios", i)
                if s.goal is None:
                    self.warn(
                        here.at("id"),
                        f"scenario '{s.id}' has no goal",
                        "without a goal its conversions cannot be measured",
                    )
                if not s.kpis and not program.kpis:
                    self.warn(
                        here.at("id"),
                        f"scenario '{s.id}' has no KPI",
                        "declare a business KPI on the scenario or its program",
                    )
        self.collisions(programs)

    def collisions(self, programs: list[tuple[Program, Origin]]) -> None:
        stages = {s.stage for s in self.plan.conventions.lifecycle}
        entries = []
        for program, origin in programs:
            for i, s in enumerate(program.scenarios):
                entries.append((s, s.target or program.target, origin.at("scenarios", i)))
        for (a, ta, _), (b, tb, ob) in itertools.combinations(entries, 2):
            if a.priority != b.priority or not set(a.channels) & set(b.channels):
                continue
            if ta in stages and tb in stages and ta != tb:
                continue  # distinct lifecycle stages never hold the same customer
            self.warn(
                ob.at("priority"),
                f"scenarios '{a.id}' and '{b.id}' have the same priority ({a.priority}) "
                "and can reach the same customer on the same channel",
                "give the hotter contact the higher priority",
            )


def validate(result: Inspection) -> list[Problem]:
    """Every whole-plan problem and warning of a plan whose files have the right shape."""
    return _Checker(result).run()
