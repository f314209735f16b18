"""The delivery worker: outbox rows whose time has come, through their channel's adapter, each
exactly once.

One run (:func:`deliver`) first settles the messages a crash left in doubt, then, batch by
batch: the due messages (see :meth:`Ledger.due`), the hard filters checked again (a suppression
or a consent withdrawn since rendering takes effect before delivery: ``withheld:suppressed``,
``withheld:no_consent``, ``withheld:no_address``), a ``started`` attempt, and the adapter.

**In doubt** (a hand-off logged, no answer: the process died in between, or the connection
broke after the final dot): an adapter that can tell (files) settles it exactly; an idempotent
provider (the webhooks send an idempotency key) gets it again; otherwise (SMTP) the policy
``ANIMATO_IN_DOUBT`` decides: ``skip`` (the default) records it ``in_doubt`` and never sends it
again, because a duplicate is worse than a rare loss; ``resend`` sends it again. The window
is the time between logging the hand-off and the relay's answer to the final dot.

Temporary failures are retried with backoff (1 min, 5 min, 30 min, 2 h, 8 h; given up after
:data:`MAX_ATTEMPTS`); permanent ones are final and a hard bounce or an invalid number
suppresses the address.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pyarrow as pa

from animato.delivery.channel import Adapter, Outcome, Outgoing
from animato.delivery.ledger import Final, Ledger
from animato.delivery.plugins import adapters as find_adapters
from animato.engine import journeys
from animato.engine.outbox import bodies
from animato.settings import Settings, side_prefix
from animato.store.store import Store
from animato.tracking.links import Tracker

log = logging.getLogger("animato.delivery")

BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30),
           timedelta(hours=2), timedelta(hours=8))  # fmt: skip
MAX_ATTEMPTS = len(BACKOFF) + 1
BATCH = 100  # messages claimed at a time (a graceful stop waits for one batch at most)


@dataclass
class DeliverySummary:
    """What one run did: final outcomes and retries counted by channel and status."""

    counts: dict[str, Counter[str]] = field(default_factory=dict)

    def add(self, channel: str, status: str) -> None:
        """Count one outcome."""
        self.counts.setdefault(channel, Counter())[status] += 1

    @property
    def total(self) -> int:
        """Outcomes counted."""
        return sum(sum(c.values()) for c in self.counts.values())

    def lines(self) -> list[str]:
        """One line per channel, for the terminal."""
        return [
            f"{channel}: " + ", ".join(f"{n} {status}" for status, n in sorted(c.items()))
            for channel, c in sorted(self.counts.items())
        ]


def files_dir(store: Store) -> str:
    """Where call lists and postal files go unless ``ANIMATO_FILES_DIR``: beside the store."""
    if store.location == ":memory:":
        return str(store.content_dir.parent / "animato-files")
    return side_prefix(store.location) + ".files"


class _Report:
    """Writes the ledger rows of what an adapter reports, as it reports them."""

    def __init__(self, worker: Worker, adapter: Adapter, rows: dict[str, dict[str, Any]]) -> None:
        self.worker, self.adapter, self.rows = worker, adapter, rows
        self.answered: set[str] = set()

    def handoff(self, message: Outgoing) -> None:
        row = self.rows[message.message_id]
        self.worker.ledger.attempt(row, self.adapter.provider, "handoff", self.worker.now)

    def done(self, message: Outgoing, outcome: Outcome) -> None:
        self.answered.add(message.message_id)
        self.worker.answer(self.adapter, self.rows[message.message_id], outcome)


class Worker:
    """Delivers one store's outbox through a set of adapters, at a given clock."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        now: datetime,
        adapters: Mapping[str, Adapter] | None = None,
    ) -> None:
        self.store, self.settings, self.now = store, settings, now
        self.ledger = Ledger(store)
        self.adapters = (
            dict(adapters) if adapters is not None else find_adapters(settings, files_dir(store))
        )
        self.tracker = Tracker.for_store(store.location, settings)
        self.summary = DeliverySummary()
        plan = store.plan
        self._actions = {a.id: (p, a) for p in plan.programs for a in p.actions}

    def run(self, limit: int | None = None, stop: threading.Event | None = None) -> DeliverySummary:
        """Settle what is in doubt, then send every due message (at most ``limit``), batch by
        batch until ``stop`` is set.
        """
        self.settle()
        # a message sent in a batch is final (or waits for a retry) once the batch is folded; one
        # that comes back due anyway (an adapter that did not answer) is not tried again
        stuck: set[str] = set()
        last: set[str] = set()
        left = limit
        while (left is None or left > 0) and not (stop is not None and stop.is_set()):
            size = BATCH if left is None else min(BATCH, left)
            rows: list[dict[str, Any]] = []
            for row in self.ledger.due(self.now, sorted(self.adapters), size + len(stuck | last)):
                if row["message_id"] in stuck or row["message_id"] in last:
                    stuck.add(row["message_id"])
                elif len(rows) < size:
                    rows.append(row)
            if not rows:
                break
            last = {r["message_id"] for r in rows}
            self.batch(rows)
            self.ledger.fold()
            if left is not None:
                left -= len(rows)
        return self.summary

    def settle(self) -> None:
        """Decide the messages in doubt: settled by the adapter, sent again, or ``in_doubt``."""
        rows = self.ledger.in_doubt()
        by_channel: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            by_channel.setdefault(row["channel"], []).append(row)
        for channel, mine in by_channel.items():
            adapter = self.adapters.get(channel)
            if adapter is None:
                continue
            known = adapter.resolve(self.outgoing(mine, check=False)[0])
            for row in mine:
                received = known.get(row["message_id"])
                if received is True:
                    self.answer(adapter, row, Outcome("sent", "settled after a crash"))
                elif received is False or adapter.idempotent or self.settings.in_doubt == "resend":
                    why = "not received" if received is False else "sent again"
                    self.ledger.attempt(row, adapter.provider, "unknown", self.now, why)
                else:
                    self.final(adapter, row, Final("in_doubt", "handed off, no answer (crash)"))
        self.ledger.fold()

    def batch(self, rows: list[dict[str, Any]]) -> None:
        """Check, claim and send one batch of due rows."""
        messages, withheld = self.outgoing(rows, check=True)
        for row, reason in withheld:
            self.final(self.adapters[row["channel"]], row, Final(f"withheld:{reason}"))
        by_id = {r["message_id"]: r for r in rows}
        by_channel: dict[str, list[Outgoing]] = {}
        for message in messages:
            by_channel.setdefault(message.channel, []).append(message)
        for channel, mine in by_channel.items():
            adapter = self.adapters[channel]
            claimed = [by_id[m.message_id] for m in mine]
            self.ledger.started(claimed, adapter.provider, self.now)
            report = _Report(self, adapter, by_id)
            try:
                adapter.send(mine, report)
            except Exception as exc:  # a plugin's bug must not stop the other channels
                log.exception("adapter %s failed", adapter.provider)
                for message in mine:
                    if message.message_id not in report.answered:
                        report.done(message, Outcome("temporary", f"adapter error: {exc}"))

    def answer(self, adapter: Adapter, row: dict[str, Any], outcome: Outcome) -> None:
        """Log a provider's answer and what follows from it."""
        provider, status = adapter.provider, outcome.status
        if status == "sent":
            final = Final("sent", outcome.detail, outcome.provider_id, "delivered")
            self.final(adapter, row, final, answer="sent")
        elif status == "permanent":
            bounce = "bounced" if outcome.suppress else ""
            final = Final("failed", outcome.detail, engagement=bounce, suppress=outcome.suppress)
            self.final(adapter, row, final, answer="permanent")
        elif status == "unknown" and not (adapter.idempotent or self.settings.in_doubt == "resend"):
            self.final(adapter, row, Final("in_doubt", outcome.detail), answer="unknown")
        elif status == "unknown":
            self.ledger.attempt(row, provider, "unknown", self.now, outcome.detail)
        elif row["attempt"] >= MAX_ATTEMPTS:
            final = Final("failed", f"gave up: {outcome.detail}")
            self.final(adapter, row, final, answer="temporary")
        else:
            retry = self.now + BACKOFF[row["attempt"] - 1]
            self.ledger.attempt(row, provider, "temporary", self.now, outcome.detail, retry)
            self.summary.add(row["channel"], "retry")

    def final(self, adapter: Adapter, row: dict[str, Any], final: Final, answer: str = "") -> None:
        """Write a final outcome (with the answer that made it final) and count it."""
        self.ledger.final(row, adapter.provider, final, self.now, answer)
        self.summary.add(row["channel"], final.status)

    def outgoing(
        self, rows: Sequence[dict[str, Any]], *, check: bool
    ) -> tuple[list[Outgoing], list[tuple[dict[str, Any], str]]]:
        """The rows as messages to send, and (when ``check``) those the hard filters now stop,
        each with its reason.
        """
        if not rows:
            return [], []
        store = self.store
        who = store.load(
            "_deliver_who", pa.table({"customer_id": sorted({r["customer_id"] for r in rows})})
        )
        people = store.table("customers").semi_join(who, "customer_id")
        wanted = [c for c in ("customer_id", "email", "phone") if c in people.columns]
        found = {r["customer_id"]: r for r in people.select(*wanted).to_pyarrow().to_pylist()}
        blocked: set[tuple[str, str]] = set()
        granted: set[tuple[str, str, str]] = set()
        if check:
            barred = journeys.suppressed(store.table("suppressions"), who).to_pyarrow().to_pylist()
            blocked = {(r["customer_id"], r["channel"]) for r in barred}
            ok = journeys.consented(store.table("consents"), who).to_pyarrow().to_pylist()
            granted = {(r["customer_id"], r["channel"], r["purpose"]) for r in ok}
        content = bodies(store, [r["message_id"] for r in rows if r.get("content")])
        purpose = {str(k): v for k, v in store.plan.conventions.consent.items()}
        messages, withheld = [], []
        for row in rows:
            channel, customer = row["channel"], row["customer_id"]
            person = found.get(customer, {})
            column = journeys.ADDRESS.get(channel, "customer_id")
            address = person.get(column) if column != "customer_id" else customer
            if check:
                reason = ""
                if (customer, channel) in blocked or (customer, "all") in blocked:
                    reason = "suppressed"
                elif (customer, channel, purpose.get(channel, "marketing")) not in granted:
                    reason = "no_consent"
                elif not address:
                    reason = "no_address"
                if reason:
                    withheld.append((row, reason))
                    continue
            messages.append(self._message(row, str(address or ""), content))
        return messages, withheld

    def _message(
        self, row: dict[str, Any], address: str, content: dict[str, dict[str, str]]
    ) -> Outgoing:
        program, _ = self._actions.get(row["action_id"], (None, None))
        plan = self.store.plan
        channel = row["channel"]
        sender = (program.senders.get(channel) if program else None) or (
            plan.conventions.senders.get(channel)
        )
        body = content.get(row["message_id"], {})
        unsubscribe_mailto = ""
        if channel == "email" and sender is not None and "@" in sender.address:
            mailbox = f"unsubscribe@{sender.address.rsplit('@', 1)[1]}"
            unsubscribe_mailto = self.tracker.mailto(row["message_id"], mailbox)
        return Outgoing(
            message_id=row["message_id"],
            customer_id=row["customer_id"],
            action_id=row["action_id"],
            step_id=row["step_id"] or "",
            program_id=program.id if program else "",
            channel=channel,
            send_at=row["send_at"],
            address=address,
            attempt=row["attempt"],
            subject=row.get("subject") or "",
            html=body.get("html") or row.get("html") or "",
            text=body.get("text") or row.get("text") or "",
            sms_encoding=row.get("sms_encoding") or "",
            sms_segments=row.get("sms_segments") or 0,
            fields=json.loads(row["fields"]) if row.get("fields") else {},
            sender=sender,
            unsubscribe_url=self.tracker.url("u", row["message_id"]) if channel == "email" else "",
            unsubscribe_mailto=unsubscribe_mailto,
        )

    def close(self) -> None:
        """Close every adapter, and fold the ledger's journal into the store."""
        for adapter in self.adapters.values():
            adapter.close()
        self.ledger.close()


def deliver(
    store: Store,
    settings: Settings,
    now: datetime,
    *,
    adapters: Mapping[str, Adapter] | None = None,
    limit: int | None = None,
    stop: threading.Event | None = None,
) -> DeliverySummary:
    """Send every outbox message due at ``now`` through its channel, exactly once.

    Example: ``deliver(Store(plan, "store.duckdb"), Settings.from_env(), datetime.now())``
    """
    worker = Worker(store, settings, now, adapters)
    try:
        return worker.run(limit, stop)
    finally:
        worker.close()
