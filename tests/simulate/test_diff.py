"""Two versions of the simplan compared: a weekly cap raised from 2 to 3 (see simplan)."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from animato.cli import app
from tests.simulate.simplan import PLAN, write_history

runner = CliRunner()


def test_raising_the_weekly_cap_flips_two_decisions(tmp_path: Path) -> None:
    old_dir, source = write_history(tmp_path / "old")
    new_dir, _ = write_history(tmp_path / "new", PLAN.replace("week: 2", "week: 3"))
    out = tmp_path / "diff"
    result = runner.invoke(
        app,
        ["diff", str(old_dir), str(new_dir), "--store", str(source), "--out", str(out),
         "--from", "2027-03-01", "--to", "2027-03-08"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    said = result.stdout
    assert "2 customers see a difference." in said
    flips = (out / "tables" / "diff_flips.csv").read_text().splitlines()
    assert sorted(flips[1:]) == [
        '"hebdo","dropped:cap_week","accepted",1',  # a's newsletter now fits
        '"panier","postponed:cap_week","accepted",1',  # b's t2 no longer waits
    ]
    messages = (out / "tables" / "diff_messages.csv").read_text().splitlines()
    assert sorted(messages[1:]) == ['"hebdo",2,3,1', '"panier",3,4,1']
    pressure = (out / "tables" / "diff_pressure_week.csv").read_text().splitlines()
    assert pressure[1:] == ["0,0,0", "1,1,1", "2,2,0", "3,0,2"]
    page = (out / "diff.html").read_text()
    assert "2 customers see a difference" in page and "<svg" in page
    assert "Plan change report:" in said


def test_the_same_plan_twice_changes_nothing(tmp_path: Path) -> None:
    plan_dir, source = write_history(tmp_path)
    result = runner.invoke(
        app,
        ["diff", str(plan_dir), str(plan_dir), "--store", str(source), "--out",
         str(tmp_path / "d"), "--from", "2027-03-01", "--to", "2027-03-08"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "0 customers see a difference." in result.stdout
    assert "No decision changes." in result.stdout
