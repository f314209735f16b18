"""The flow diagram ("logigramme") of a scenario, drawn as SVG from top to bottom.

Trigger → entry conditions (target, ``when``, exclusions, re-entry, control group on the side)
→ for each step: the wait on the arrow, an ``if`` decision when there is one, the step box
(channel, template, subject, offer) with its fallback on the side → goal, with the early exits
on the side. The layout is a single column with notes to its right; every size is computed here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from animato.plan import model as m
from animato.plan.templates import TemplateSource
from animato.sheet import wording as w
from animato.sheet.svg import CHANNEL_COLOURS, INK, MUTED, Canvas, wrap

WIDTH = 760.0
MAIN_X, MAIN_W = 16.0, 380.0
SIDE_X, SIDE_W = 486.0, 258.0
PAD, KICKER, LINE = 11.0, 17.0, 17.0
TOP, GAP, LABELLED_GAP = 12.0, 26.0, 44.0


@dataclass
class Box:
    """A box of the diagram: a small uppercase heading, lines of text, colours and shape."""

    css: str
    kicker: str
    lines: list[tuple[str, str]]  # (text, style) with style "text", "mono" or "muted"
    stroke: str
    fill: str = "#ffffff"
    shape: str = "box"  # box, round or decision
    dashed: bool = False
    badge: str = ""
    data: dict[str, str] = field(default_factory=dict)

    def wrapped(self, width: float) -> list[tuple[str, str]]:
        """The lines of text wrapped to the box's inner width."""
        inner = width - 2 * PAD - (28 if self.shape == "decision" else 0)
        out = []
        for text, style in self.lines:
            size = 12 if style == "mono" else 13
            out += [(part, style) for part in wrap(text, inner, size, style == "mono")]
        return out

    def height(self, width: float) -> float:
        """Height of the box at a width."""
        return 2 * PAD + KICKER + LINE * len(self.wrapped(width)) - 3


@dataclass
class Node:
    """A box of the main column, the note beside it, and the labels of its arrows."""

    box: Box
    side: Box | None = None
    side_label: str = ""
    incoming: str = ""


def _draw(canvas: Canvas, box: Box, x: float, y: float, width: float) -> float:
    height = box.height(width)
    canvas.open(box.css, **box.data)
    if box.shape == "decision":
        notch = 14.0
        canvas.polygon(
            [
                (x + notch, y),
                (x + width - notch, y),
                (x + width, y + height / 2),
                (x + width - notch, y + height),
                (x + notch, y + height),
                (x, y + height / 2),
            ],
            fill=box.fill,
            stroke=box.stroke,
        )
        x += notch
    else:
        rx = 16.0 if box.shape == "round" else 6.0
        canvas.rect(
            x,
            y,
            width,
            height,
            fill=box.fill,
            stroke=box.stroke,
            rx=rx,
            dashed=box.dashed,
            width=1.6 if box.css.startswith("node") else 1.2,
        )
    canvas.text(
        x + PAD,
        y + PAD + 11,
        box.kicker.upper(),
        size=10.5,
        fill=box.stroke,
        weight="700",
        spacing=0.6,
    )
    if box.badge:
        badge_w = 9 + 7 * len(box.badge)
        bx = x + width - PAD - badge_w - (28 if box.shape == "decision" else 0)
        canvas.rect(bx, y + PAD - 2, badge_w, 17, fill=box.stroke, stroke=box.stroke, rx=8.5)
        canvas.text(
            bx + badge_w / 2,
            y + PAD + 10.5,
            box.badge,
            size=10.5,
            fill="#ffffff",
            weight="700",
            anchor="middle",
        )
    baseline = y + PAD + KICKER + 13
    for text, style in box.wrapped(width):
        colour = MUTED if style == "muted" else INK
        canvas.text(
            x + PAD,
            baseline,
            text,
            size=12 if style == "mono" else 13,
            fill=colour,
            mono=style == "mono",
        )
        baseline += LINE
    canvas.close()
    return height


def _entry(plan: m.Plan, s: m.Scenario) -> Node:
    program = plan.program_of(s.id)
    lines: list[tuple[str, str]] = []
    target = s.target or program.target
    lines.append((f"Cible : {target}" if target else "Cible : toute la base", "text"))
    if s.when:
        lines += [("Si :", "muted"), (s.when, "mono")]
    if s.exclude:
        lines.append(("Sauf : " + ", ".join(s.exclude), "text"))
    lines.append((f"Ré-entrée : {w.reentry(s.reentry)}", "text"))
    lines.append((f"Priorité {s.priority}", "muted"))
    box = Box("node entry", "Entrée", lines, "#475569", "#f8fafc")
    side = None
    if s.holdout or plan.global_control:
        notes: list[tuple[str, str]] = []
        if s.holdout:
            notes.append((f"{w.share(s.holdout)} des entrants, tirés au sort", "text"))
        if plan.global_control:
            notes.append((f"+ témoin global : {w.share(plan.global_control)}", "text"))
        notes.append(
            ("Ils suivent le parcours ; leurs messages sont retenus, non envoyés.", "muted")
        )
        side = Box("side holdout", "Groupe témoin", notes, "#c2410c", "#fff7ed", dashed=True)
    return Node(box, side, "témoin" if side else "")


