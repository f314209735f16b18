"""The sheet of one action ("fiche scénario", "fiche campagne"), as the seeds lay it out.

A scenario sheet gives its identity (program, objective, target, priority), its trigger, entry
conditions and exclusions, the flow diagram, the contact times (wait, condition, channel,
template, offer, fallback), goal and exits, KPIs, the data it needs, its place in the
prioritisation matrix and the blackouts that hold it back. A campaign sheet gives the same for a
calendar send, with its dates in the year instead of a flow.
"""

from __future__ import annotations

from animato.plan import model as m
from animato.plan.templates import TemplateSource
from animato.sheet import wording as w
from animato.sheet.attributes import needs
from animato.sheet.calendar import blackout_period, campaign_sends, covers
from animato.sheet.diagram import flow_diagram
from animato.sheet.document import Code, Document, Inline, Link, Strong, Styled, join
from animato.sheet.matrix import decimal, rank_of
from animato.sheet.planning import scope_text
from animato.sheet.tree import target_condition

Action = m.Scenario | m.Campaign
Templates = dict[str, TemplateSource]


def _target(plan: m.Plan, action: Action) -> Inline:
    program = plan.program_of(action.id)
    target = action.target or program.target
    if target is None:
        return "toute la base"
    condition = target_condition(plan, target)
    inherited = " (cible du programme)" if action.target is None else ""
    parts: list[Inline] = [Strong(target), inherited]
    return [*parts, " — ", Code(condition)] if condition else parts


def _template(name: str, templates: Templates) -> Inline:
    source = templates.get(name)
    subject = source.matter.get("subject") if source is not None else None
    file = source.path.name if source is not None else name
    return [Code(file), f" — « {subject} »"] if subject else Code(file)


def _offer(plan: m.Plan, offer_id: str | None) -> Inline:
    if offer_id is None:
        return "—"
    offer = plan.offer(offer_id)
    text = w.offer(offer, plan.currency)
    if offer.fallback:
        text += f" ; repli : {plan.offer(offer.fallback).label}"
    return text


def _kpis(doc: Document, plan: m.Plan, action: Action) -> None:
    program = plan.program_of(action.id)
    doc.heading("KPIs")
    kpis = action.kpis or program.kpis
    if kpis and not action.kpis:
        doc.para(f"KPIs du programme « {program.name} » :", css="muted")
    doc.table(
        ["Indicateur", "Mesure", "Objectif", "Description"],
        [
            [k.name, w.METRICS[k.metric], w.kpi_target(k, plan.currency) or "—", k.description]
            for k in kpis
        ],
        empty="Aucun KPI déclaré.",
    )


def _needs(doc: Document, plan: m.Plan, action: Action, templates: Templates) -> None:
    found = needs(plan, action, templates)
    doc.heading("Données nécessaires")
    doc.facts(
        [
            ("Champs client", join([Code(x) for x in sorted(found.fields)])),
            ("Événements", join([Code(x) for x in sorted(found.events)])),
            ("Conventions", join([Code(x) for x in sorted(found.conventions)])),
            ("Personnalisation", join([Code(x) for x in sorted(found.personalisation)])),
        ]
    )


def _priority(doc: Document, plan: m.Plan, action: Action) -> None:
    line = rank_of(plan, action.id)
    total = len(plan.scenarios) + len(plan.campaigns)
    criteria = action.matrix
    doc.heading("Priorisation")
    doc.para(
        f"Score pondéré {decimal(line.score)} sur 5 — rang {line.rank} sur {total} dans la ",
        Link("matrice de priorisation", "matrix"),
        ".",
    )
    doc.table(
        [*w.CRITERIA.values(), "Gain attendu"],
        [
            [
                *[str(getattr(criteria, n)) for n in m.CRITERIA],
                w.money(criteria.expected_gain, plan.currency)
                if criteria.expected_gain is not None
                else "—",
            ]
        ],
        numeric=list(range(7)),
    )


def _blackouts(doc: Document, plan: m.Plan, action: Action, year: int) -> None:
    rows: list[list[Inline]] = []
    for b in plan.conventions.blackouts:
        if not covers(plan, b, action):
            continue
        period = blackout_period(plan, b, year)
        when = f"du {w.day(period[0])} au {w.day(period[1])}" if period else f"hors {year}"
        decision = b.on_conflict or action.on_conflict
        rows.append([b.name or b.id, when, scope_text(b), w.CONFLICT[decision]])
    doc.heading("Trêves")
    doc.table(
        ["Trêve", f"Période ({year})", "Portée", "Message"],
        rows,
        empty="Aucune trêve ne concerne cette action.",
    )


