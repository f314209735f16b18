"""What operations watch: the last ticks, the outbox backlog, delivery errors, quarantine."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import ibis

from animato.store.store import Store

LAST = 20  # rows of each list


@dataclass
class Operations:
    """The figures of the Operations page."""

    ticks: list[dict[str, Any]]
    backlog: list[dict[str, Any]]  # per channel: due now, scheduled later, in error
    failures: list[dict[str, Any]]  # latest failed or in-doubt deliveries, temporary errors
    quarantine: list[dict[str, Any]]  # per kind and reason
    quarantined: list[dict[str, Any]]  # the latest rows


def operations(store: Store, now: datetime) -> Operations:
    """The Operations figures at the service's clock ``now``."""
    ticks = store.table("ticks").order_by(ibis.desc("now")).limit(LAST)
    outbox = store.table("outbox")
    waiting = outbox.anti_join(store.table("deliveries"), "message_id")
    backlog = waiting.group_by("channel").aggregate(
        due=(waiting.error.isnull() & (waiting.send_at <= now)).cast("int64").sum(),
        later=(waiting.error.isnull() & (waiting.send_at > now)).cast("int64").sum(),
        error=waiting.error.notnull().cast("int64").sum(),
        next_at=waiting.send_at.min(),
    )
    deliveries = store.table("deliveries")
    failed = deliveries.filter(deliveries.status.isin(("failed", "in_doubt"))).select(
        "time", "message_id", "channel", "status", "detail"
    )
    attempts = store.table("delivery_attempts")
    retried = attempts.filter(attempts.status.isin(("temporary", "permanent")))
    retried = retried.anti_join(deliveries.filter(deliveries.status == "sent"), "message_id")
    retried = retried.select("time", "message_id", "channel", "status", "detail")
    failures = ibis.union(failed, retried).order_by(ibis.desc("time")).limit(LAST)
    quarantine = store.table("quarantine")
    by_reason = quarantine.group_by("kind", "reason").aggregate(
        rows=quarantine.count(), last=quarantine._loaded_at.max()
    )
    latest = quarantine.order_by(ibis.desc("_loaded_at"), "row_number").limit(LAST)
    return Operations(
        ticks.to_pyarrow().to_pylist(),
        backlog.order_by("channel").to_pyarrow().to_pylist(),
        failures.to_pyarrow().to_pylist(),
        by_reason.order_by(ibis.desc("rows")).to_pyarrow().to_pylist(),
        latest.select("kind", "source", "row_number", "reason", "record", "_loaded_at")
        .to_pyarrow()
        .to_pylist(),
    )
