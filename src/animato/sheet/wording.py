"""French wording of plan objects for the sheets: channels, durations, triggers, offers, dates.

The plans and their readers are French, so the documents are too; the words live here so that
every page says the same thing the same way.
"""

from __future__ import annotations

from datetime import date

from animato.plan import model as m
from animato.plan.durations import Duration
from animato.plan.seasons import LABELS_FR

NBSP = "\u202f"
CHANNELS = {"email": "E-mail", "sms": "SMS", "call": "Appel", "postal": "Courrier", "push": "Push"}
WEEKDAYS = {
    "monday": "lundi",
    "tuesday": "mardi",
    "wednesday": "mercredi",
    "thursday": "jeudi",
    "friday": "vendredi",
    "saturday": "samedi",
    "sunday": "dimanche",
}
MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)
MONTHS_SHORT = (
    "janv.",
    "févr.",
    "mars",
    "avr.",
    "mai",
    "juin",
    "juil.",
    "août",
    "sept.",
    "oct.",
    "nov.",
    "déc.",
)
METRICS = {
    "entrants": "Entrants",
    "messages_sent": "Messages envoyés",
    "open_rate": "Taux d'ouverture",
    "click_rate": "Taux de clic",
    "unsubscribe_rate": "Taux de désabonnement",
    "conversion_rate": "Taux de conversion",
    "revenue": "Chiffre d'affaires",
    "average_basket": "Panier moyen",
    "incremental_conversion": "Conversion incrémentale",
    "incremental_revenue": "CA additionnel",
}
CRITERIA = {
    "business_impact": "Impact business",
    "data_availability": "Données disponibles",
    "feasibility": "Faisabilité",
    "content_ready": "Contenus prêts",
    "legal": "Juridique",
    "customer_interest": "Intérêt client",
}
CRITERIA_SHORT = {
    "business_impact": "Impact",
    "data_availability": "Données",
    "feasibility": "Faisabilité",
    "content_ready": "Contenus",
    "legal": "Juridique",
    "customer_interest": "Intérêt client",
}
CONFLICT = {"postpone": "reporté", "drop": "abandonné"}
_UNITS = {"m": "min", "h": "h", "d": "j", "w": "sem.", "mo": "mois", "y": "an"}


def channel(name: str) -> str:
    """The French name of a channel."""
    return CHANNELS.get(name, name)


def duration(value: Duration) -> str:
    """A duration the French way: ``3 j``, ``48 h``, ``6 mois``, ``2 ans``."""
    unit = _UNITS[value.unit]
    if value.unit == "y" and abs(value.amount) > 1:
        unit = "ans"
    return f"{value.amount}{NBSP}{unit}"


def offset(value: Duration) -> str:
    """A signed offset: ``14 j avant``, ``2 j après``, ``le jour même``."""
    if value.amount == 0:
        return "le jour même"
    positive = Duration(abs(value.amount), value.unit)
    return f"{duration(positive)} {'avant' if value.amount < 0 else 'après'}"


def day(value: date, *, weekday: bool = False) -> str:
    """A date in words: ``11 décembre 2026`` (``vendredi 11 décembre 2026`` with weekday)."""
    text = f"{value.day} {MONTHS[value.month - 1]} {value.year}"
    if weekday:
        text = f"{list(WEEKDAYS.values())[value.weekday()]} {text}"
    return text


def day_short(value: date) -> str:
    """A date in a table cell: ``11 déc.``."""
    return f"{value.day}{NBSP}{MONTHS_SHORT[value.month - 1]}"


def money(value: float, currency: str = "EUR") -> str:
    """An amount with thousands separated: ``12 000 €``."""
    symbol = {"EUR": "€", "USD": "$", "GBP": "£", "CHF": "CHF"}.get(currency, currency)
    return f"{value:,.0f}".replace(",", NBSP) + f"{NBSP}{symbol}"


def share(value: float) -> str:
    """A share as a percentage: ``10 %``."""
    text = f"{value * 100:.1f}".rstrip("0").rstrip(".").replace(".", ",")
    return f"{text}{NBSP}%"


