"""``animato user`` through the runner: users beside the store, a bad role refused."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from animato.cli import app
from animato.web.users import User, Users, users_path

runner = CliRunner()


def test_user_adds_a_dashboard_user_beside_the_store(tmp_path: Path) -> None:
    store = tmp_path / "s.duckdb"
    added = runner.invoke(app, ["user", "alice", "--role", "operator", "--store", str(store)],
                          input="s3cret\ns3cret\n")  # fmt: skip
    assert added.exit_code == 0, added.output
    users = Users(users_path(str(store)))
    assert users.check("alice", "s3cret") == User("alice", "operator")
    bad = runner.invoke(app, ["user", "bob", "--role", "admin", "--password", "x",
                              "--store", str(store)])  # fmt: skip
    assert bad.exit_code == 1 and "unknown role 'admin'" in bad.output
    assert users.names() == ["alice"]
