"""The scenario tree ("arbre des scénarios"): per target, its programs and their actions.

A target is a lifecycle stage, a segment or a definition of the conventions; an action belongs to
the target it names, else to its program's. Targets come in lifecycle order, then segments, then
definitions, then "toute la base" for actions without one. Each target gets a left-to-right tree
drawn in SVG (target → programs → scenarios and campaigns) and the same facts as a table.
"""

from __future__ import annotations

from dataclasses import dataclass

from animato.plan import model as m
from animato.sheet import wording as w
from animato.sheet.document import Code, Document, Inline, Link, slug
from animato.sheet.svg import INK, MUTED, Canvas, fit

Action = m.Scenario | m.Campaign
ROOT_X, ROOT_W = 8.0, 170.0
PROGRAM_X, PROGRAM_W = 222.0, 210.0
ACTION_X, ACTION_W = 484.0, 300.0
ROW, BOX = 50.0, 40.0
SCENARIO_COLOUR, CAMPAIGN_COLOUR = "#4338ca", "#0f766e"


@dataclass
class Branch:
    """A program under a target, with the actions of that target."""

    program: m.Program
    actions: list[Action]


def target_of(plan: m.Plan, action: Action) -> str | None:
    """The target of an action: its own, else its program's (``None``: the whole base)."""
    return action.target or plan.program_of(action.id).target


def target_condition(plan: m.Plan, target: str) -> str:
    """The condition that defines a target in the conventions (empty if unknown)."""
    conv = plan.conventions
    for stage in conv.lifecycle:
        if stage.stage == target:
            return stage.when
    return conv.segments.get(target) or conv.definitions.get(target, "")


def targets(plan: m.Plan) -> list[tuple[str | None, list[Branch]]]:
    """Every target used by the plan, in order, with its programs and actions."""
    conv = plan.conventions
    order: list[str | None] = [s.stage for s in conv.lifecycle]
    order += [*conv.segments, *conv.definitions]
    groups: dict[str | None, list[Branch]] = {}
    for program in plan.programs:
        if not program.actions:
            groups.setdefault(program.target, []).append(Branch(program, []))
        for action in program.actions:
            branches = groups.setdefault(target_of(plan, action), [])
            if not branches or branches[-1].program.id != program.id:
                branches.append(Branch(program, []))
            branches[-1].actions.append(action)
    known = [t for t in order if t in groups]
    rest = [t for t in groups if t not in order and t is not None]
    ordered = [*known, *rest] + ([None] if None in groups else [])
    return [(t, groups[t]) for t in ordered]


def action_summary(plan: m.Plan, action: Action) -> str:
    """One line saying what starts an action: its trigger or its rhythm."""
    if isinstance(action, m.Scenario):
        return w.trigger(action.trigger)
    return w.recurrence(plan, action)


def _box(
    canvas: Canvas, x: float, y: float, width: float, title: str, sub: str, colour: str, fill: str
) -> None:
    canvas.rect(x, y, width, BOX, fill=fill, stroke=colour, rx=6, width=1.4)
    canvas.text(x + 10, y + 16, fit(title, width - 20, 13), size=13, weight="600", fill=INK)
    canvas.text(x + 10, y + 32, fit(sub, width - 20, 11.5), size=11.5, fill=MUTED)


def _edge(canvas: Canvas, x1: float, y1: float, x2: float, y2: float) -> None:
    mid = (x1 + x2) / 2
    canvas.line([(x1, y1), (mid, y1), (mid, y2), (x2, y2)], stroke="#94a3b8", width=1.3)


