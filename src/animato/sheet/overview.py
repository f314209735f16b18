"""The overview page: the plan at a glance, its programs, conventions, offers and templates.

This is the seeds' "plan marketing relationnel" document: a synoptic view of every program
(objective, KPIs, target, actions), then the internal conventions (definitions, segments,
lifecycle, exclusions, consent, marketing pressure, blackouts, senders) and the offers.
"""

from __future__ import annotations

from animato.plan import model as m
from animato.plan.templates import TemplateSource
from animato.sheet import wording as w
from animato.sheet.document import Code, Document, Inline, Link, Strong, join
from animato.sheet.planning import scope_text
from animato.sheet.tree import action_summary, channels_of

Action = m.Scenario | m.Campaign


def _page(action: Action) -> str:
    return f"{'scenarios' if isinstance(action, m.Scenario) else 'campaigns'}/{action.id}"


def centricity(plan: m.Plan) -> float:
    """Share of actions started by the customer's own behaviour (event, inactivity, date)."""
    total = len(plan.scenarios) + len(plan.campaigns)
    own = [s for s in plan.scenarios if s.trigger.kind in ("event", "inactive", "date")]
    return len(own) / total if total else 0.0


def _programs(doc: Document, plan: m.Plan) -> None:
    doc.heading("Programmes")
    doc.table(
        ["Programme", "Objectif", "Cible", "KPIs", "Scénarios", "Campagnes"],
        [
            [
                Link(p.name, f"index#programme-{p.id}"),
                p.objective,
                p.target or "toute la base",
                ", ".join(k.name for k in p.kpis) or "—",
                str(len(p.scenarios)),
                str(len(p.campaigns)),
            ]
            for p in plan.programs
        ],
        numeric=[4, 5],
        empty="Aucun programme.",
    )
    for p in plan.programs:
        doc.heading(f"Programme {p.name}", 3, anchor=f"programme-{p.id}")
        doc.facts(
            [
                ("Objectif", p.objective),
                ("Cible", p.target or "toute la base"),
                (
                    "KPIs",
                    "; ".join(
                        f"{k.name} ({w.METRICS[k.metric]}"
                        + (
                            f", objectif {w.kpi_target(k, plan.currency)})"
                            if k.target is not None
                            else ")"
                        )
                        for k in p.kpis
                    ),
                ),
            ]
        )
        doc.table(
            ["Action", "Type", "Déclencheur / rythme", "Canaux", "Priorité", "Témoin"],
            [
                [
                    Link(a.name, _page(a)),
                    "Scénario" if isinstance(a, m.Scenario) else "Campagne",
                    action_summary(plan, a),
                    channels_of(a),
                    str(a.priority),
                    w.share(a.holdout) if a.holdout else "—",
                ]
                for a in p.actions
            ],
            numeric=[4],
            empty="Aucune action dans ce programme.",
        )


