"""The validator: one test per kind of error, each checking the reported file, line and message."""

from __future__ import annotations

from pathlib import Path

import pytest

from animato import PlanError, load_plan
from animato.errors import Problem
from animato.plan import inspect_plan
from tests.plan.planfiles import line_of, write_plan

PROGRAM = "programs/accueil.yaml"


def only_error(folder: Path) -> Problem:
    errors = inspect_plan(folder).errors
    assert len(errors) == 1, "\n".join(map(str, errors))
    return errors[0]


def test_base_plan_is_valid(tmp_path: Path) -> None:
    result = inspect_plan(write_plan(tmp_path / "p"))
    assert result.errors == []
    plan = result.plan
    assert plan is not None
    assert [s.id for s in plan.scenarios] == ["bienvenue", "anniversaire"]
    assert plan.scenarios[1].steps[0].id == "t1"  # steps are named t1, t2... when not given
    assert plan.scenarios[0].holdout == pytest.approx(0.10)
    assert str(plan.conventions.pressure.min_gap) == "48h"


def test_unknown_key_with_closest_name(tmp_path: Path) -> None:
    folder = write_plan(tmp_path / "p", program=("    priority: 60", "    priorty: 60"))
    error = only_error(folder)
    assert error.file.endswith(PROGRAM)
    assert error.line == line_of(folder, PROGRAM, "priorty")
    assert error.col == 5
    assert error.message == "unknown key 'priorty'"
    assert "priority" in error.hint


def test_wrong_type(tmp_path: Path) -> None:
    folder = write_plan(tmp_path / "p", program=("    priority: 60", "    priority: haute"))
    error = only_error(folder)
    assert error.line == line_of(folder, PROGRAM, "priority: haute")
    assert "priority" in error.message and "integer" in error.message


def test_bad_duration(tmp_path: Path) -> None:
    folder = write_plan(tmp_path / "p", program=("wait: 3d", "wait: 3 jours"))
    error = only_error(folder)
    assert error.line == line_of(folder, PROGRAM, "3 jours")
    assert "'3 jours' is not a duration" in error.message
    assert "30m, 48h, 7d" in error.message


def test_bad_date(tmp_path: Path) -> None:
    folder = write_plan(tmp_path / "p", plan=("from: 2027-01-13", "from: 2027-02-30"))
    error = only_error(folder)
    assert error.file.endswith("plan.yaml")
    assert error.line == line_of(folder, "plan.yaml", "2027-02-30")
    assert "from" in error.message and "date" in error.message


def test_duplicate_ids(tmp_path: Path) -> None:
    folder = write_plan(tmp_path / "p", program=("  - id: anniversaire", "  - id: bienvenue"))
    error = only_error(folder)
    assert error.line == line_of(folder, PROGRAM, "name: Anniversaire") - 1
    assert error.message == "duplicate scenario or campaign id 'bienvenue'"


def test_unknown_scenario_reference(tmp_path: Path) -> None:
    folder = write_plan(tmp_path / "p", plan=("except: [bienvenue]", "except: [bienvenu]"))
    error = only_error(folder)
    assert error.line == line_of(folder, "plan.yaml", "except: [bienvenu]")
    assert error.message == "unknown scenario 'bienvenu'"
    assert error.hint == "did you mean 'bienvenue'?"


def test_unknown_segment(tmp_path: Path) -> None:
    folder = write_plan(tmp_path / "p", program=("target: prospect", "target: prospects"))
    error = only_error(folder)
    assert error.line == line_of(folder, PROGRAM, "target: prospects")
    assert error.message == "unknown segment or lifecycle stage 'prospects'"
    assert "prospect" in error.hint


def test_unknown_segment_in_condition(tmp_path: Path) -> None:
    folder = write_plan(
        tmp_path / "p", program=("when: \"country == 'FR'\"", "when: \"segment('loyaux')\"")
    )
    error = only_error(folder)
    assert error.line == line_of(folder, PROGRAM, "loyaux")
    assert error.message == "unknown segment 'loyaux'"
    assert error.hint == "did you mean 'loyal'?"