def tree_svg(plan: m.Plan, target: str | None, branches: list[Branch], doc: Document) -> str:
    """The tree of one target as SVG: target → programs → actions, actions linked to sheets."""
    name = target or "toute la base"
    canvas = Canvas(f"tree-{slug(name)}", f"Arbre des scénarios : {name}")
    rows = sum(max(1, len(b.actions)) for b in branches)
    height = rows * ROW + 8
    root_y = height / 2 - BOX / 2
    count = sum(len(b.actions) for b in branches)
    canvas.open("target", target=target or "")
    _box(canvas, ROOT_X, root_y, ROOT_W, name, f"{count} action(s)", "#334155", "#f1f5f9")
    canvas.close()
    row = 0
    for branch in branches:
        span = max(1, len(branch.actions))
        program_y = 4 + (row + (span - 1) / 2) * ROW + (ROW - BOX) / 2
        _edge(canvas, ROOT_X + ROOT_W, root_y + BOX / 2, PROGRAM_X, program_y + BOX / 2)
        canvas.open("program", program=branch.program.id)
        canvas.link(doc.href(f"index#programme-{branch.program.id}", ".html"))
        objective = branch.program.objective or "programme"
        _box(
            canvas,
            PROGRAM_X,
            program_y,
            PROGRAM_W,
            branch.program.name,
            objective,
            "#334155",
            "#ffffff",
        )
        canvas.end_link()
        canvas.close()
        for i, action in enumerate(branch.actions):
            y = 4 + (row + i) * ROW + (ROW - BOX) / 2
            _edge(canvas, PROGRAM_X + PROGRAM_W, program_y + BOX / 2, ACTION_X, y + BOX / 2)
            scenario = isinstance(action, m.Scenario)
            kind = "scenario" if scenario else "campaign"
            canvas.open(f"action {kind}", action=action.id)
            canvas.link(doc.href(f"{kind}s/{action.id}", ".html"))
            colour = SCENARIO_COLOUR if scenario else CAMPAIGN_COLOUR
            label = ("Scénario · " if scenario else "Campagne · ") + action_summary(plan, action)
            _box(
                canvas,
                ACTION_X,
                y,
                ACTION_W,
                action.name,
                label,
                colour,
                "#eef2ff" if scenario else "#f0fdfa",
            )
            canvas.end_link()
            canvas.close()
        row += span
    return canvas.render(ACTION_X + ACTION_W + 8, height, css="diagram tree")


def channels_of(action: Action) -> str:
    """The channels an action may use, in French."""
    if isinstance(action, m.Scenario):
        return ", ".join(w.channel(c) for c in action.channels)
    names = [action.channel] + ([action.fallback.channel] if action.fallback else [])
    return ", ".join(w.channel(c) for c in names)


def tree_page(plan: m.Plan) -> Document:
    """The scenario tree page: one tree and one table per target."""
    doc = Document("tree", "Arbre des scénarios", "Plan d'animation")
    doc.para(
        "Chaque cible (phase de vie, segment) avec les programmes qui s'adressent à elle, "
        "et leurs scénarios (déclenchés par le comportement du client) et campagnes "
        "(au calendrier).",
        css="lead",
    )
    for target, branches in targets(plan):
        name = target or "Toute la base"
        doc.heading(f"Cible : {name}", anchor=f"cible-{slug(name)}")
        if target and (condition := target_condition(plan, target)):
            doc.para("Définition : ", Code(condition))
        doc.figure(
            tree_svg(plan, target, branches, doc),
            f"tree-{slug(name)}.svg",
            f"Arbre des scénarios — {name}",
        )
        rows: list[list[Inline]] = []
        for branch in branches:
            for action in branch.actions:
                scenario = isinstance(action, m.Scenario)
                kind = "scenarios" if scenario else "campaigns"
                rows.append(
                    [
                        Link(branch.program.name, f"index#programme-{branch.program.id}"),
                        Link(action.name, f"{kind}/{action.id}"),
                        "Scénario" if scenario else "Campagne",
                        action_summary(plan, action),
                        channels_of(action),
                        str(action.priority),
                    ]
                )
        doc.table(
            ["Programme", "Action", "Type", "Déclencheur / rythme", "Canaux", "Priorité"],
            rows,
            numeric=[5],
            empty="Aucune action pour cette cible.",
        )
    return doc
