"""Scores ("score d'inactivité"): per-customer values in [0, 1] declared in the conventions,
usable in any condition as ``score('inactivity') > 0.7``.

A score's criteria are conditions compiled with the others (:class:`~animato.engine.compile.
Compiler`); its ``alive`` part is BG/NBD's ``1 - P(alive)``, whose parameters are fitted on the
store's history (:func:`ensure_fits`, called by each tick: a fit is reused until it is older
than ``refit``) and kept in ``score_fits``.
"""

from __future__ import annotations

from datetime import datetime

import ibis
import ibis.expr.types as ir
import numpy as np
import pyarrow as pa

from animato.engine import bgnbd
from animato.engine.aggregates import aggregate_table
from animato.engine.compile import Compiler, alive_aggregates
from animato.engine.ids import below, row_id
from animato.plan.model import Alive
from animato.store.store import Store


def history(store: Store, alive: Alive, now: datetime) -> ir.Table:
    """Per customer with at least one ``alive.event`` up to ``now``: ``frequency`` (repeat
    days), ``recency`` (first to last purchase day) and ``T`` (first purchase day to ``now``) in
    weeks, the summary BG/NBD is fitted on.
    """
    days, first, last = alive_aggregates(alive.event)
    table = aggregate_table(store.table("events"), [days, first, last], now)
    assert table is not None
    table = table.filter(table[days.column] > 0)
    first_day, last_day = bgnbd.day(table[first.column]), bgnbd.day(table[last.column])
    return table.select(
        "customer_id",
        frequency=(table[days.column] - 1).cast("float64"),
        recency=bgnbd.weeks(last_day, first_day),
        T=bgnbd.weeks(ibis.literal(now), first_day),
    )


def fit_history(store: Store, alive: Alive, now: datetime) -> bgnbd.Fit | None:
    """A BG/NBD fit of the history as of ``now``; None with fewer than ``min_customers`` or
    when the model does not converge on it.
    """
    found = history(store, alive, now)
    total = int(found.count().to_pyarrow().as_py())
    if total < alive.min_customers:
        return None
    if total > alive.sample:  # a deterministic sample: the parameters hardly move beyond it
        share = alive.sample / total
        found = found.filter(below(ibis.literal("fit:") + found.customer_id, share))
    summary = found.order_by("customer_id").to_pyarrow()  # the same sums, the same fit
    cols = {
        k: np.asarray(summary[k].to_numpy(), dtype=float) for k in ("frequency", "recency", "T")
    }
    return bgnbd.fit(cols["frequency"], cols["recency"], cols["T"], now)


def latest_fits(store: Store, now: datetime) -> dict[str, bgnbd.Fit]:
    """The most recent fit of each score made at or before ``now``."""
    fits = store.table("score_fits")
    fits = fits.filter((fits.as_of <= now) & fits.r.notnull())
    rank = ibis.row_number().over(group_by="score", order_by=ibis.desc("as_of"))
    rows = fits.mutate(_rank=rank).filter(ibis._._rank == 0).to_pyarrow().to_pylist()
    return {
        r["score"]: bgnbd.Fit(r["r"], r["alpha"], r["a"], r["b"], r["customers"], r["as_of"])
        for r in rows
    }


def ensure_fits(store: Store, now: datetime) -> dict[str, bgnbd.Fit]:
    """The fits a tick at ``now`` uses: the latest of each score, refitted first when there is
    none yet or it is older than the score's ``refit``.
    """
    scores = {k: v for k, v in store.plan.conventions.scores.items() if v.alive is not None}
    if not scores:
        return {}
    fits = latest_fits(store, now)
    t = store.table("score_fits")
    tried = t.filter(t.as_of <= now).group_by("score").aggregate(last=t.as_of.max())
    attempts = {r["score"]: r["last"] for r in tried.to_pyarrow().to_pylist()}
    fresh = []
    for name, score in scores.items():
        alive = score.alive
        assert alive is not None
        last = attempts.get(name)
        if last is not None and alive.refit.after(last) > now:
            continue
        made = fit_history(store, alive, now)
        if made is not None:
            fits[name] = made
        # a failed attempt is kept too (no parameters), so that the next is a refit away
        fresh.append(
            {
                "fit_id": row_id("fit", name, now.isoformat()),
                "score": name,
                "event": alive.event,
                "r": None if made is None else made.r,
                "alpha": None if made is None else made.alpha,
                "a": None if made is None else made.a,
                "b": None if made is None else made.b,
                "customers": None if made is None else made.customers,
                "as_of": now,
            }
        )
    if fresh:
        schema = store.table("score_fits").schema().to_pyarrow()
        store.append("score_fits", pa.Table.from_pylist(fresh, schema=schema), unique=True)
    return fits


def values(store: Store, name: str, now: datetime) -> ir.Table:
    """Every customer's value of a score at ``now`` (``customer_id``, ``score``), with the
    latest fit; for a report or a notebook.
    """
    compiler = Compiler(store.plan, now)
    compiler.fits = latest_fits(store, now)
    text = f"score('{name}')"
    customers = store.table("customers").select("customer_id")
    aggs = aggregate_table(store.table("events"), compiler.aggregates(text), now)
    context = customers
    if aggs is not None:
        context = customers.left_join(aggs, "customer_id").drop("customer_id_right")
    return context.select("customer_id", score=compiler.value(text, context))
