"""Right of access: everything animato holds about a customer, as one JSON document.

``tables`` has every store table's rows for the customer (profile and its versions, consents,
suppressions, events, enrolments, journeys, messages and decisions, outbox, engagement,
deliveries, state, quarantined records that mention them, privacy log); ``messages`` the
messages as sent: channel, time, subject, text and HTML, the delivery outcome.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from animato.engine.outbox import bodies
from animato.errors import StoreError
from animato.privacy import audit
from animato.privacy.erasure import stored
from animato.store.store import Store

SKIPPED = (
    "state_meta",
    "ticks",
    "erased_identities",
    "pauses",
    "score_fits",
    "variant_winners",
)  # no customer


def export(store: Store, customer_id: str, *, actor: str = "cli") -> dict[str, Any]:
    """The customer's data, as JSON-ready values; the export is logged.

    Example: ``export(Store(plan, "store.duckdb"), "C000042")``
    """
    now = datetime.now(UTC).replace(tzinfo=None)
    tables: dict[str, list[dict[str, Any]]] = {}
    for name in sorted(stored(store) - set(SKIPPED)):
        table = store.table(name)
        if "customer_id" in table.columns:
            rows = table.filter(table.customer_id == customer_id)
        elif name == "quarantine":
            rows = table.filter(table.record.contains(json.dumps(customer_id)))
        else:
            continue
        found = rows.to_pyarrow().to_pylist()
        if found:
            tables[name] = found
    if not tables:
        raise StoreError(f"nothing is known of customer '{customer_id}'")
    document = {
        "customer_id": customer_id,
        "exported_at": now,
        "tables": tables,
        "messages": _as_sent(store, tables.get("outbox", []), tables.get("deliveries", [])),
    }
    counts = {name: len(rows) for name, rows in tables.items()}
    audit.log(store, "export", customer_id, now, actor, rows=counts)
    plain: dict[str, Any] = _plain(document)
    return plain


def write(document: dict[str, Any], path: Path) -> Path:
    """Write an export as indented UTF-8 JSON."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def _as_sent(
    store: Store, outbox: list[dict[str, Any]], deliveries: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The customer's rendered messages with their content and delivery outcome."""
    content = bodies(store, [r["message_id"] for r in outbox if r.get("content")])
    outcome = {d["message_id"]: d for d in deliveries}
    out = []
    for row in sorted(outbox, key=lambda r: (r["send_at"], r["message_id"])):
        body = content.get(row["message_id"], {})
        delivery = outcome.get(row["message_id"], {})
        out.append(
            {
                "message_id": row["message_id"],
                "action_id": row["action_id"],
                "channel": row["channel"],
                "send_at": row["send_at"],
                "subject": row["subject"],
                "text": body.get("text") or row["text"],
                "html": body.get("html") or row["html"],
                "fields": json.loads(row["fields"]) if row["fields"] else None,
                "status": delivery.get("status", "waiting"),
                "delivered_at": delivery.get("time"),
            }
        )
    return out


def _plain(value: Any) -> Any:
    """Values as JSON has them (times as ISO text)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value