def test_unknown_template(tmp_path: Path) -> None:
    folder = write_plan(tmp_path / "p", program=("template: rappel", "template: rapel"))
    error = only_error(folder)
    assert error.line == line_of(folder, PROGRAM, "template: rapel")
    assert error.message == "unknown template 'rapel'"
    assert error.hint == "did you mean 'rappel'?"


def test_unknown_offer(tmp_path: Path) -> None:
    folder = write_plan(tmp_path / "p", program=("offer: dix", "offer: vingt"))
    error = only_error(folder)
    assert error.line == line_of(folder, PROGRAM, "offer: vingt")
    assert error.message == "unknown offer 'vingt'"


def test_unknown_field(tmp_path: Path) -> None:
    folder = write_plan(tmp_path / "p", program=("country == 'FR'", "contry == 'FR'"))
    error = only_error(folder)
    line = line_of(folder, PROGRAM, "contry")
    assert (error.line, error.col) == (line, 12)  # the column of 'contry' inside the quotes
    assert error.message == "unknown field or definition 'contry'"
    assert error.hint == "did you mean 'country'?"


def test_unknown_event_type(tmp_path: Path) -> None:
    folder = write_plan(
        tmp_path / "p",
        program=("goal: {event: purchase, within: 30d}", "goal: {event: achat, within: 30d}"),
    )
    error = only_error(folder)
    assert error.line == line_of(folder, PROGRAM, "event: achat")
    assert error.message == "unknown event type 'achat'"


def test_unknown_event_in_condition(tmp_path: Path) -> None:
    folder = write_plan(
        tmp_path / "p", plan=("count(purchase, 365d) >= 3", "count(purchse, 365d) >= 3")
    )
    error = only_error(folder)
    assert error.line == line_of(folder, "plan.yaml", "purchse")
    assert error.message == "unknown event type 'purchse'"
    assert error.hint == "did you mean 'purchase'?"


def test_condition_that_does_not_parse(tmp_path: Path) -> None:
    folder = write_plan(tmp_path / "p", program=("country == 'FR'", "country == 'FR' &&"))
    error = only_error(folder)
    line = line_of(folder, PROGRAM, "&&")
    assert (error.line, error.col) == (line, 28)
    assert error.message == "condition does not parse: unexpected character '&'"
    assert "and" in error.hint


def test_condition_that_does_not_type_check(tmp_path: Path) -> None:
    folder = write_plan(tmp_path / "p", program=("country == 'FR'", "country > 3"))
    error = only_error(folder)
    assert error.line == line_of(folder, PROGRAM, "country > 3")
    assert error.message == "cannot compare a string with a number"


def test_engagement_outside_a_step(tmp_path: Path) -> None:
    folder = write_plan(tmp_path / "p", program=("country == 'FR'", "opened"))
    error = only_error(folder)
    assert error.message == "'opened' is only known in a step's 'if'"


def test_engagement_on_a_later_step(tmp_path: Path) -> None:
    folder = write_plan(tmp_path / "p", program=("opened('t1')", "opened('t2')"))
    error = only_error(folder)
    assert error.message == "'t2' is not an earlier step of this scenario"


def test_template_that_does_not_parse(tmp_path: Path) -> None:
    folder = write_plan(tmp_path / "p", sms=("{{ offer.code }}", "{% if offer.code %}"))
    error = only_error(folder)
    assert error.file.endswith("templates/rappel.liquid")
    assert error.message.startswith("template does not parse")


def test_template_with_unknown_variable(tmp_path: Path) -> None:
    folder = write_plan(
        tmp_path / "p",
        email=("Bonjour {{ customer.first_name }}", "Bonjour {{ customer.frist_name }}"),
    )
    error = only_error(folder)
    assert error.file.endswith("templates/bienvenue.mjml")
    assert error.line == 5  # front matter (3 lines), then the body
    assert error.message == "unknown variable 'customer.frist_name'"
    assert error.hint == "did you mean 'first_name'?"


def test_blackout_that_ends_before_it_starts(tmp_path: Path) -> None:
    folder = write_plan(tmp_path / "p", plan=("to: 2027-02-09", "to: 2027-01-01"))
    error = only_error(folder)
    assert error.line == line_of(folder, "plan.yaml", "to: 2027-01-01")
    assert error.message == "blackout 'treve' ends (2027-01-01) before it starts (2027-01-13)"


