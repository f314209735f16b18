"""One customer as support sees them: found by id or email, and their timeline.

The timeline answers "why did I get this?": events, scenarios entered and left, every decision
about every message with its reason, the content as sent, what delivery and tracking recorded,
consents and suppressions, newest first.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from animato.engine.outbox import bodies
from animato.store.store import Store

LIMIT = 50  # customers listed for a search


@dataclass
class Entry:
    """One line of a timeline."""

    time: datetime | None
    kind: str  # event, enrolment, journey, decision, message, delivery, engagement, consent…
    what: str
    detail: str = ""
    message_id: str = ""


@dataclass
class Customer:
    """A customer's fields, their timeline, and their rendered messages (outbox rows) by id."""

    fields: dict[str, Any]
    timeline: list[Entry] = field(default_factory=list)
    messages: dict[str, dict[str, Any]] = field(default_factory=dict)


def search(store: Store, text: str) -> list[dict[str, Any]]:
    """Customers whose id is ``text`` or whose email contains it (case-insensitive)."""
    text = text.strip()
    if not text:
        return []
    customers = store.table("customers")
    wanted = customers.customer_id == text
    if "email" in customers.columns:
        wanted = wanted | customers.email.lower().contains(text.lower())
    columns = [c for c in ("customer_id", "email", "first_name", "last_name") if c in customers]
    found = customers.filter(wanted).select(*columns).order_by("customer_id").limit(LIMIT)
    return list(found.to_pyarrow().to_pylist())


def customer(store: Store, customer_id: str) -> Customer | None:
    """A customer and their timeline, or None when the store does not know them."""
    customers = store.table("customers")
    rows = customers.filter(customers.customer_id == customer_id).to_pyarrow().to_pylist()
    if not rows:
        return None
    fields = {k: v for k, v in rows[0].items() if not k.startswith("_") and v is not None}
    found = Customer(fields)

    def of(name: str) -> list[dict[str, Any]]:
        table = store.table(name)
        return list(table.filter(table.customer_id == customer_id).to_pyarrow().to_pylist())

    entries = found.timeline
    for e in of("events"):
        props = {k: v for k, v in e.items() if k not in _EVENT_BASE and v is not None}
        entries.append(Entry(e["time"], "event", e["type"], _pairs(props)))
    for e in of("enrolments"):
        group = f" (control group: {e['control']})" if e["control"] else ""
        entries.append(Entry(e["entered_at"], "enrolment", f"entered {e['scenario_id']}", group))
    for e in of("journey_log"):
        entries.append(
            Entry(e["time"], "journey", f"{e['scenario_id']}: {e['kind']}", e["reason"] or "")
        )
    messages = {m["message_id"]: m for m in of("messages")}
    for m in messages.values():
        if m["decision"] != "candidate":  # hard filters: no consent, no address, control…
            entries.append(
                Entry(
                    m["send_at"] or m["due_at"],
                    "decision",
                    f"{_name(m)}: {m['decision']}",
                    "",
                    m["message_id"],
                )
            )
    for d in of("decisions"):
        retry = f"retry at {d['retry_at']:%Y-%m-%d %H:%M}" if d["retry_at"] else ""
        combined = f"combined with {d['combined_with']}" if d["combined_with"] else ""
        label = _name(messages.get(d["message_id"], d))
        entries.append(
            Entry(
                d["decided_at"],
                "decision",
                f"{label}: {d['decision']}",
                ", ".join(p for p in (retry, combined) if p),
                d["message_id"],
            )
        )
    for m in of("outbox"):  # an email's body is read on its own page (see :func:`message`)
        found.messages[m["message_id"]] = m
        title = m["subject"] or (m["text"] or "")[:80]
        entries.append(
            Entry(
                m["send_at"],
                "message",
                f"{_name(m)} ({m['channel']})",
                title or m["error"] or "",
                m["message_id"],
            )
        )
    for d in of("deliveries"):
        entries.append(
            Entry(
                d["time"],
                "delivery",
                f"{d['channel']}: {d['status']}",
                d["detail"] or "",
                d["message_id"],
            )
        )
    for e in of("engagement"):
        entries.append(
            Entry(
                e["time"],
                "engagement",
                f"{e['action_id']}: {e['kind']}",
                e["detail"] or "",
                e["message_id"],
            )
        )
    for c in of("consents"):
        verb = "granted" if c["granted"] else "withdrawn"
        entries.append(
            Entry(c["time"], "consent", f"{c['channel']} {c['purpose']}: {verb}", c["source"] or "")
        )
    for s in of("suppressions"):
        verb = "suppressed" if s["active"] else "lifted"
        entries.append(
            Entry(s["time"], "suppression", f"{s['channel']}: {verb}", s["reason"] or "")
        )
    entries.sort(key=lambda e: (e.time or datetime.min, _ORDER.get(e.kind, 9)), reverse=True)
    return found


def message(store: Store, customer_id: str, message_id: str) -> dict[str, Any] | None:
    """One rendered message of a customer, with its email body (HTML and text) when it has one."""
    outbox = store.table("outbox")
    rows = outbox.filter((outbox.customer_id == customer_id) & (outbox.message_id == message_id))
    found = rows.to_pyarrow().to_pylist()
    if not found:
        return None
    content = bodies(store, [message_id]).get(message_id, {})
    return {**found[0], **{k: v for k, v in content.items() if v}}


_EVENT_BASE = {"event_id", "customer_id", "type", "time", "_loaded_at"}
_ORDER = {"event": 0, "enrolment": 1, "journey": 2, "decision": 3, "message": 4}


def _name(row: dict[str, Any]) -> str:
    step = row.get("step_id")
    return f"{row['action_id']} {step}" if step else str(row["action_id"])


def _pairs(values: dict[str, Any]) -> str:
    return ", ".join(f"{k}: {v}" for k, v in values.items())


def fields_text(fields: str | None) -> str:
    """A call list's or postal letter's fields as readable text."""
    if not fields:
        return ""
    try:
        return json.dumps(json.loads(fields), ensure_ascii=False, indent=1)
    except ValueError:
        return fields