def _conventions(doc: Document, plan: m.Plan) -> None:
    conv = plan.conventions
    doc.heading("Conventions internes")
    doc.heading("Définitions et segments", 3)
    doc.table(
        ["Nom", "Nature", "Condition"],
        [[Code(n), "définition", Code(t)] for n, t in conv.definitions.items()]
        + [[Code(n), "segment", Code(t)] for n, t in conv.segments.items()],
        empty="Aucune définition.",
    )
    doc.heading("Phases de vie", 3)
    doc.table(
        ["Ordre", "Phase", "Condition", "Description"],
        [
            [str(i), Code(s.stage), Code(s.when), s.description]
            for i, s in enumerate(conv.lifecycle, 1)
        ],
        numeric=[0],
        empty="Aucune phase de vie définie.",
    )
    doc.heading("Exclusions", 3)
    doc.table(
        ["Exclusion", "Condition", "Sauf pour", "Description"],
        [
            [Code(n), Code(e.when), ", ".join(e.except_) or "—", e.description]
            for n, e in conv.exclusions.items()
        ],
        empty="Aucune règle d'exclusion.",
    )
    doc.heading("Pression marketing", 3)
    caps = conv.pressure.caps
    doc.table(
        ["Canal", "Par jour", "Par semaine", "Par mois"],
        [
            [
                "Tous canaux" if ch == "all" else w.channel(ch),
                *[
                    str(v) if (v := getattr(c, k)) is not None else "—"
                    for k in ("day", "week", "month")
                ],
            ]
            for ch, c in caps.items()
        ],
        numeric=[1, 2, 3],
        empty="Aucun plafond de pression.",
    )
    quiet = conv.quiet_hours
    doc.facts(
        [
            (
                "Écart minimal entre deux messages",
                w.duration(conv.pressure.min_gap) if conv.pressure.min_gap else "aucun",
            ),
            (
                "Heures calmes",
                f"de {quiet.start.strftime('%H:%M')} à {quiet.end.strftime('%H:%M')}"
                + (", et le " + ", ".join(w.WEEKDAYS[d] for d in quiet.days) if quiet.days else "")
                if quiet
                else "aucune",
            ),
        ]
    )
    doc.heading("Trêves", 3)
    rows: list[list[Inline]] = []
    for b in conv.blackouts:
        when = (
            f"pendant : {w.season_name(plan, b.during)}"
            if b.during
            else f"du {w.day(b.from_)} au {w.day(b.to)}"
            if b.from_ and b.to
            else ""
        )
        rows.append(
            [
                b.name or b.id,
                when,
                scope_text(b),
                w.CONFLICT[b.on_conflict] if b.on_conflict else "selon le message",
            ]
        )
    doc.table(["Trêve", "Dates", "Portée", "En cas de conflit"], rows, empty="Aucune trêve.")
    doc.para(
        "Dates résolues par année : voir le ", Link("calendrier", "calendar"), ".", css="muted"
    )
    doc.heading("Consentements et expéditeurs", 3)
    channels = list(dict.fromkeys([*conv.consent, *conv.senders]))
    doc.table(
        ["Canal", "Consentement requis", "Expéditeur", "Adresse"],
        [
            [
                w.channel(ch),
                conv.consent.get(ch, "—"),
                conv.senders[ch].name if ch in conv.senders else "—",
                Code(conv.senders[ch].address)
                if ch in conv.senders and conv.senders[ch].address
                else "—",
            ]
            for ch in channels
        ],
    )


def _offers(doc: Document, plan: m.Plan) -> None:
    doc.heading("Offres")
    doc.table(
        ["Offre", "Mécanique", "Code", "Validité", "Offre de repli"],
        [
            [
                Strong(o.label),
                w.mechanics(o, plan.currency) or "—",
                Code(o.code) if o.code else "—",
                w.duration(o.valid_for) if o.valid_for else "—",
                plan.offer(o.fallback).label if o.fallback else "—",
            ]
            for o in plan.offers
        ],
        empty="Aucune offre.",
    )


def _templates(doc: Document, plan: m.Plan, templates: dict[str, TemplateSource]) -> None:
    users: dict[str, list[Action]] = {}
    for s in plan.scenarios:
        for step in s.steps:
            for name in (step.template, step.fallback.template if step.fallback else None):
                if name and s not in users.setdefault(name, []):
                    users[name].append(s)
    for c in plan.campaigns:
        for name in (c.template, c.fallback.template if c.fallback else None):
            if name:
                users.setdefault(name, []).append(c)
    doc.heading("Modèles de messages")
    doc.table(
        ["Modèle", "Objet", "Utilisé par"],
        [
            [
                Code(t.path.name),
                t.matter.get("subject", "—"),
                join([Link(a.name, _page(a)) for a in users.get(name, [])]) or "inutilisé",
            ]
            for name, t in templates.items()
        ],
        empty="Aucun modèle.",
    )


def overview_page(plan: m.Plan, templates: dict[str, TemplateSource], year: int) -> Document:
    """The index page of the site."""
    doc = Document("index", plan.name, "Plan marketing relationnel")
    if plan.description:
        doc.para(plan.description, css="lead")
    doc.facts(
        [
            (
                "Contenu",
                f"{len(plan.programs)} programmes, {len(plan.scenarios)} scénarios, "
                f"{len(plan.campaigns)} campagnes, {len(templates)} modèles",
            ),
            (
                "Centricité client",
                f"{w.share(centricity(plan))} des actions sont déclenchées par le "
                "comportement du client",
            ),
            ("Témoin global", w.share(plan.global_control) if plan.global_control else "aucun"),
            ("Fuseau horaire", plan.timezone),
            ("Devise", plan.currency),
            (
                "Documents",
                [
                    Link("Arbre des scénarios", "tree"),
                    " · ",
                    Link(f"Calendrier {year}", "calendar"),
                    " · ",
                    Link("Matrice de priorisation", "matrix"),
                ],
            ),
        ]
    )
    _programs(doc, plan)
    _conventions(doc, plan)
    _offers(doc, plan)
    _templates(doc, plan, templates)
    return doc
