"""The privacy log: who exported, erased or purged what, and when (``privacy_log``)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import pyarrow as pa

from animato.engine.ids import row_id
from animato.store.store import Store


def log(
    store: Store,
    action: str,
    customers: str | Sequence[str],
    time: datetime,
    actor: str,
    **detail: Any,
) -> None:
    """Append one entry per customer (``""`` for none): ``export``, ``erase`` or ``purge``, by
    ``cli``, ``api`` or ``scheduler``, with what it did (counts, files) as JSON.
    """
    text = json.dumps(detail, sort_keys=True, default=str)
    names = [customers] if isinstance(customers, str) else list(customers)
    entries = [
        {
            "row_id": row_id(action, customer, time.isoformat(), actor, text),
            "action": action,
            "customer_id": customer,
            "time": time,
            "actor": actor,
            "detail": text,
        }
        for customer in names
    ]
    schema = store.table("privacy_log").schema().to_pyarrow()
    store.append("privacy_log", pa.Table.from_pylist(entries, schema=schema))


def entries(store: Store) -> list[dict[str, Any]]:
    """Every entry of the log, oldest first."""
    log_ = store.table("privacy_log")
    rows: list[dict[str, Any]] = log_.order_by("time", "row_id").to_pyarrow().to_pylist()
    return rows