def _step_nodes(
    plan: m.Plan, s: m.Scenario, index: int, templates: dict[str, TemplateSource]
) -> list[Node]:
    step = s.steps[index]
    label = step.id or f"t{index + 1}"
    waits = []
    if step.wait.amount:
        waits.append(f"attendre {w.duration(step.wait)}")
    if step.at is not None:
        waits.append(f"envoi à {step.at.strftime('%H:%M')}")
    incoming = " · ".join(waits)
    nodes = []
    if step.if_:
        later = s.steps[index + 1].id if index + 1 < len(s.steps) else None
        skip = [
            (
                "L'étape n'est pas envoyée ; "
                + (f"on passe à {later.upper()}." if later else "le parcours se termine."),
                "text",
            )
        ]
        nodes.append(
            Node(
                Box(
                    "node decision",
                    f"Condition de {label.upper()}",
                    [(step.if_, "mono")],
                    "#a16207",
                    "#fefce8",
                    shape="decision",
                    data={"step": label},
                ),
                Box("side skip", "Sinon", skip, "#a16207", "#ffffff", dashed=True),
                "non",
                incoming,
            )
        )
        incoming = "oui"
    colour = CHANNEL_COLOURS.get(step.channel, INK)
    lines = [(f"Modèle : {step.template}", "text")]
    source = templates.get(step.template)
    if source is not None and source.matter.get("subject"):
        lines.append((f"Objet : {source.matter['subject']}", "muted"))
    if step.offer:
        offer = plan.offer(step.offer)
        lines.append((f"Offre : {w.offer(offer, plan.currency)}", "text"))
        if offer.fallback:
            lines.append((f"Offre de repli : {plan.offer(offer.fallback).label}", "muted"))
    if step.combine_with:
        lines.append(("Combiné avec : " + ", ".join(step.combine_with), "muted"))
    kicker = f"{label.upper()}" + (f" · {step.name}" if step.name else "")
    box = Box(
        "node step",
        kicker,
        lines,
        colour,
        badge=w.channel(step.channel).upper(),
        data={"step": label, "channel": step.channel},
    )
    side = None
    if step.fallback is not None:
        fb = step.fallback
        text = f"{w.channel(fb.channel)} — modèle {fb.template or step.template}"
        why = "si le client n'a ni consentement ni adresse sur le premier canal"
        side = Box(
            "side fallback",
            "Canal de repli",
            [(text, "text"), (why, "muted")],
            CHANNEL_COLOURS.get(fb.channel, INK),
            dashed=True,
        )
    nodes.append(Node(box, side, "repli" if side else "", incoming))
    return nodes


def _end(s: m.Scenario) -> Node:
    if s.goal is not None:
        lines = [(f"{w.goal(s.goal)} → sortie « converti »", "text")]
        if s.goal.where:
            lines.append((s.goal.where, "mono"))
        lines.append(
            (f"Attribution : {w.duration(s.attribution_window)} après un message", "muted")
        )
        box = Box("node goal", "Objectif", lines, "#047857", "#ecfdf5", shape="round")
    else:
        box = Box(
            "node goal",
            "Fin",
            [("Fin du parcours après la dernière étape", "text")],
            "#475569",
            "#f8fafc",
            shape="round",
        )
    side = None
    if s.exit_when:
        lines = []
        for rule in s.exit_when:
            lines.append((f"« {rule.event} »", "text"))
            if rule.where:
                lines.append((rule.where, "mono"))
        side = Box("side exits", "Sortie anticipée", lines, "#b91c1c", "#fef2f2", dashed=True)
    return Node(box, side, "à tout moment" if side else "")


def scenario_nodes(
    plan: m.Plan, s: m.Scenario, templates: dict[str, TemplateSource] | None = None
) -> list[Node]:
    """The diagram's column of nodes, from trigger to goal."""
    lines = [(w.trigger(s.trigger), "text")]
    if s.trigger.where:
        lines += [("si", "muted"), (s.trigger.where, "mono")]
    nodes = [Node(Box("node trigger", "Déclencheur", lines, "#4338ca", "#eef2ff", "round"))]
    nodes.append(_entry(plan, s))
    for index in range(len(s.steps)):
        nodes += _step_nodes(plan, s, index, templates or {})
    nodes.append(_end(s))
    return nodes


def flow_diagram(
    plan: m.Plan, s: m.Scenario, templates: dict[str, TemplateSource] | None = None
) -> str:
    """The scenario's flow diagram as a self-contained SVG element."""
    canvas = Canvas(f"flow-{s.id}", f"Logigramme du scénario {s.name}")
    cx = MAIN_X + MAIN_W / 2
    y, previous_bottom = TOP, 0.0
    for i, node in enumerate(scenario_nodes(plan, s, templates)):
        if i:
            gap = LABELLED_GAP if node.incoming else GAP
            canvas.line([(cx, previous_bottom), (cx, y + gap - 2)], arrow=True)
            if node.incoming:
                canvas.text(cx + 10, y + gap / 2 + 4, node.incoming, size=12, fill=MUTED)
            y += gap
        height = node.box.height(MAIN_W)
        side_height = node.side.height(SIDE_W) if node.side else 0.0
        _draw(canvas, node.box, MAIN_X, y, MAIN_W)
        previous_bottom = y + height
        bottom = y + height
        if node.side is not None:
            side_y = y if side_height >= height else y + (height - side_height) / 2
            mid = y + height / 2
            canvas.line([(MAIN_X + MAIN_W, mid), (SIDE_X - 2, mid)], dashed=True, arrow=True)
            if node.side_label:
                canvas.text(
                    (MAIN_X + MAIN_W + SIDE_X) / 2,
                    mid - 6,
                    node.side_label,
                    size=11,
                    fill=MUTED,
                    anchor="middle",
                )
            _draw(canvas, node.side, SIDE_X, side_y, SIDE_W)
            bottom = max(bottom, side_y + side_height)
        y = bottom
    return canvas.render(WIDTH, y + TOP, css="diagram flow")
