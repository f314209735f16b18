"""The campaign planning page ("planning des campagnes") of a year.

A 12-month Gantt chart drawn in SVG (seasons, brand events, public holidays, blackouts, and one
row of sends per campaign, hollow where a blackout holds the send), then the same facts as
tables: campaigns with their dates and conflicts, month by month, blackouts. Dates come from
:mod:`animato.sheet.calendar`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from animato.plan import model as m
from animato.plan.seasons import SEASONS, Period, season
from animato.sheet import wording as w
from animato.sheet.calendar import (
    Send,
    blackout_period,
    campaign_sends,
    holidays_fr,
    moment_period,
)
from animato.sheet.document import Code, Document, Inline, Link, Styled, join
from animato.sheet.svg import CHANNEL_COLOURS, INK, MUTED, Canvas, fit


def _month(year: int, month: int) -> Period:
    """First and last day of a month."""
    start = date(year, month, 1)
    return start, date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)


LABEL_W, CHART_W, ROW_H, HEAD_H, GAP = 200.0, 880.0, 22.0, 30.0, 8.0
SECTIONS = {"season": "Temps forts", "blackout": "Trêves", "campaign": "Campagnes"}


@dataclass
class _Row:
    label: str
    kind: str
    marks: list[tuple[date, date, str, str]]  # first day, last day, colour, tooltip
    page: str = ""
    hollow: frozenset[date] = frozenset()


def _rows(plan: m.Plan, year: int, sends: list[Send]) -> list[_Row]:
    rows: list[_Row] = []
    for name in SEASONS:
        start, end = season(name, year)
        rows.append(_Row(w.season_name(plan, name), "season", [(start, end, "#0891b2", name)]))
    for event in plan.brand_events:
        period = moment_period(plan, event.id, year)
        if period:
            rows.append(_Row(event.name, "season", [(*period, "#0e7490", event.name)]))
    holidays = [(d, d, "#64748b", f"{w.day(d)} : {n}") for d, n in holidays_fr(year).items()]
    rows.append(_Row("Jours fériés", "holiday", holidays))
    for b in plan.conventions.blackouts:
        period = blackout_period(plan, b, year)
        marks = [(*period, "#9ca3af", f"{b.name or b.id}")] if period else []
        rows.append(_Row(b.name or b.id, "blackout", marks))
    for c in plan.campaigns:
        mine = [s for s in sends if s.campaign.id == c.id]
        colour = CHANNEL_COLOURS.get(c.channel, INK)
        marks = [
            (s.moment.date(), s.moment.date(), colour, f"{c.name} — {w.day(s.moment.date())}")
            for s in mine
        ]
        held = frozenset(s.moment.date() for s in mine if s.blackout is not None)
        rows.append(_Row(c.name, "campaign", marks, f"campaigns/{c.id}", held))
    return rows


def gantt(plan: m.Plan, year: int, sends: list[Send], doc: Document) -> str:
    """The year as a Gantt chart: seasons, holidays, blackouts and campaign sends by month."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    per_day = CHART_W / ((last - first).days + 1)

    def x(day: date) -> float:
        return LABEL_W + (min(max(day, first), last) - first).days * per_day

    rows = _rows(plan, year, sends)
    tops: list[float] = []
    sections: list[tuple[float, str]] = []
    y = HEAD_H
    for i, row in enumerate(rows):
        if not i or row.kind != rows[i - 1].kind:
            y += GAP if i else 0
            if row.kind in SECTIONS:
                sections.append((y, SECTIONS[row.kind]))
                y += ROW_H - 2
        tops.append(y)
        y += ROW_H
    height = y + 8
    canvas = Canvas(f"calendar-{year}", f"Calendrier des campagnes {year}")
    for month in range(1, 13):
        start, end = _month(year, month)
        end += timedelta(days=1)
        fill = "#f8fafc" if month % 2 else "#ffffff"
        canvas.rect(x(start), 0, (end - start).days * per_day, height, fill=fill, stroke=fill, rx=0)
        canvas.line([(x(start), 0), (x(start), height)], stroke="#e5e7eb", width=1)
        canvas.text(x(start) + 4, 20, w.MONTHS_SHORT[month - 1], size=12, fill=MUTED)
    for top, label in sections:
        canvas.text(8, top + 15, label.upper(), size=10.5, fill=MUTED, weight="700", spacing=0.6)
    campaign_tops = [t for t, row in zip(tops, rows, strict=True) if row.kind == "campaign"]
    for b in plan.conventions.blackouts:
        period = blackout_period(plan, b, year)
        if period and campaign_tops and b.scope != "scenarios":
            days = (min(period[1], last) - max(period[0], first)).days + 1
            top = campaign_tops[0] - 3
            canvas.rect(
                x(period[0]),
                top,
                days * per_day,
                y - top,
                fill="#9ca3af",
                stroke="none",
                rx=0,
                width=0,
                opacity=0.18,
            )
    for top, row in zip(tops, rows, strict=True):
        canvas.open(f"row {row.kind}")
        if row.page:
            canvas.link(doc.href(row.page, ".html"))
        canvas.text(8, top + 15, fit(row.label, LABEL_W - 16, 12), size=12, fill=INK)
        if row.page:
            canvas.end_link()
        for start, end, colour, tip in row.marks:
            if row.kind == "campaign":
                cx, cy, r = x(start) + per_day / 2, top + ROW_H / 2, 5.0
                held = start in row.hollow
                canvas.polygon(
                    [(cx, cy - r), (cx + r, cy), (cx, cy + r), (cx - r, cy)],
                    fill="#ffffff" if held else colour,
                    stroke="#dc2626" if held else colour,
                    tooltip=tip + (" (trêve)" if held else ""),
                )
            elif row.kind == "holiday":
                canvas.rect(
                    x(start),
                    top + 4,
                    max(per_day, 2.5),
                    ROW_H - 8,
                    fill=colour,
                    stroke=colour,
                    rx=1,
                    width=0.5,
                    tooltip=tip,
                )
            else:
                width = max(((end - start).days + 1) * per_day, 4)
                light = "#e5e7eb" if row.kind == "blackout" else "#cffafe"
                canvas.rect(
                    x(start),
                    top + 5,
                    width,
                    ROW_H - 10,
                    fill=light,
                    stroke=colour,
                    rx=3,
                    tooltip=tip,
                )
        canvas.close()
    return canvas.render(LABEL_W + CHART_W + 10, height, css="diagram gantt")


