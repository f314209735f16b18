"""Delivery leaves a paused action's scheduled messages in the outbox until it resumes."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from animato.delivery import deliver
from animato.engine.pauses import set_paused
from animato.settings import Settings
from tests.delivery.outboxes import AFTER, make_store, rows, smtp_server


def test_a_paused_action_sends_nothing_until_resumed(tmp_path: Path) -> None:
    controller, inbox = smtp_server()
    try:
        store = make_store(tmp_path / "plan", 2)
        settings = Settings(smtp_host="127.0.0.1", smtp_port=controller.port,
                            public_url="https://t.example")  # fmt: skip
        set_paused(store, "promo", True, "ops", datetime(2027, 3, 1, 11))
        assert deliver(store, settings, AFTER).counts == {}
        assert rows(store, "deliveries") == [] and inbox.messages == []
        set_paused(store, "promo", False, "ops", datetime(2027, 3, 1, 13))
        assert deliver(store, settings, AFTER).counts["email"] == {"sent": 2}
        assert len(inbox.messages) == 2
    finally:
        controller.stop()
