"""Who was erased, kept without keeping them: keyed hashes (HMAC-SHA256 with the store's
secret) of the customer id, email and phone of every erased customer, and the check ingestion
makes against them so that a later import does not make the person contactable again.

Without the secret a fingerprint tells nothing (no dictionary attack on emails); with it, the
same identifier always gives the same fingerprint. Pseudonyms (what KPI rows keep in place of
an erased customer id) are made the same way, under another label.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from datetime import datetime

import ibis.expr.types as ir
import pyarrow as pa

from animato.engine.ids import row_id
from animato.settings import secret_for
from animato.store.store import Store

KINDS = ("customer_id", "email", "phone")


class Keys:
    """Fingerprints and pseudonyms under one store's secret."""

    def __init__(self, secret: str) -> None:
        self._key = hashlib.sha256(b"animato-privacy:" + secret.encode("utf-8")).digest()

    @classmethod
    def of(cls, store: Store) -> Keys:
        """The keys of a store (``ANIMATO_SECRET``, else the secret kept beside it)."""
        return cls(secret_for(store.location))

    def _mac(self, label: str, value: str) -> str:
        return hmac.new(self._key, f"{label}:{value}".encode(), hashlib.sha256).hexdigest()

    def fingerprint(self, kind: str, value: str) -> str:
        """The keyed hash of an identifier (emails compared lower-cased)."""
        return self._mac(kind, value.strip().lower() if kind == "email" else value.strip())

    def pseudonym(self, customer_id: str) -> str:
        """What KPI rows keep instead of an erased customer id."""
        return "erased-" + self._mac("pseudonym", customer_id)[:24]


def remember(
    store: Store, keys: Keys, identifiers: Iterable[tuple[str, str]], time: datetime
) -> int:
    """Keep the fingerprints of (kind, value) identifiers; return how many were new."""
    rows = {keys.fingerprint(kind, value): kind for kind, value in identifiers if value}
    table = pa.table(
        {
            "fingerprint": list(rows),
            "kind": list(rows.values()),
            "time": pa.array([time] * len(rows), pa.timestamp("us")),
        }
    )
    return store.append("erased_identities", table)


def guard(store: Store, customers: ir.Table, time: datetime) -> int:
    """Suppress (on every channel, reason ``erased``) those of ``customers`` (``customer_id``,
    ``email``, ``phone``) whose id, email or phone was erased before; return how many.
    """
    if not store.count("erased_identities"):
        return 0
    keys = Keys.of(store)
    known = set(store.table("erased_identities").fingerprint.to_pyarrow().to_pylist())
    columns = [c for c in KINDS if c in customers.columns]
    hits = []
    for row in customers.select(*columns).to_pyarrow().to_pylist():
        if any(row[k] and keys.fingerprint(k, row[k]) in known for k in columns):
            hits.append(row["customer_id"])
    if not hits:
        return 0
    suppressions = [
        {"suppression_id": row_id(customer, "all", "erased", "identities"),
         "customer_id": customer, "channel": "all", "reason": "erased", "active": True,
         "time": time, "source": "erased_identities"}
        for customer in sorted(set(hits))
    ]  # fmt: skip
    schema = store.table("suppressions").schema().to_pyarrow()
    return store.append("suppressions", pa.Table.from_pylist(suppressions, schema=schema))
