"""Per-customer state: the event aggregates the plan reads, kept up to date tick after tick.

The state is a cache of the events table (``customer_state``): one row per customer with a column
per aggregate the plan's conditions and inactivity triggers need, as of the last tick. A tick
updates only the customers it touches: those with events new to it (by event time, or loaded
since the previous tick however old they are) and those with an event leaving one of the plan's
windows. Counts and first/last times move by the events that entered and left; the types with
other aggregates are recomputed from those customers' events of the type. The events explain
every value; the state is rebuilt from them when the plan's aggregates change.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from animato.engine.aggregates import aggregate_table
from animato.engine.compile import Aggregate, Compiler
from animato.plan.durations import Duration
from animato.plan.model import Plan
from animato.store.store import Store

STATE = "customer_state"
META = "state_meta"
# The events of the types whose aggregates are recomputed rather than moved along (see
# :func:`mergeable`), with the columns those read: a few of the events' columns and rows, read
# each tick for the customers whose such aggregates moved (a million customers: a purchase
# history of 5 million rows rather than 21 million events scanned). Kept with the state.
HISTORY = "state_history"


@dataclass(frozen=True)
class Tables:
    """Where a state lives: its table, its meta row (time, load mark, signature), its copy of
    events. ``scratch`` ones are temporary: a replay's state, which its store's copy never needs
    again (an interrupted replay makes it anew), is kept out of the file and its log."""

    state: str = STATE
    meta: str = META
    history: str = HISTORY
    scratch: bool = False


KEPT = Tables()
SCRATCH = Tables("scratch_state", "scratch_state_meta", "scratch_state_history", scratch=True)


def stored(agg: Aggregate) -> Aggregate:
    """What the state keeps for an aggregate: ``days_since`` is kept as the last event's time."""
    if agg.func == "days_since":
        return Aggregate("last_time", agg.event, None, agg.window)
    return agg


def last_time(event: str) -> Aggregate:
    """The time of a customer's last event of a type (inactivity triggers)."""
    return Aggregate("last_time", event)


def cadence(event: str) -> tuple[Aggregate, Aggregate]:
    """How many events of a type a customer had, and their median gap (cadence triggers)."""
    return Aggregate("count", event), Aggregate("median_gap", event)


def _conditions(plan: Plan) -> Iterator[str]:
    conv = plan.conventions
    yield from conv.definitions.values()
    yield from conv.segments.values()
    yield from (stage.when for stage in conv.lifecycle)
    yield from (rule.when for rule in conv.exclusions.values())
    for scenario in plan.scenarios:
        yield from (t for t in (scenario.when, scenario.trigger.where) if t is not None)
        yield from (step.if_ for step in scenario.steps if step.if_ is not None)
    yield from (c.when for c in plan.campaigns if c.when is not None)


def columns(plan: Plan, compiler: Compiler) -> list[Aggregate]:
    """Every aggregate the state keeps for a plan, in a stable order."""
    found: set[Aggregate] = set()
    for text in _conditions(plan):
        found |= {stored(agg) for agg in compiler.aggregates(text)}
    for scenario in plan.scenarios:
        spec = scenario.trigger.inactive
        if spec is None:
            continue
        found.add(last_time(spec.event))
        if spec.for_ == "cadence":
            found.update(cadence(spec.event))
    return sorted(found, key=lambda a: a.column)


def _signature(aggs: Iterable[Aggregate]) -> str:
    return hashlib.sha256(",".join(a.column for a in aggs).encode()).hexdigest()[:16]


@dataclass
class State:
    """The state as of one tick's ``now``: a table of aggregate columns to join on customers.

    An aggregate the plan does not use (an ad-hoc condition) is computed from ``events``.
    """

    table: ir.Table
    events: ir.Table
    now: datetime
    refreshed: int = 0
    recent: ir.Table | None = None  # events new since the previous tick; None: all of them
    since: datetime | None = None  # ``recent`` holds every event of a later time

    def after(self, moment: datetime) -> ir.Table:
        """Events among which are all those of a time after ``moment``: the ``recent`` ones
        when they hold them all, else every event.
        """
        if self.recent is not None and self.since is not None and self.since <= moment:
            return self.recent
        return self.events

    def aggregates(self, wanted: Iterable[Aggregate]) -> ir.Table | None:
        """``customer_id`` and one column per wanted aggregate (``None`` when none are wanted)."""
        wanted = sorted(set(wanted), key=lambda a: a.column)
        if not wanted:
            return None
        today = ibis.literal(self.now.date())
        held = self.table
        missing = [a for a in wanted if stored(a).column not in held.columns]
        extra = aggregate_table(self.events, missing, self.now)
        if extra is not None:
            held = held.outer_join(extra, "customer_id")
            held = held.mutate(customer_id=held.customer_id.fill_null(held.customer_id_right))
        cols = {}
        for agg in wanted:
            if agg in missing:
                cols[agg.column] = held[agg.column]
                continue
            value = held[stored(agg).column]
            cols[agg.column] = (
                today.delta(value.date(), unit="day") if agg.func == "days_since" else value
            )
        return held.select("customer_id", **cols)


