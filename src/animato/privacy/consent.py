"""The consent ledger read back: per customer, channel and purpose, the last event decides.

Events are ordered by time; at the same time a withdrawal wins over a grant (the safe reading of
an ambiguous ledger), then the consent id breaks ties so that every backend agrees.
"""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir

from animato.store.store import Store

KEY = ("customer_id", "channel", "purpose")


def latest(consents: ir.Table) -> ir.Table:
    """The last consent event of each (customer, channel, purpose) of ``consents``."""
    ranked = consents.mutate(
        _rank=ibis.row_number().over(
            group_by=list(KEY),
            order_by=[ibis.desc("time"), ibis.asc("granted"), ibis.desc("consent_id")],
        )
    )
    return ranked.filter(ranked._rank == 0).drop("_rank")


def granted(consents: ir.Table, who: ir.Table) -> ir.Table:
    """(customer, channel, purpose) of those of ``who`` whose last consent event is a grant.

    The same reading as :func:`latest`, in one aggregation rather than a ranking: the last
    event is a grant when the last grant is later than the last withdrawal (a withdrawal at
    the same time wins).
    """
    mine = consents.semi_join(who.select("customer_id").distinct(), "customer_id")
    last = mine.group_by(KEY).aggregate(
        grant=mine.time.max(where=mine.granted), withdrawal=mine.time.max(where=~mine.granted)
    )
    kept = last.grant.notnull() & (last.withdrawal.isnull() | (last.grant > last.withdrawal))
    return last.filter(kept).select(*KEY)


def flags(consents: ir.Table, wanted: dict[str, tuple[str, str]]) -> ir.Table:
    """Per customer of ``consents``: ``customer_id`` and, for each ``name: (channel, purpose)``
    of ``wanted``, a column ``name`` telling whether the last consent event for it is a grant.

    The reading of :func:`granted`, with the customers' channels side by side: one
    aggregation by customer, for the few channels a message may go on.
    """
    mine = consents.filter(
        ibis.or_(*((consents.channel == c) & (consents.purpose == p) for c, p in wanted.values()))
    )
    last: dict[str, Any] = {}
    for name, (channel, purpose) in wanted.items():
        scope = (mine.channel == channel) & (mine.purpose == purpose)
        last[f"{name}__grant"] = mine.time.max(where=scope & mine.granted)
        last[f"{name}__withdrawal"] = mine.time.max(where=scope & ~mine.granted)
    found = mine.group_by("customer_id").aggregate(**last)
    return found.select(
        "customer_id",
        **{
            name: found[f"{name}__grant"].notnull()
            & (
                found[f"{name}__withdrawal"].isnull()
                | (found[f"{name}__grant"] > found[f"{name}__withdrawal"])
            )
            for name in wanted
        },
    )


def state(store: Store, customer_id: str) -> list[dict[str, Any]]:
    """A customer's current consent per channel and purpose, with the event that set it."""
    consents = store.table("consents")
    mine = latest(consents.filter(consents.customer_id == customer_id))
    return _rows(mine.order_by("channel", "purpose"))


def history(store: Store, customer_id: str) -> list[dict[str, Any]]:
    """Every grant and withdrawal of a customer, oldest first."""
    consents = store.table("consents")
    mine = consents.filter(consents.customer_id == customer_id)
    return _rows(mine.order_by("time", "channel", "purpose", ibis.desc("granted")))


def _rows(table: ir.Table) -> list[dict[str, Any]]:
    columns = ("channel", "purpose", "granted", "time", "source", "wording_version", "_loaded_at")
    out: list[dict[str, Any]] = table.select(*columns).to_pyarrow().to_pylist()
    return out