def _send_days(sends: list[Send]) -> str:
    days = [s.moment.date() for s in sends]
    if not days:
        return "aucun"
    if len(days) <= 6:
        return ", ".join(w.day_short(d) for d in days)
    return f"{len(days)} envois, du {w.day_short(days[0])} au {w.day_short(days[-1])}"


def _conflict(s: Send) -> Inline:
    assert s.blackout is not None
    what = f"{w.day_short(s.moment.date())} : trêve « {s.blackout.name or s.blackout.id} », "
    if s.decision == "postpone" and s.postponed_to is not None:
        return Styled(what + f"reporté au {w.day_short(s.postponed_to)}", "warn")
    return Styled(what + "abandonné", "bad")


def calendar_page(plan: m.Plan, year: int) -> Document:
    """The calendar page of a year: the chart, campaign dates, blackouts, seasons, holidays."""
    doc = Document("calendar", f"Calendrier {year}", "Plan d'animation")
    sends = campaign_sends(plan, year)
    doc.para(
        "Les campagnes du plan sur l'année, avec les temps forts, les jours fériés et les trêves. "
        "Un losange creux marque un envoi tombant dans une trêve qui le concerne.",
        css="lead",
    )
    doc.figure(
        gantt(plan, year, sends, doc), f"calendar-{year}.svg", f"Calendrier {year}", css="wide"
    )
    doc.heading("Campagnes")
    rows: list[list[Inline]] = []
    for c in plan.campaigns:
        mine = [s for s in sends if s.campaign.id == c.id]
        rows.append(
            [
                Link(c.name, f"campaigns/{c.id}"),
                plan.program_of(c.id).name,
                w.channel(c.channel),
                w.recurrence(plan, c),
                _send_days(mine),
                join([_conflict(s) for s in mine if s.blackout is not None], "; ") or "—",
            ]
        )
    doc.table(
        ["Campagne", "Programme", "Canal", "Rythme", f"Envois {year}", "Trêves"],
        rows,
        empty="Aucune campagne dans le plan.",
    )
    doc.heading("Mois par mois")
    months: list[list[Inline]] = []
    holidays = holidays_fr(year)
    for month in range(1, 13):
        in_month = [s for s in sends if s.moment.month == month]
        names: list[str] = []
        for c in plan.campaigns:
            days = [s.moment.date() for s in in_month if s.campaign.id == c.id]
            if days:
                when = ", ".join(str(d.day) for d in days) if len(days) <= 3 else f"×{len(days)}"
                names.append(f"{c.name} ({when})")
        strong = [w.season_name(plan, n) for n in SEASONS if season(n, year)[0].month == month] + [
            e.name
            for e in plan.brand_events
            if (p := moment_period(plan, e.id, year)) and p[0].month == month
        ]
        start, end = _month(year, month)
        truces = [
            b.name or b.id
            for b in plan.conventions.blackouts
            if (p := blackout_period(plan, b, year)) and p[0] <= end and p[1] >= start
        ]
        off = [f"{d.day} : {n}" for d, n in holidays.items() if d.month == month]
        months.append(
            [
                w.MONTHS[month - 1].capitalize(),
                "; ".join(names) or "—",
                ", ".join(strong) or "—",
                ", ".join(truces) or "—",
                "; ".join(off) or "—",
            ]
        )
    doc.table(["Mois", "Campagnes", "Temps forts", "Trêves", "Jours fériés"], months)
    doc.heading("Trêves")
    doc.table(
        ["Trêve", "Période", "Portée", "En cas de conflit"],
        [
            [
                b.name or b.id,
                f"du {w.day(p[0])} au {w.day(p[1])}"
                if (p := blackout_period(plan, b, year))
                else f"hors {year}",
                scope_text(b),
                w.CONFLICT[b.on_conflict] if b.on_conflict else "selon le message",
            ]
            for b in plan.conventions.blackouts
        ],
        empty="Aucune trêve.",
    )
    return doc


def scope_text(b: m.Blackout) -> Inline:
    """What a blackout holds back, in words."""
    if isinstance(b.scope, list):
        return [Code(", ".join(b.scope))]
    return {"all": "tous les messages", "scenarios": "les scénarios", "campaigns": "les campagnes"}[
        b.scope
    ]
