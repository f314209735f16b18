"""The delivery ledger: every attempt (``delivery_attempts``, append-only) and each message's one
final outcome (``deliveries``), and what follows from them: which messages are due, waiting for
a retry, or in doubt.

An attempt of a message logs ``started``, then ``handoff`` right before the irrevocable step,
then the provider's answer (``sent``, ``temporary`` with its ``retry_at``, ``permanent``,
``unknown``). Each record is on disk before the next step is taken, so after a crash (the
process killed at any point) the ledger tells, per message, how far it got:

- no ``handoff`` in its latest attempt: it never left; it is due again;
- a ``handoff`` without an answer: it is **in doubt** (the provider may or may not have it);
- an answer: ``sent`` and ``permanent`` are final (a ``deliveries`` row), ``temporary`` waits
  for its ``retry_at``.

Records go first to a journal beside the store (``<store>.delivery.log``: one JSON line each,
written and synced, about 0.1 ms, where a DuckDB commit costs a millisecond or more), and are
folded into the tables in one transaction per batch of messages (:meth:`Ledger.fold`), then the
journal is emptied. A run folds what an earlier one left before it reads anything. A final
outcome is one record with the answer that made it (never one without the other) and becomes,
when folded, its ``deliveries`` row, its ``engagement`` row (``delivered`` or ``bounced``) and,
for a hard bounce or an invalid number, a ``suppressions`` row.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from animato.engine.ids import row_id
from animato.settings import side_prefix
from animato.store.store import Store

OUTCOMES = ("sent", "temporary", "permanent", "unknown")


@dataclass(frozen=True)
class Final:
    """A message's final outcome, as written in ``deliveries``."""

    status: str  # sent | failed | in_doubt | withheld:<reason>
    detail: str = ""
    provider_id: str = ""
    engagement: str = ""  # delivered | bounced | '' (none)
    suppress: str = ""  # reason of a suppression of the address, if any


