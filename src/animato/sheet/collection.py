"""The data-collection map page ("cartographie de la collecte"): per journey stage, the data
collected, why, under which consent or legal basis, in real time or later, and the scenarios
and campaigns that read it; then what the plan reads that no stage collects.
"""

from __future__ import annotations

from animato.plan import model as m
from animato.plan.collection import collected, needs
from animato.plan.templates import TemplateSource
from animato.sheet import wording as w
from animato.sheet.document import Document, Inline, Link, Strong, Styled, join

BASES = {
    "contract": "Contrat (exécution de la commande, du programme)",
    "legitimate_interest": "Intérêt légitime",
    "legal_obligation": "Obligation légale",
}
TIMING = {"real_time": "Temps réel", "later": "Différé"}


def consent_label(plan: m.Plan, consent: str | None) -> str:
    """What a collected item's consent says: a channel's opt-in and its purpose, or a basis."""
    if consent is None:
        return "—"
    if consent in BASES:
        return BASES[consent]
    purpose = plan.conventions.consent.get(consent, "marketing")  # type: ignore[call-overload]
    return f"Opt-in {w.CHANNELS[consent]} ({purpose})"


def readers(
    plan: m.Plan, templates: dict[str, TemplateSource]
) -> dict[tuple[str, str], list[m.Scenario | m.Campaign]]:
    """(kind, name) → the actions that read it, in plan order."""
    out: dict[tuple[str, str], list[m.Scenario | m.Campaign]] = {}
    actions: list[m.Scenario | m.Campaign] = [*plan.scenarios, *plan.campaigns]
    for action in actions:
        for need in needs(plan, action, templates):
            users = out.setdefault((need.kind, need.name), [])
            if action not in users:
                users.append(action)
    return out


def collection_page(plan: m.Plan, templates: dict[str, TemplateSource]) -> Document:
    """The map page of the site."""
    doc = Document("collection", "Cartographie de la collecte", "Données clients")
    doc.para(
        "À chaque étape du parcours client, les données collectées, pourquoi, avec quel "
        "consentement, et si elles arrivent en temps réel ou en différé. Pour chaque donnée, "
        "les scénarios et campagnes qui en ont besoin : sans elle, ils ne touchent que les "
        "clients qui l'ont (mode dégradé).",
        css="lead",
    )
    if not plan.collection:
        doc.para("Le plan ne déclare pas de cartographie de la collecte (clé collection).")
        return doc
    users = readers(plan, templates)
    for stage in plan.collection:
        doc.heading(stage.name or stage.stage, anchor=f"etape-{stage.stage}")
        if stage.touchpoint:
            doc.para("Point de contact : ", Strong(stage.touchpoint))
        rows: list[list[Inline]] = []
        for item in stage.collects:
            kind = "field" if item.field else "event"
            readers_ = users.get((kind, item.name), [])
            links: list[Inline] = [
                Link(a.name, f"{'scenarios' if isinstance(a, m.Scenario) else 'campaigns'}/{a.id}")
                for a in readers_
            ]
            rows.append(
                [
                    Strong(item.name),
                    "Champ client" if kind == "field" else "Événement",
                    item.why,
                    consent_label(plan, item.consent),
                    Styled(TIMING[item.timing], f"timing {item.timing}"),
                    join(links) if links else Styled("—", "muted"),
                ]
            )
        doc.table(["Donnée", "Nature", "Pourquoi", "Consentement", "Arrivée", "Utilisée par"],
                  rows, css="collection")  # fmt: skip
    have = collected(plan)
    missing = sorted(key for key in users if key not in have)
    doc.heading("Données lues par le plan et non collectées")
    doc.table(
        ["Donnée", "Nature", "Lue par"],
        [
            [
                Strong(name),
                "Champ client" if kind == "field" else "Événement",
                ", ".join(a.name for a in users[(kind, name)]),
            ]
            for kind, name in missing
        ],  # fmt: skip
        empty="Aucune : chaque donnée lue par un scénario ou une campagne est collectée.",
    )
    return doc
