"""``animato deliver`` through the runner: the due emails into a local sink, once."""

from __future__ import annotations

from email import message_from_bytes, policy
from pathlib import Path

from typer.testing import CliRunner

from animato.cli import app
from tests.delivery.outboxes import AFTER, make_store

runner = CliRunner()


def test_deliver_into_a_local_sink_sends_each_due_email_once(tmp_path: Path) -> None:
    store = tmp_path / "store.duckdb"
    make_store(tmp_path / "plan", 3, location=str(store)).close()
    mail = tmp_path / "mail"
    command = ["deliver", str(tmp_path / "plan"), "--store", str(store), "--now",
               AFTER.isoformat(), "--sink", str(mail)]  # fmt: skip
    result = runner.invoke(app, command)
    assert result.exit_code == 0, result.output
    assert "email: 3 sent" in result.stdout
    files = sorted(mail.glob("*.eml"))
    assert len(files) == 3
    first = message_from_bytes(files[0].read_bytes(), policy=policy.default)
    assert first["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    again = runner.invoke(app, command)
    assert "nothing to deliver" in again.stdout and len(list(mail.glob("*.eml"))) == 3