class Ledger:
    """Reads and appends the delivery tables of one store (one writer at a time)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        folder = store.content_dir if store.location == ":memory:" else None
        self.journal = (
            folder / "delivery.log"
            if folder
            else Path(side_prefix(store.location) + ".delivery.log")
        )
        self._fd: int | None = None
        self.fold()  # what a crashed run logged

    def progress(self) -> ir.Table:
        """Per message with attempts: its ``last`` attempt number, whether that attempt reached
        its ``handoff``, its answer (``outcome``, null if none) and ``retry_at``.
        """
        log = self.store.table("delivery_attempts")
        last = log.group_by("message_id").aggregate(last=log.attempt.max())
        mine = log.join(last, (log.message_id == last.message_id) & (log.attempt == last.last))
        outcome = ibis.cases(*((mine.status == s, s) for s in OUTCOMES), else_=ibis.null("string"))
        return mine.group_by(mine.message_id).aggregate(
            last=mine.last.max(),
            handoff=(mine.status == "handoff").any(),
            outcome=outcome.max(),
            retry_at=mine.retry_at.max(),
        )

    def due(self, now: datetime, channels: Sequence[str], limit: int) -> list[dict[str, Any]]:
        """Outbox rows to send now: send time passed, rendered, not final, not in doubt, not
        waiting for a retry; with ``attempt`` (the number of the next attempt).
        """
        outbox = self.store.table("outbox")
        rows = outbox.filter(
            (outbox.send_at <= now) & outbox.error.isnull() & outbox.channel.isin(list(channels))
        )
        rows = rows.anti_join(self.store.table("deliveries"), "message_id")
        seen = self.progress()
        rows = rows.left_join(seen, "message_id").drop("message_id_right")
        blocked = (rows.handoff & rows.outcome.isnull()) | (
            (rows.outcome == "temporary") & (rows.retry_at > now)
        )
        rows = rows.filter(~blocked.fill_null(False)).mutate(attempt=rows.last.fill_null(0) + 1)
        rows = rows.order_by("send_at", "message_id").limit(limit)
        return list(rows.to_pyarrow().to_pylist())

    def in_doubt(self) -> list[dict[str, Any]]:
        """Outbox rows whose latest attempt was handed off without an answer (a crash)."""
        seen = self.progress()
        doubt = seen.filter(seen.handoff & seen.outcome.isnull())
        doubt = doubt.anti_join(self.store.table("deliveries"), "message_id")
        rows = self.store.table("outbox").join(doubt, "message_id")
        return list(rows.mutate(attempt=rows.last).to_pyarrow().to_pylist())

    def attempt(
        self,
        row: dict[str, Any],
        provider: str,
        status: str,
        time: datetime,
        detail: str = "",
        retry_at: datetime | None = None,
    ) -> None:
        """Log one attempt record (on disk on return)."""
        self._log([_attempt(row, provider, status, time, detail, retry_at)])

    def started(self, rows: Sequence[dict[str, Any]], provider: str, time: datetime) -> None:
        """Log a ``started`` attempt for each row, with one write."""
        self._log([_attempt(r, provider, "started", time) for r in rows])

    def final(
        self,
        row: dict[str, Any],
        provider: str,
        final: Final,
        time: datetime,
        answer: str = "",
    ) -> None:
        """Log the message's final outcome with the ``answer`` that made it final (if any), as
        one record: no answer is ever logged without its outcome.
        """
        record: dict[str, Any] = {"final": asdict(final), "row": _plain(row),
                                  "provider": provider, "time": time.isoformat()}  # fmt: skip
        if answer:
            record["attempt"] = _attempt(row, provider, answer, time, final.detail)["attempt"]
        self._log([record])

    def _log(self, records: list[dict[str, Any]]) -> None:
        data = "".join(json.dumps(r, default=str) + "\n" for r in records).encode("utf-8")
        if self._fd is None:
            self._fd = os.open(self.journal, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.write(self._fd, data)
        os.fsync(self._fd)

    def fold(self) -> int:
        """Move the journal's records into the store's tables (one transaction), then empty
        the journal; return the number of records. A torn last line (a crash while it was
        written) is dropped: its step was never taken.
        """
        if not self.journal.exists():
            return 0
        lines = self.journal.read_bytes().split(b"\n")
        records = []
        for line in lines:
            try:
                records.append(json.loads(line))
            except ValueError:
                continue
        if records:
            with self.store.transaction():
                self._write(records)
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        self.journal.unlink(missing_ok=True)
        return len(records)

    def _write(self, records: list[dict[str, Any]]) -> None:
        attempts, finals, engagement, suppressions = [], [], [], []
        for record in records:
            if "final" not in record:
                attempts.append(record["attempt"])
                continue
            if "attempt" in record:
                attempts.append(record["attempt"])
            row, final = record["row"], Final(**record["final"])
            time, provider = record["time"], record["provider"]
            finals.append({"message_id": row["message_id"], "customer_id": row["customer_id"],
                           "channel": row["channel"], "provider": provider,
                           "status": final.status, "time": time,
                           "attempts": row.get("attempt") or 0, "provider_id": final.provider_id,
                           "detail": final.detail[:1000]})  # fmt: skip
            if final.engagement:
                engagement.append({
                    "row_id": row_id(row["message_id"], final.engagement, time),
                    "message_id": row["message_id"], "customer_id": row["customer_id"],
                    "action_id": row["action_id"], "step_id": row["step_id"],
                    "kind": final.engagement, "time": time, "detail": final.detail[:200],
                    "source": provider})  # fmt: skip
            if final.suppress:
                suppressions.append(_suppression(row["customer_id"], row["channel"],
                                                 final.suppress, time, provider))  # fmt: skip
        for name, rows in (("delivery_attempts", attempts), ("deliveries", finals),
                           ("engagement", engagement), ("suppressions", suppressions)):  # fmt: skip
            if rows:
                self.store.append(name, _table(self.store, name, rows))

    def close(self) -> None:
        """Fold what is logged and close the journal."""
        self.fold()


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    keys = ("message_id", "customer_id", "channel", "action_id", "step_id", "attempt")
    return {k: row.get(k) for k in keys}


def _attempt(
    row: dict[str, Any],
    provider: str,
    status: str,
    time: datetime,
    detail: str = "",
    retry_at: datetime | None = None,
) -> dict[str, Any]:
    return {"attempt": {
        "row_id": row_id(row["message_id"], row["attempt"], status),
        "message_id": row["message_id"], "customer_id": row["customer_id"],
        "channel": row["channel"], "provider": provider, "attempt": row["attempt"],
        "status": status, "time": time.isoformat(), "detail": detail[:1000],
        "retry_at": retry_at.isoformat() if retry_at else None}}  # fmt: skip


def _table(store: Store, name: str, rows: list[dict[str, Any]]) -> pa.Table:
    schema = store.table(name).schema().to_pyarrow()
    fields = [f for f in schema if f.name in rows[0]]
    columns = {}
    for f in fields:
        values = [r[f.name] for r in rows]
        if pa.types.is_timestamp(f.type):
            values = [datetime.fromisoformat(v) if isinstance(v, str) else v for v in values]
        columns[f.name] = pa.array(values, f.type)
    return pa.table(columns)


def _suppression(
    customer_id: str, channel: str, reason: str, time: datetime | str, source: str
) -> dict[str, Any]:
    stamp = time.isoformat() if isinstance(time, datetime) else time
    return {"suppression_id": row_id(customer_id, channel, reason, True, stamp, source),
            "customer_id": customer_id, "channel": channel, "reason": reason, "active": True,
            "time": time, "source": source,
            "_loaded_at": datetime.now(UTC).replace(tzinfo=None)}  # fmt: skip


def suppress(
    store: Store, customer_id: str, channel: str, reason: str, time: datetime, source: str
) -> None:
    """Append an active suppression of ``customer_id`` on ``channel`` (or ``all``) at once."""
    row = _suppression(customer_id, channel, reason, time, source)
    store.append("suppressions", _table(store, "suppressions", [row]))
