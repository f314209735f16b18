"""The data-collection map: its syntax, what each action needs, and the validator's errors."""

from __future__ import annotations

from pathlib import Path

from animato.plan import inspect_plan
from animato.plan.collection import needs
from tests.plan.planfiles import line_of, write_plan

PROGRAM = "programs/accueil.yaml"
MAP = """\
collection:
  - stage: inscription
    name: Inscription newsletter
    touchpoint: site
    collects:
      - {field: email, why: Envoyer la newsletter, consent: email}
      - {field: first_name, why: Personnaliser}
      - {field: country, why: Offres du pays}
      - {event: newsletter_signup, why: Accueillir}
  - stage: achat
    collects:
      - {event: purchase, why: Remercier, consent: contract}
      - {field: phone, why: Prévenir de la livraison, consent: sms}
  - stage: fidelite
    collects:
      - {field: loyalty_joined_at, why: Fêter l'adhésion, consent: contract, timing: later}
  - stage: sav
    collects:
      - {event: complaint_opened, why: Ne rien vendre à un client mécontent}
programs: [accueil]
"""


def with_map(folder: Path, old: str = "", new: str = "") -> Path:
    text = MAP.replace(old, new, 1) if old else MAP
    return write_plan(folder, plan=("programs: [accueil]\n", text))


def test_a_complete_map_is_valid_and_says_what_each_action_reads(tmp_path: Path) -> None:
    result = inspect_plan(with_map(tmp_path / "p"))
    assert result.errors == []
    plan = result.plan
    assert plan is not None
    assert [s.stage for s in plan.collection] == ["inscription", "achat", "fidelite", "sav"]
    assert plan.collection[2].collects[0].timing == "later"
    bienvenue, anniversaire = plan.scenarios
    read = {(n.kind, n.name, n.use) for n in needs(plan, bienvenue, result.templates)}
    assert read == {
        ("event", "purchase", "target 'prospect'"),
        ("event", "newsletter_signup", "trigger"),
        ("field", "country", "condition 'when'"),
        ("event", "complaint_opened", "exclusion 'open_complaint'"),
        ("event", "purchase", "goal"),
        ("field", "email", "channel email"),
        ("field", "first_name", "template bienvenue"),
        ("field", "phone", "channel sms"),
        ("field", "first_name", "template rappel"),
    }
    dates = [n for n in needs(plan, anniversaire, result.templates) if n.use == "trigger"]
    assert [(n.kind, n.name) for n in dates] == [("field", "loyalty_joined_at")]


def test_a_field_a_trigger_needs_and_no_stage_collects_is_an_error_where_it_is_read(
    tmp_path: Path,
) -> None:
    old = "{field: loyalty_joined_at, why: Fêter l'adhésion, consent: contract, timing: later}"
    folder = with_map(tmp_path / "p", old, "{event: purchase, why: Fidélité}")
    [error] = inspect_plan(folder).errors
    assert error.file.endswith(PROGRAM)
    assert error.line == line_of(folder, PROGRAM, "trigger: {date: loyalty_joined_at")
    assert error.message == (
        "'anniversaire' needs customer field 'loyalty_joined_at' (trigger), which no stage of "
        "the data-collection map collects"
    )
    assert "add {field: loyalty_joined_at" in error.hint


def test_a_field_a_template_reads_is_reported_at_its_line_in_the_template(
    tmp_path: Path,
) -> None:
    folder = with_map(tmp_path / "p", "      - {field: first_name, why: Personnaliser}\n", "")
    errors = inspect_plan(folder).errors
    places = {(Path(e.file).name, e.line) for e in errors}
    assert ("rappel.liquid", 1) in places
    assert ("bienvenue.mjml", line_of(folder, "templates/bienvenue.mjml", "Bonjour")) in places
    assert all("first_name" in e.message for e in errors)


def test_the_map_names_known_fields_and_events(tmp_path: Path) -> None:
    folder = with_map(tmp_path / "p", "{field: country,", "{field: contry,")
    errors = inspect_plan(folder).errors
    unknown = [e for e in errors if e.message == "unknown customer field 'contry'"]
    assert len(unknown) == 1 and unknown[0].hint == "did you mean 'country'?"
    assert unknown[0].line == line_of(folder, "plan.yaml", "contry")
    both = with_map(tmp_path / "q", "{event: purchase, why", "{event: purchase, field: email, why")
    [error] = inspect_plan(both).errors
    assert "exactly one of 'field'" in error.message