def refresh(store: Store, compiler: Compiler, now: datetime, where: Tables = KEPT) -> State:
    """Bring the state to ``now``: touched customers only, or a rebuild when needed."""
    aggs = columns(store.plan, compiler)
    if not aggs:
        empty = ibis.memtable(pa.table({"customer_id": pa.array([], pa.string())}))
        return State(empty, store.table("events"), now)
    con = store.con
    events = store.table("events")
    signature = _signature(aggs)
    tables = set(con.list_tables())
    meta = con.table(where.meta).to_pyarrow().to_pylist() if where.meta in tables else []
    mark = events._loaded_at.max().to_pyarrow().as_py()
    last = meta[0] if meta else None
    rebuild = (
        last is None
        or last["signature"] != signature
        or where.state not in tables
        or now < last["as_of"]
        or last["loaded_mark"] is None
    )
    recent = since = None
    history = _history(store, events, aggs, None if rebuild or last is None else last, where)
    if rebuild or last is None:
        full = aggregate_table(events, aggs, now)
        assert full is not None
        _make(store, where, where.state, full)
        refreshed = store.count(where.state)
    else:  # read by the tick's triggers, goals and attribution too: computed once
        since = last["as_of"]
        recent = store.materialize(
            "tick_recent", _new_events(events, since, last["loaded_mark"], now)
        )
        refreshed = 0
        if now != since or mark != last["loaded_mark"]:
            moved = _update(con.table(where.state), events, history, recent, aggs, last, now)
            fresh = store.materialize("_fresh", moved)
            store.delete(where.state, "customer_id", fresh)
            refreshed = store.insert(where.state, fresh)
    row = pa.table(
        {
            "as_of": pa.array([now], pa.timestamp("us")),
            "loaded_mark": pa.array([mark], pa.timestamp("us")),
            "signature": [signature],
        }
    )
    if where.scratch:
        store.load(where.meta, row)
    else:
        store.clear(where.meta)
        store.append(where.meta, row)
    return State(con.table(where.state), events, now, refreshed, recent, since)


def _make(store: Store, where: Tables, name: str, rows: ir.Table) -> ir.Table:
    """The table ``name`` of a state made anew from ``rows``."""
    return store.materialize(name, rows) if where.scratch else store.replace(name, rows)


def mergeable(agg: Aggregate) -> bool:
    """Whether the state moves an aggregate along by the events that enter and leave it: a
    count adds and subtracts exactly; a first or last time over all history only adds.

    The others (sums in floating point, medians, a windowed minimum…) are recomputed from the
    customer's events of their type.
    """
    return agg.func == "count" or (agg.func in ("last_time", "first_time") and agg.window is None)


def _history(
    store: Store,
    events: ir.Table,
    aggs: list[Aggregate],
    last: dict[str, Any] | None,
    where: Tables,
) -> ir.Table | None:
    """The :data:`HISTORY` table brought to the events loaded by now (None when every
    aggregate is mergeable): made anew when the state is (``last`` is None) or the table is
    missing, else given the events loaded since the state's mark.
    """
    redo = sorted({a.event for a in aggs if not mergeable(a)})
    if not redo:
        return None
    props = sorted({a.prop for a in aggs if not mergeable(a) and a.prop is not None})
    columns = ["customer_id", "type", "time", *props]
    mine = events.filter(events.type.isin(redo))
    if last is None or where.history not in store.con.list_tables():
        return _make(store, where, where.history, mine.select(*columns))
    late = mine.filter(mine._loaded_at > last["loaded_mark"])
    store.insert(where.history, late.select(*columns))
    return store.con.table(where.history)


