"""The delivery ledger: every attempt (``delivery_attempts``, append-only) and each message's one
final outcome (``deliveries``), and what follows from them: which messages are due, waiting for
a retry, or in doubt.

An attempt of a message writes ``started``, then ``handoff`` right before the irrevocable step,
then the provider's answer (``sent``, ``temporary`` with its ``retry_at``, ``permanent``,
``unknown``). Each row is committed before the next step is taken, so after a crash (the
process killed at any point) the ledger tells, per message, how far it got:

- no ``handoff`` in its latest attempt: it never left; it is due again;
- a ``handoff`` without an answer: it is **in doubt** (the provider may or may not have it);
- an answer: ``sent`` and ``permanent`` are final (a ``deliveries`` row), ``temporary`` waits
  for its ``retry_at``.

A final outcome is written together with its ``engagement`` row (``delivered`` or ``bounced``)
and, for a hard bounce or an invalid number, a ``suppressions`` row, in one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import ibis
import ibis.expr.types as ir

from animato.engine.ids import row_id
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
        self._sql = store.con.con  # the DuckDB connection: one small parameterised insert a row

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
        """Append one attempt row (committed on return)."""
        self._sql.execute(
            "INSERT INTO delivery_attempts (row_id, message_id, customer_id, channel, provider,"
            " attempt, status, time, retry_at, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                row_id(row["message_id"], row["attempt"], status),
                row["message_id"],
                row["customer_id"],
                row["channel"],
                provider,
                row["attempt"],
                status,
                time,
                retry_at,
                detail[:1000],
            ],
        )

    def started(self, rows: Sequence[dict[str, Any]], provider: str, time: datetime) -> None:
        """Append a ``started`` attempt for each row, in one statement."""
        if rows:
            self._sql.executemany(
                "INSERT INTO delivery_attempts (row_id, message_id, customer_id, channel,"
                " provider, attempt, status, time) VALUES (?, ?, ?, ?, ?, ?, 'started', ?)",
                [
                    [
                        row_id(r["message_id"], r["attempt"], "started"),
                        r["message_id"],
                        r["customer_id"],
                        r["channel"],
                        provider,
                        r["attempt"],
                        time,
                    ]
                    for r in rows
                ],  # fmt: skip
            )

    def final(
        self,
        row: dict[str, Any],
        provider: str,
        final: Final,
        time: datetime,
        answer: str = "",
    ) -> None:
        """Append the message's final outcome, with the attempt row of the ``answer`` that
        made it final (if any), its engagement and suppression rows: all in one transaction,
        so that no answer is ever logged without its outcome. A message that already has a
        final outcome keeps it.
        """
        sql = self._sql
        sql.execute("BEGIN TRANSACTION")
        try:
            (exists,) = sql.execute(
                "SELECT count(*) FROM deliveries WHERE message_id = ?", [row["message_id"]]
            ).fetchone() or (0,)
            if not exists:
                if answer:
                    self.attempt(row, provider, answer, time, final.detail)
                self._write_final(row, provider, final, time)
        except BaseException:
            sql.execute("ROLLBACK")
            raise
        sql.execute("COMMIT")

    def _write_final(
        self, row: dict[str, Any], provider: str, final: Final, time: datetime
    ) -> None:
        sql = self._sql
        sql.execute(
            "INSERT INTO deliveries (message_id, customer_id, channel, provider, status, time,"
            " attempts, provider_id, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                row["message_id"],
                row["customer_id"],
                row["channel"],
                provider,
                final.status,
                time,
                row.get("attempt") or 0,
                final.provider_id,
                final.detail[:1000],
            ],  # fmt: skip
        )
        if final.engagement:
            sql.execute(
                "INSERT INTO engagement (row_id, message_id, customer_id, action_id, step_id,"
                " kind, time, detail, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    row_id(row["message_id"], final.engagement, time, final.detail[:200]),
                    row["message_id"],
                    row["customer_id"],
                    row["action_id"],
                    row["step_id"],
                    final.engagement,
                    time,
                    final.detail[:200],
                    provider,
                ],  # fmt: skip
            )
        if final.suppress:
            suppress(self.store, row["customer_id"], row["channel"], final.suppress, time, provider)


def suppress(
    store: Store, customer_id: str, channel: str, reason: str, time: datetime, source: str
) -> None:
    """Append an active suppression of ``customer_id`` on ``channel`` (or ``all``)."""
    store.con.con.execute(
        "INSERT INTO suppressions (suppression_id, customer_id, channel, reason, active, time,"
        " source, _loaded_at) SELECT ?, ?, ?, ?, true, ?, ?, ? WHERE NOT EXISTS"
        " (SELECT 1 FROM suppressions WHERE suppression_id = ?)",
        [
            sid := row_id(customer_id, channel, reason, True, time, source),
            customer_id,
            channel,
            reason,
            time,
            source,
            datetime.now(UTC).replace(tzinfo=None),
            sid,
        ],
    )