def season_name(plan: m.Plan, name: str) -> str:
    """The label of a season or of a brand event."""
    for event in plan.brand_events:
        if event.id == name:
            return event.name
    return LABELS_FR.get(name, name)


def trigger(t: m.Trigger) -> str:
    """What starts a scenario, in a sentence (the ``where`` condition is shown apart)."""
    if t.event is not None:
        return f"Événement « {t.event} »"
    if t.inactive is not None:
        spec = t.inactive
        if spec.for_ == "cadence":
            since = (
                f"{spec.factor:g} × son rythme habituel (dès {spec.min_events} événements ; "
                f"sinon {duration(spec.default)})"
            )
        else:
            since = duration(spec.for_)
        scope = " — au niveau du compte" if spec.scope == "account" else ""
        return f"Inactivité : aucun « {spec.event} » depuis {since}{scope}"
    if t.date is not None:
        text = f"Date « {t.date} », {offset(t.offset)}"
        if t.years == "every":
            text += ", chaque année"
        elif t.years:
            text += ", anniversaires : " + ", ".join(str(y) for y in t.years) + " ans"
        if t.late_within.amount:
            text += f" (rattrapage sous {duration(t.late_within)})"
        return text
    verb = "Entrée dans" if t.on == "enter" else "Sortie du"
    return f"{verb} le segment « {t.segment} »"


def recurrence(plan: m.Plan, c: m.Campaign) -> str:
    """When a campaign goes out, in a sentence."""
    if c.at is not None:
        return f"Le {day(c.at.date())} à {c.at.strftime('%H:%M')}"
    every = c.every
    assert every is not None
    at = every.time.strftime("%H:%M")
    if every.season is not None:
        moment = season_name(plan, every.season)
        when = "" if every.offset.amount == 0 else f", {offset(every.offset)}"
        return f"Chaque année : {moment}{when}, à {at}"
    shift = "" if every.offset.amount == 0 else f" (décalé de {duration(every.offset)})"
    if every.weekday is not None:
        return f"Chaque {WEEKDAYS[every.weekday]} à {at}{shift}"
    return f"Le {every.month_day} de chaque mois à {at}{shift}"


def reentry(value: m.Reentry) -> str:
    """The re-entry rule in words."""
    if value.kind == "after" and value.after is not None:
        return f"possible après {duration(value.after)}"
    if value.kind == "max" and value.per is not None:
        return f"au plus {value.count} fois par {duration(value.per)}"
    return "jamais (une seule fois par client)"


def mechanics(o: m.Offer, currency: str = "EUR") -> str:
    """What an offer gives: ``-10 %``, ``-5 €``, ``livraison offerte`` (empty for none)."""
    if o.kind == "percent":
        return f"-{o.value:g}{NBSP}%" if o.value is not None else "remise"
    if o.kind == "amount":
        return f"-{money(o.value, currency)}" if o.value is not None else "remise"
    if o.kind == "points":
        return f"{o.value:g} points" if o.value is not None else "points"
    return {"gift": "cadeau", "free_shipping": "livraison offerte"}.get(o.kind, "")


def offer(o: m.Offer, currency: str = "EUR") -> str:
    """An offer with its mechanics: ``Bienvenue (-10 %, code DIX, valable 30 j)``."""
    details = [d for d in (mechanics(o, currency), f"code {o.code}" if o.code else "") if d]
    if o.valid_for is not None:
        details.append(f"valable {duration(o.valid_for)}")
    return f"{o.label} ({', '.join(details)})" if details else o.label


def goal(g: m.Goal) -> str:
    """A goal in words: ``« purchase » sous 30 j``."""
    return f"« {g.event} » sous {duration(g.within)}"


def kpi_target(k: m.Kpi, currency: str = "EUR") -> str:
    """A KPI's target formatted for its metric."""
    if k.target is None:
        return ""
    if k.metric in ("revenue", "average_basket", "incremental_revenue"):
        return money(k.target, currency)
    if (k.metric.endswith("_rate") or k.metric == "incremental_conversion") and k.target <= 1:
        return share(k.target)
    return f"{k.target:g}"