def _update(
    held: ir.Table,
    events: ir.Table,
    history: ir.Table | None,
    recent: ir.Table,
    aggs: list[Aggregate],
    last: dict[str, Any],
    now: datetime,
) -> ir.Table:
    """The state rows, at ``now``, of the customers whose aggregates may have moved since the
    state's time: those with events new to this tick, or with an event leaving a window.

    A :func:`mergeable` aggregate is its held value plus what entered minus what left. An
    event type with another kind of aggregate has all its aggregates recomputed from its
    events (in ``history``), for the customers with one of them entering or leaving.
    """
    moved = _moved(events, recent, aggs, last["as_of"], last["loaded_mark"], now)
    entered, left = moved.sign == 1, moved.sign == -1
    change: dict[str, Any] = {}
    for agg in filter(mergeable, aggs):
        mine = moved.type == agg.event
        if agg.func == "last_time":
            value = moved.time.max(where=entered & mine)
        elif agg.func == "first_time":
            value = moved.time.min(where=entered & mine)
        elif agg.window is None:
            value = moved.count(where=entered & mine)
        else:
            since, until = last["as_of"] - agg.window.delta(), now - agg.window.delta()
            value = moved.count(where=entered & mine & (moved.time > until)) - moved.count(
                where=left & mine & (moved.time > since) & (moved.time <= until)
            )
        change[f"{agg.column}__change"] = value
    redo = sorted({a.event for a in aggs if not mergeable(a)})
    change["_redo"] = moved.count(where=moved.type.isin(redo)) if redo else ibis.literal(0)
    delta = moved.group_by("customer_id").aggregate(**change)
    rows = delta.left_join(held.mutate(_held=ibis.literal(True)), "customer_id")
    rows = rows.drop("customer_id_right")
    if redo:
        assert history is not None
        again = aggregate_table(
            history,
            [a for a in aggs if a.event in redo],
            now,
            delta.filter(delta._redo > 0),
        )
        assert again is not None
        again = again.rename({f"{c}__again": c for c in again.columns if c != "customer_id"})
        rows = rows.left_join(again, "customer_id").drop("customer_id_right")
    columns: dict[str, Any] = {}
    for agg in aggs:
        old = rows[agg.column]
        if not mergeable(agg):  # recomputed if its type moved, else as held (or none yet)
            again = rows[f"{agg.column}__again"]
            none = ibis.literal(0) if agg.func in ("count", "days") else ibis.null(old.type())
            held_or_none = rows._held.fill_null(False).ifelse(old, none)
            columns[agg.column] = (rows._redo > 0).ifelse(again, held_or_none)
            continue
        new = rows[f"{agg.column}__change"]
        if agg.func == "count":
            columns[agg.column] = old.fill_null(0) + new
        else:
            pick = ibis.greatest if agg.func == "last_time" else ibis.least
            columns[agg.column] = pick(old.fill_null(new), new.fill_null(old))
    return rows.select("customer_id", **columns)


def _moved(
    events: ir.Table,
    recent: ir.Table,
    aggs: list[Aggregate],
    as_of: datetime,
    mark: datetime,
    now: datetime,
) -> ir.Table:
    """The events that enter the state (``sign`` 1: new to this tick) or leave a window
    (``sign`` -1: counted at ``as_of``, being of a time up to it and loaded by then, and out of
    the window at ``now``).

    Each window's leavers are a range of times, which DuckDB finds by the row groups' min/max.
    """
    windows: dict[Duration, set[str]] = {}
    for agg in aggs:
        if agg.window is not None:
            windows.setdefault(agg.window, set()).add(agg.event)
    keep = ["customer_id", "type", "time"]
    moved = recent.select(*keep).mutate(sign=ibis.literal(1, "int8"))
    leaving = [
        events.filter(
            events.type.isin(sorted(types)),
            events.time > as_of - window.delta(),
            events.time <= min(as_of, now - window.delta()),
            events._loaded_at <= mark,
        ).select("event_id", *keep)
        for window, types in sorted(windows.items(), key=lambda item: str(item[0]))
    ]
    if not leaving:
        return moved
    gone = ibis.union(*leaving, distinct=True)  # an event may leave two windows at once
    return ibis.union(moved, gone.select(*keep).mutate(sign=ibis.literal(-1, "int8")))


def _new_events(
    events: ir.Table, as_of: datetime, loaded_mark: datetime | None, now: datetime
) -> ir.Table:
    """Events a tick at ``now`` sees for the first time: by event time, or loaded since.

    Two range filters rather than one ``or``, so that DuckDB skips row groups by their min/max.
    """
    if loaded_mark is None:
        return events.filter(events.time <= now)
    timely = events.filter(events.time > as_of, events.time <= now)
    late = events.filter(events._loaded_at > loaded_mark, events.time <= as_of)
    return ibis.union(timely, late)


def recompute(store: Store, who: ir.Table) -> None:
    """Recompute, as of the state's time, the rows of the customers of ``who`` (a table with
    ``customer_id``) whose events were removed rather than added (a retention purge).
    """
    meta = store.table(META).to_pyarrow().to_pylist()
    if not meta or STATE not in store.con.list_tables():
        return  # no state yet: the next tick builds it
    as_of = meta[0]["as_of"]
    aggs = columns(store.plan, Compiler(store.plan, as_of))
    if not aggs:
        return
    chosen = store.materialize("_recompute", who.select("customer_id").distinct())
    fresh = aggregate_table(store.table("events"), aggs, as_of, chosen)
    assert fresh is not None
    store.delete(STATE, "customer_id", chosen)
    store.insert(STATE, fresh)
