"""Recording what comes back: tracking hits, provider feedback and STOP replies, into the store.

Opens and clicks are frequent and cheap to lose a second of: they are buffered and written in
batches (:meth:`Recorder.flush`, every half second in ``animato serve``, and at shutdown).
Unsubscribes, complaints and STOP replies are written at once, each with a ``suppressions`` row,
so that the next delivery honours them. Engagement rows take the customer, action and step of
their message from the outbox.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from animato.delivery.ledger import suppress
from animato.engine.ids import row_id
from animato.store.store import Store

STOP_WORDS = {"STOP", "STOP SMS", "ARRET", "ARRÊT", "ARRETER", "UNSUBSCRIBE", "DESINSCRIPTION",
              "END", "QUIT", "CANCEL"}  # fmt: skip
FEEDBACK = ("delivered", "bounced", "complained", "opened", "clicked", "unsubscribed")


def utcnow() -> datetime:
    """The current time, naive UTC as the store keeps it."""
    return datetime.now(UTC).replace(tzinfo=None)


class Recorder:
    """Writes engagement into one store; thread-safe (one lock around its connection)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.lock = threading.Lock()
        self._buffer: list[tuple[str, str, datetime, str, str]] = []
        self._buffer_lock = threading.Lock()

    def hit(self, message_id: str, kind: str, detail: str = "", source: str = "tracking") -> None:
        """Buffer an open or a click (written by the next :meth:`flush`)."""
        with self._buffer_lock:
            self._buffer.append((message_id, kind, utcnow(), detail, source))

    def flush(self) -> int:
        """Write the buffered hits of known messages; return how many were written."""
        with self._buffer_lock:
            hits, self._buffer = self._buffer, []
        if not hits:
            return 0
        rows = [
            {"row_id": row_id(m, k, t.isoformat(), d, i), "message_id": m, "kind": k, "time": t,
             "detail": d, "source": s}
            for i, (m, k, t, d, s) in enumerate(hits)
        ]  # fmt: skip
        with self.lock:
            return self._append(rows)

    def _append(self, rows: list[dict[str, Any]]) -> int:
        hits = self.store.load("_tracking_hits", pa.Table.from_pylist(rows))
        outbox = self.store.table("outbox").select("message_id", "customer_id", "action_id",
                                                   "step_id")  # fmt: skip
        known = hits.join(outbox, "message_id")
        return self.store.append("engagement", known, unique=True)

    def message(self, message_id: str) -> dict[str, Any] | None:
        """The outbox row of a message (without its body), if there is one."""
        outbox = self.store.table("outbox")
        with self.lock:
            found = outbox.filter(outbox.message_id == message_id).drop("html", "text")
            rows = found.limit(1).to_pyarrow().to_pylist()
        return rows[0] if rows else None

    def unsubscribe(self, message_id: str, source: str = "tracking", kind: str = "unsubscribed",
                    detail: str = "") -> bool:  # fmt: skip
        """Unsubscribe (or complaint) about a message: its engagement row and a suppression of
        the customer on the message's channel, at once. False for an unknown message.
        """
        row = self.message(message_id)
        if row is None:
            return False
        now = utcnow()
        with self.lock:
            self._append(
                [{"row_id": row_id(message_id, kind, now.isoformat(), detail), "message_id":
                  message_id, "kind": kind, "time": now, "detail": detail, "source": source}]
            )  # fmt: skip
            reason = "complaint" if kind == "complained" else "unsubscribed"
            suppress(self.store, row["customer_id"], row["channel"], reason, now, source)
        return True

    def feedback(self, message_id: str, kind: str, detail: str = "", permanent: bool = False,
                 source: str = "provider") -> bool:  # fmt: skip
        """A provider's report about a message (delivered, bounced, complained…). A complaint
        and a permanent bounce suppress the address. False for an unknown message.
        """
        if kind in ("complained", "unsubscribed"):
            return self.unsubscribe(message_id, source, kind, detail)
        row = self.message(message_id)
        if row is None:
            return False
        now = utcnow()
        with self.lock:
            self._append(
                [{"row_id": row_id(message_id, kind, now.isoformat(), detail), "message_id":
                  message_id, "kind": kind, "time": now, "detail": detail, "source": source}]
            )  # fmt: skip
            if kind == "bounced" and permanent:
                suppress(self.store, row["customer_id"], row["channel"], "hard_bounce", now, source)
        return True

    def stop_reply(self, phone: str, text: str, source: str = "sms") -> list[str]:
        """An SMS reply: when it says STOP (or ARRET…), every customer with that number is
        suppressed on SMS; return their ids.
        """
        if " ".join(text.upper().split()) not in STOP_WORDS:
            return []
        people = self.store.table("customers")
        if "phone" not in people.columns:
            return []
        now = utcnow()
        with self.lock:
            found = people.filter(people.phone == phone).select("customer_id")
            who = [r["customer_id"] for r in found.to_pyarrow().to_pylist()]
            for customer_id in who:
                suppress(self.store, customer_id, "sms", "unsubscribed", now, source)
            if who:
                self._stop_engagement(who, now, source)
        return who

    def _stop_engagement(self, who: list[str], now: datetime, source: str) -> None:
        """The unsubscribe is counted against each customer's last SMS sent."""
        outbox = self.store.table("outbox")
        mine = outbox.filter(outbox.customer_id.isin(who) & (outbox.channel == "sms"))
        mine = mine.filter(mine.send_at <= now)
        last = mine.group_by("customer_id").aggregate(send_at=mine.send_at.max())
        rows = mine.join(last, ["customer_id", "send_at"]).select("message_id")
        found = rows.to_pyarrow().to_pylist()
        if found:
            self._append(
                [{"row_id": row_id(r["message_id"], "unsubscribed", now.isoformat(), "STOP"),
                  "message_id": r["message_id"], "kind": "unsubscribed", "time": now,
                  "detail": "STOP", "source": source} for r in found]
            )  # fmt: skip
