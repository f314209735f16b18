"""A small valid plan, written to a folder by tests that then break one thing in it."""

from __future__ import annotations

from pathlib import Path

PLAN = """\
name: Test
salt: s3l
timezone: Europe/Paris
global_control: 5%
data:
  customer:
    first_name: string
    birth_date: date
    loyalty_joined_at: date
    country: {type: category, values: [FR, BE]}
  events:
    purchase:
      properties: {amount: number, category: string}
    newsletter_signup:
      properties: {source: string}
    complaint_opened: {}
conventions:
  definitions:
    active_customer: "count(purchase, 365d) >= 1"
  segments:
    loyal: "count(purchase, 365d) >= 3"
  lifecycle:
    - {stage: prospect, when: "count(purchase) == 0"}
    - {stage: client, when: "count(purchase) > 0"}
  exclusions:
    open_complaint: {when: "count(complaint_opened, 30d) > 0", except: [bienvenue]}
  pressure:
    caps: {all: {week: 3}, sms: {month: 2}}
    min_gap: 48h
  blackouts:
    - {id: treve, from: 2027-01-13, to: 2027-02-09, scope: scenarios}
offers:
  - {id: dix, label: "-10 %", kind: percent, value: 10, code: DIX, valid_for: 30d}
programs: [accueil]
"""

PROGRAM = """\
id: accueil
name: Accueil
objective: Convertir les inscrits
target: prospect
kpis: [{name: Conversion, metric: conversion_rate}]
scenarios:
  - id: bienvenue
    name: Bienvenue
    trigger: {event: newsletter_signup, where: "event.source == 'site'"}
    when: "country == 'FR'"
    exclude: [open_complaint]
    holdout: 10%
    priority: 60
    goal: {event: purchase, within: 30d}
    steps:
      - {id: t1, channel: email, template: bienvenue, offer: dix}
      - {id: t2, wait: 3d, at: "10:00", if: "not opened('t1')", channel: sms, template: rappel}
  - id: anniversaire
    name: Anniversaire
    trigger: {date: loyalty_joined_at, years: [1, 5, 10]}
    priority: 40
    goal: {event: purchase}
    steps:
      - {channel: email, template: bienvenue, if: "anniversary.years >= 5"}
campaigns:
  - id: noel
    name: Noël
    every: {season: christmas, offset: -14d}
    channel: email
    template: bienvenue
"""

EMAIL = """\
---
subject: "Bienvenue {{ customer.first_name }}"
---
<mjml><mj-body><mj-text>
Bonjour {{ customer.first_name }}, {{ offer.code }}
</mj-text></mj-body></mjml>
"""

SMS = "Bonjour {{ customer.first_name }}, -10 % avec {{ offer.code }}. STOP au 36111\n"

FILES = {
    "plan.yaml": PLAN,
    "programs/accueil.yaml": PROGRAM,
    "templates/bienvenue.mjml": EMAIL,
    "templates/rappel.liquid": SMS,
}


def write_plan(folder: Path, **changes: tuple[str, str]) -> Path:
    """Write the base plan into ``folder``; ``changes`` maps a file key to (old, new) text."""
    keys = {
        "plan": "plan.yaml",
        "program": "programs/accueil.yaml",
        "email": "templates/bienvenue.mjml",
        "sms": "templates/rappel.liquid",
    }
    for name, text in FILES.items():
        for key, (old, new) in changes.items():
            if keys[key] == name:
                assert old in text, f"{old!r} not in {name}"
                text = text.replace(old, new, 1)
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return folder


def line_of(folder: Path, name: str, needle: str) -> int:
    """1-based line of the first occurrence of ``needle`` in a written plan file."""
    for number, line in enumerate((folder / name).read_text().splitlines(), 1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {name}")