def scenario_sheet(plan: m.Plan, s: m.Scenario, templates: Templates, year: int) -> Document:
    """The sheet of a scenario."""
    program = plan.program_of(s.id)
    doc = Document(f"scenarios/{s.id}", s.name, "Fiche scénario")
    if s.description:
        doc.para(s.description, css="lead")
    doc.facts(
        [
            ("Programme", Link(program.name, f"index#programme-{program.id}")),
            ("Objectif", s.objective or program.objective),
            ("Cible", _target(plan, s)),
            ("Déclencheur", w.trigger(s.trigger)),
            ("Condition du déclencheur", Code(s.trigger.where) if s.trigger.where else None),
            ("Canaux", ", ".join(w.channel(c) for c in s.channels)),
            ("Priorité", str(s.priority)),
            ("Groupe témoin", w.share(s.holdout) if s.holdout else "aucun"),
            ("Identifiant", Code(s.id)),
        ]
    )
    doc.heading("Conditions d'entrée")
    conventions = plan.conventions.exclusions
    doc.facts(
        [
            ("Condition", Code(s.when) if s.when else "aucune"),
            ("Ré-entrée", w.reentry(s.reentry)),
            ("Report maximal", f"{w.duration(s.max_delay)} (pression marketing, trêves)"),
            ("En cas de trêve", w.CONFLICT[s.on_conflict]),
        ]
    )
    doc.table(
        ["Exclusion", "Condition", "Description"],
        [
            [
                Code(name),
                Code(conventions[name].when) if name in conventions else "—",
                conventions[name].description if name in conventions else "",
            ]
            for name in s.exclude
        ],
        empty="Aucune exclusion.",
    )
    doc.heading("Logigramme")
    doc.figure(flow_diagram(plan, s, templates), f"scenarios/{s.id}.svg", f"Logigramme — {s.name}")
    doc.heading("Temps de contact")
    rows: list[list[Inline]] = []
    for step in s.steps:
        timing = [w.duration(step.wait) if step.wait.amount else "aussitôt"]
        if step.at is not None:
            timing.append(f"à {step.at.strftime('%H:%M')}")
        fallback: Inline = "—"
        if step.fallback is not None:
            fallback = [
                w.channel(step.fallback.channel),
                " — ",
                _template(step.fallback.template or step.template, templates),
            ]
        rows.append(
            [
                Strong((step.id or "").upper()),
                step.name,
                ", ".join(timing),
                Code(step.if_) if step.if_ else "—",
                w.channel(step.channel),
                _template(step.template, templates),
                _offer(plan, step.offer),
                fallback,
            ]
        )
    doc.table(["Temps", "Nom", "Attente", "Condition", "Canal", "Modèle", "Offre", "Repli"], rows)
    doc.heading("Objectif et sortie")
    doc.facts(
        [
            (
                "Objectif",
                [w.goal(s.goal), " — ", Code(s.goal.where)]
                if s.goal and s.goal.where
                else (w.goal(s.goal) if s.goal else "aucun (conversions non mesurées)"),
            ),
            ("Fenêtre d'attribution", w.duration(s.attribution_window)),
            (
                "Sortie anticipée",
                join([[Code(r.event), f" si {r.where}" if r.where else ""] for r in s.exit_when])
                or "aucune",
            ),
        ]
    )
    _kpis(doc, plan, s)
    _needs(doc, plan, s, templates)
    _priority(doc, plan, s)
    _blackouts(doc, plan, s, year)
    return doc


def campaign_sheet(plan: m.Plan, c: m.Campaign, templates: Templates, year: int) -> Document:
    """The sheet of a campaign."""
    program = plan.program_of(c.id)
    doc = Document(f"campaigns/{c.id}", c.name, "Fiche campagne")
    if c.description:
        doc.para(c.description, css="lead")
    fallback: Inline | None = None
    if c.fallback is not None:
        fallback = [
            w.channel(c.fallback.channel),
            " — ",
            _template(c.fallback.template or c.template, templates),
        ]
    doc.facts(
        [
            ("Programme", Link(program.name, f"index#programme-{program.id}")),
            ("Objectif", c.objective or program.objective),
            ("Cible", _target(plan, c)),
            ("Condition", Code(c.when) if c.when else None),
            ("Quand", w.recurrence(plan, c)),
            ("Canal", w.channel(c.channel)),
            ("Modèle", _template(c.template, templates)),
            ("Offre", _offer(plan, c.offer) if c.offer else None),
            ("Repli", fallback),
            ("Priorité", str(c.priority)),
            ("Groupe témoin", w.share(c.holdout) if c.holdout else "aucun"),
            ("Objectif de conversion", w.goal(c.goal) if c.goal else None),
            ("Fenêtre d'attribution", w.duration(c.attribution_window)),
            ("Identifiant", Code(c.id)),
        ]
    )
    doc.heading(f"Envois {year}")
    sends = [s for s in campaign_sends(plan, year) if s.campaign.id == c.id]
    shown = sends
    if len(sends) > 12:
        # A weekly rhythm needs no list of 52 dates: say it, then show the exceptions.
        first, last = sends[0].moment.date(), sends[-1].moment.date()
        doc.para(f"{len(sends)} envois, du {w.day(first)} au {w.day(last)}.")
        shown = [s for s in sends if s.blackout is not None]
    rows: list[list[Inline]] = []
    for send in shown:
        status: Inline = "prévu"
        if send.blackout is not None:
            name = send.blackout.name or send.blackout.id
            held = f"reporté au {w.day(send.postponed_to)}" if send.postponed_to else "abandonné"
            status = Styled(f"trêve « {name} » : {held}", "warn" if send.postponed_to else "bad")
        rows.append(
            [w.day(send.moment.date(), weekday=True), send.moment.strftime("%H:%M"), status]
        )
    empty = f"Aucun envoi en {year}." if not sends else "Aucun envoi touché par une trêve."
    doc.table(["Date", "Heure", "Statut"], rows, empty=empty)
    doc.para("Voir le ", Link(f"calendrier {year}", "calendar"), ".", css="muted")
    _kpis(doc, plan, c)
    _needs(doc, plan, c, templates)
    _priority(doc, plan, c)
    _blackouts(doc, plan, c, year)
    return doc