def test_holdout_outside_range(tmp_path: Path) -> None:
    folder = write_plan(tmp_path / "p", program=("holdout: 10%", "holdout: 60%"))
    error = only_error(folder)
    assert error.line == line_of(folder, PROGRAM, "holdout: 60%")
    assert "holdout must be between 0% and 50%, got 60%" in error.message


def test_invalid_yaml(tmp_path: Path) -> None:
    folder = write_plan(tmp_path / "p", program=("    priority: 60", "    priority: [60"))
    error = only_error(folder)
    assert error.message.startswith("not valid YAML")


def test_unknown_program_file(tmp_path: Path) -> None:
    folder = write_plan(tmp_path / "p", plan=("programs: [accueil]", "programs: [acceuil]"))
    error = only_error(folder)
    assert error.message == "no program file programs/acceuil.yaml"
    assert error.hint == "did you mean 'accueil'?"


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    folder = write_plan(
        tmp_path / "p",
        program=("template: rappel", "template: rapel"),
        plan=("to: 2027-02-09", "to: 2027-01-01"),
        email=("{{ offer.code }}", "{{ offre.code }}"),
    )
    messages = [p.message for p in inspect_plan(folder).errors]
    assert "unknown template 'rapel'" in messages
    assert any(m.startswith("blackout 'treve' ends") for m in messages)
    assert "unknown variable 'offre'" in messages
    with pytest.raises(PlanError) as raised:
        load_plan(folder)
    assert len(raised.value.problems) == 3


def test_warning_same_priority_collision(tmp_path: Path) -> None:
    folder = write_plan(tmp_path / "p", program=("    priority: 40", "    priority: 60"))
    result = inspect_plan(folder)
    assert result.errors == []
    warnings = [w.message for w in result.warnings]
    assert any("same priority (60)" in w for w in warnings)


def test_warning_no_goal_and_no_kpi(tmp_path: Path) -> None:
    folder = write_plan(
        tmp_path / "p",
        program=("kpis: [{name: Conversion, metric: conversion_rate}]\n", ""),
    )
    (folder / PROGRAM).write_text(
        (folder / PROGRAM).read_text().replace("    goal: {event: purchase}\n", "")
    )
    warnings = [w.message for w in inspect_plan(folder).warnings]
    assert "scenario 'anniversaire' has no goal" in warnings
    assert "scenario 'bienvenue' has no KPI" in warnings


def test_warning_customer_centricity(tmp_path: Path) -> None:
    extra = "".join(
        f"  - {{id: c{i}, name: C{i}, every: {{weekday: monday}}, channel: email, "
        f"template: bienvenue}}\n"
        for i in range(6)
    )
    folder = write_plan(tmp_path / "p")
    (folder / PROGRAM).write_text((folder / PROGRAM).read_text() + extra)
    result = inspect_plan(folder)
    assert result.errors == []
    ratio = [w for w in result.warnings if "customer-centricity" in w.message]
    assert ratio and "22%" in ratio[0].message  # 2 scenarios of 9 actions


def test_definition_cycle(tmp_path: Path) -> None:
    folder = write_plan(
        tmp_path / "p",
        plan=(
            'active_customer: "count(purchase, 365d) >= 1"',
            "active_customer: \"count(purchase, 365d) >= 1 and segment('loyal')\"\n"
            '  segments:\n    loyal: "active_customer"',
        ),
    )
    (folder / "plan.yaml").write_text(
        (folder / "plan.yaml")
        .read_text()
        .replace('  segments:\n    loyal: "count(purchase, 365d) >= 3"\n', "", 1)
    )
    errors = inspect_plan(folder).errors
    assert {e.message for e in errors} == {
        "'active_customer' refers to itself",
        "'loyal' refers to itself",
    }


def test_property_with_two_types(tmp_path: Path) -> None:
    folder = write_plan(
        tmp_path / "p",
        plan=("properties: {source: string}", "properties: {source: string, amount: string}"),
    )
    error = only_error(folder)
    assert error.line == line_of(folder, "plan.yaml", "amount: string")
    assert error.message == ("property 'amount' is a string here but a number in event 'purchase'")
