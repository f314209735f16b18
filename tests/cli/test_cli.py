"""The command line, driven through its runner on real plan folders."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime
from pathlib import Path

from typer.testing import CliRunner

from animato.cli import app
from animato.plan import inspect_plan
from tests.plan.planfiles import line_of, write_plan

runner = CliRunner()


def test_validate_ok(tmp_path: Path) -> None:
    folder = write_plan(tmp_path / "p")
    result = runner.invoke(app, ["validate", str(folder)])
    assert result.exit_code == 0, result.output
    assert "ok Test: 1 programs, 2 scenarios, 1 campaigns, 2 templates" in result.stdout


def test_validate_reports_problems_with_a_caret_and_exits_1(tmp_path: Path) -> None:
    folder = write_plan(tmp_path / "p", program=("template: rappel", "template: rapel"))
    result = runner.invoke(app, ["validate", str(folder)])
    assert result.exit_code == 1
    line = line_of(folder, "programs/accueil.yaml", "rapel")
    assert f"p/programs/accueil.yaml:{line}:" in result.stderr
    assert "unknown template 'rapel' (did you mean 'rappel'?)" in result.stderr
    assert "^" in result.stderr
    assert "1 error(s)" in result.stderr


def test_validate_missing_folder(tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", str(tmp_path / "nope")])
    assert result.exit_code == 1
    assert "folder does not exist" in result.stderr


def test_init_scaffolds_a_valid_plan(tmp_path: Path) -> None:
    target = tmp_path / "nouveau"
    result = runner.invoke(app, ["init", str(target), "--name", "Ma marque"])
    assert result.exit_code == 0, result.output
    plan = inspect_plan(target).plan
    assert plan is not None and plan.name == "Ma marque"
    assert len(plan.scenarios) >= 10
    again = runner.invoke(app, ["init", str(target)])
    assert again.exit_code == 1 and "not empty" in again.stderr


def test_module_entry_point_shows_help() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "animato", "--help"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0
    for command in ("init", "validate", "sheet"):
        assert command in done.stdout


def test_run_prints_decisions_per_scenario(tmp_path: Path) -> None:
    import pyarrow as pa

    from animato import load_plan
    from animato.store import Store, default_path

    folder = write_plan(tmp_path / "p")
    store = Store(load_plan(folder), default_path(folder))
    store.append(
        "customers", pa.table({"customer_id": ["c1"], "email": ["a@b.fr"], "country": ["FR"]})
    )
    store.append(
        "events",
        pa.table(
            {
                "event_id": ["e1"],
                "customer_id": ["c1"],
                "type": ["newsletter_signup"],
                "source": ["site"],
                "time": pa.array([datetime(2027, 3, 1, 9)]),
            }
        ),
    )
    store.close()
    result = runner.invoke(app, ["run", str(folder), "--now", "2027-03-01T12:00"])
    assert result.exit_code == 0, result.output
    assert "bienvenue" in result.stdout and "dropped:no_consent" in result.stdout
    again = runner.invoke(app, ["run", str(folder), "--now", "2027-03-01T12:00"])
    assert "Nothing to do" in again.stdout
    week = runner.invoke(
        app, ["run", str(folder), "--now", "2027-03-02T12:00", "--until", "2027-03-08T12:00"]
    )
    assert week.exit_code == 0, week.output
    assert "7 ticks (2027-03-01 12:00, 2027-03-08 12:00] UTC" in week.stdout
    from animato.engine import Engine

    store = Store(load_plan(folder), default_path(folder))
    assert Engine(store).last_tick() == datetime(2027, 3, 8, 12)
    store.close()
