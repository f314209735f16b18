"""Paused scenarios: an operator stops a scenario from the dashboard, and resumes it later.

A paused scenario takes no new entrants, decides none of its steps (they fall due again when it
resumes, as a step waits after a late tick) and none of its held messages; delivery leaves its
scheduled messages in the outbox. Its journeys still end on their goals and exits. The log
``pauses`` is append-only: the latest row of a scenario says whether it is paused.
"""

from __future__ import annotations

from datetime import datetime

import ibis
import pyarrow as pa

from animato.engine.ids import row_id
from animato.store.store import Store


def paused(store: Store) -> list[str]:
    """Ids of the actions paused now, sorted."""
    log = store.table("pauses")
    latest = log.mutate(
        _rank=ibis.row_number().over(group_by="action_id", order_by=[ibis.desc("time"), "row_id"])
    )
    rows = latest.filter((latest._rank == 0) & latest.paused).select("action_id")
    return sorted(rows.to_pyarrow()["action_id"].to_pylist())


def set_paused(store: Store, action_id: str, on: bool, by: str, at: datetime) -> None:
    """Pause (``on``) or resume an action, recording who did it and when (naive UTC)."""
    row = {
        "row_id": row_id("pause", action_id, str(on), at.isoformat()),
        "action_id": action_id,
        "paused": on,
        "time": at,
        "who": by,
    }
    store.append("pauses", pa.Table.from_pylist([row]))
