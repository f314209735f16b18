"""``tick(now)``: one deterministic, set-based run of the plan over ``(last tick, now]``.

The passes run in order (DESIGN.md §3) inside one transaction: a tick that fails leaves the store
as it was, and running the same tick twice writes nothing the second time.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from animato.engine import (
    attribution,
    campaigns,
    entry,
    journeys,
    outbox,
    pauses,
    scores,
    segments,
    state,
    triggers,
    variants,
)
from animato.engine.clock import Interval, existing
from animato.engine.compile import Compiler
from animato.engine.engagement import Assumption
from animato.engine.ids import row_id
from animato.engine.state import State
from animato.store.store import Store

FIRST_LOOKBACK = timedelta(days=1)


@dataclass
class TickResult:
    """What one tick did: its interval, enrolments and decisions per scenario."""

    start: datetime
    end: datetime
    ran: bool
    enrolments: dict[str, int] = field(default_factory=dict)
    decisions: dict[str, dict[str, int]] = field(default_factory=dict)
    duration_ms: int = 0
    arbitration_ms: int = 0  # of which arbitration and rendering
    ticks: int = 1

    @property
    def messages(self) -> int:
        """Messages decided in this tick (all decisions)."""
        return sum(
            n for counts in self.decisions.values() for k, n in counts.items() if k != "ended"
        )


def combine(results: list[TickResult]) -> TickResult:
    """The ticks of a period as one result: counts summed, from the first start to the last end."""
    ran = [r for r in results if r.ran]
    total = TickResult(results[0].start, results[-1].end, ran=bool(ran), ticks=len(ran))
    for result in ran:
        total.duration_ms += result.duration_ms
        total.arbitration_ms += result.arbitration_ms
        for scenario, n in result.enrolments.items():
            total.enrolments[scenario] = total.enrolments.get(scenario, 0) + n
        for scenario, counts in result.decisions.items():
            mine = total.decisions.setdefault(scenario, {})
            for decision, n in counts.items():
                mine[decision] = mine.get(decision, 0) + n
    return total


class Engine:
    """Runs the plan of a store: ``Engine(store).tick(now)``.

    ``assume``, ``rendering`` and ``state_in`` are for simulations: the engagement of sent
    messages nobody recorded (see :mod:`animato.engine.engagement`), whether accepted messages
    get their content (decisions do not depend on it), and where the customer state lives
    (:data:`animato.engine.state.SCRATCH`: in temporary tables, out of the replay's file).
    """

    def __init__(
        self,
        store: Store,
        *,
        assume: Assumption | None = None,
        rendering: bool = True,
        state_in: state.Tables = state.KEPT,
    ) -> None:
        self.store = store
        self.plan = store.plan
        self.assume = assume
        self.rendering = rendering
        self.state_in = state_in
        self.paused: set[str] = set()  # scenarios paused from the dashboard (read each tick)

    def last_tick(self) -> datetime | None:
        """The ``now`` of the latest tick, if any."""
        value = self.store.table("ticks").now.max().to_pyarrow().as_py()
        return value if isinstance(value, datetime) else None

    def tick(self, now: datetime, *, since: datetime | None = None) -> TickResult:
        """Run one tick over ``(last tick, now]`` (a first tick looks back one day)."""
        now = now if now.tzinfo is None else _utc(now)
        previous = self.last_tick() or since or now - FIRST_LOOKBACK
        result = TickResult(previous, now, ran=False)
        if now <= previous:
            return result
        started = time.perf_counter()
        interval = Interval(previous, now, self.plan.timezone)
        tick_id = row_id("tick", previous.isoformat(), now.isoformat())
        compiler = Compiler(self.plan, now)
        store = self.store
        with store.transaction():
            self.paused = set(pauses.paused(store))
            compiler.fits = scores.ensure_fits(store, now)
            variants.decide(store, now, tick_id)
            customers = existing(store.table("customers"), now)
            events = store.table("events")
            current = state.refresh(store, compiler, now, self.state_in)
            moved = segments.changes(store, current, interval, compiler, tick_id)
            timely = triggers.during(current.after(interval.start), interval)
            timely = store.materialize("tick_timely", timely)
            cands = triggers.candidates(
                self.plan, events, timely, customers, current, interval, compiler, moved
            )
            if cands is not None:
                cands = store.materialize("tick_candidates", cands)
            busy = store.materialize(
                "tick_busy", entry.running(store.table("enrolments"), store.table("journey_log"))
            )
            pending = store.materialize("tick_pending", outbox.waiting(store, previous))
            # No message of a running journey is due before the journey's entry: the older
            # messages and outbox rows are skipped (by their time, as the logs are in time order).
            # A journey the tick enrols has no message yet.
            since = busy.entered_at.min().to_pyarrow().as_py()
            steps = store.materialize("tick_steps", journeys.steps(store, busy, pending, since))
            progress = store.materialize("tick_progress", journeys.progress(steps))
            everyone = current
            due = journeys.upcoming(store, busy, progress, interval)
            customers, contacts, current = _involved(store, current, due, cands)
            enrolled = None
            if cands is not None:
                enrolled = self._enrol(cands, customers, current, busy, now, compiler, tick_id)
            if enrolled is not None:
                result.enrolments = _count_by_scenario(enrolled)
                since = _earliest(since, enrolled.entered_at.min().to_pyarrow().as_py())
            # Running now: those running as the tick started, and those it just enrolled.
            running = store.materialize(
                "tick_running", busy if enrolled is None else ibis.union(busy, enrolled)
            )
            shared = journeys.Tick(
                customers,
                contacts,
                running,
                steps,
                progress,
                _fresh_events(store, current, interval, enrolled),
                pending,
                self.assume,
                since,
            )
            result.decisions = self._journeys(shared, current, interval, compiler, tick_id)
            attribution.attribute(store, current, interval, compiler, tick_id)
            result.decisions |= campaigns.candidates(
                store, self.plan, everyone, interval, compiler, tick_id
            )
            arbitrating = time.perf_counter()
            decided = outbox.arbitrate(
                store,
                self.plan,
                pending,
                interval,
                tick_id,
                paused=self.paused,
                rendering=self.rendering,
            )
            result.arbitration_ms = int((time.perf_counter() - arbitrating) * 1000)
            result.decisions = _arbitrated(result.decisions, decided)
            result.duration_ms = int((time.perf_counter() - started) * 1000)
            result.ran = True
            store.append(
                "ticks",
                pa.Table.from_pylist(
                    [
                        {
                            "tick_id": tick_id,
                            "previous": previous,
                            "now": now,
                            "started_at": datetime.now(),
                            "duration_ms": result.duration_ms,
                            "enrolments": sum(result.enrolments.values()),
                            "messages": result.messages,
                        }
                    ]
                ),
            )
        return result

    def _enrol(
        self,
        cands: ir.Table,
        customers: ir.Table,
        current: State,
        busy: ir.Table,
        now: datetime,
        compiler: Compiler,
        tick_id: str,
    ) -> ir.Table | None:
        """Enrol the tick's candidates; return the new enrolments (``None`` when none)."""
        waiting = _count_by_scenario(cands)
        entering = [s for s in self.plan.scenarios if waiting.get(s.id) and s.id not in self.paused]
        if not entering:
            return None
        store = self.store
        # Only the candidates' past enrolments can keep them out (a table of its own: Spark
        # loses track of a column when the log is joined with itself in one query).
        past = store.table("enrolments").semi_join(
            cands.select("customer_id").distinct(), "customer_id"
        )
        new = entry.enrol(
            self.plan,
            entering,
            cands,
            customers,
            current,
            store.materialize("tick_past_enrolments", past),
            busy,
            now,
            compiler,
            tick_id,
        )
        enrolled = store.materialize("tick_enrolled", store.novel("enrolments", new))
        return enrolled if store.insert("enrolments", enrolled) else None

    def _journeys(
        self,
        shared: journeys.Tick,
        current: State,
        interval: Interval,
        compiler: Compiler,
        tick_id: str,
    ) -> dict[str, dict[str, int]]:
        """End and advance the running journeys; return what happened per scenario."""
        running = _count_by_scenario(shared.running)
        busy = [s for s in self.plan.scenarios if running.get(s.id)]
        ended = journeys.end(self.store, busy, shared, interval, compiler, tick_id)
        moving = [s for s in busy if s.id not in self.paused]
        decided = journeys.advance(self.store, moving, current, shared, interval, compiler, tick_id)
        return {s.id: {"ended": ended.get(s.id, 0), **decided.get(s.id, {})} for s in busy}


def _arbitrated(
    journeys: dict[str, dict[str, int]], decided: dict[str, dict[str, int]]
) -> dict[str, dict[str, int]]:
    """The journeys' counts with their candidates replaced by what arbitration decided."""
    out = {
        action: {k: n for k, n in counts.items() if k != "candidate"}
        for action, counts in journeys.items()
    }
    for action, counts in decided.items():
        mine = out.setdefault(action, {})
        for decision, n in counts.items():
            mine[decision] = mine.get(decision, 0) + n
    return out


def _involved(
    store: Store, current: State, due: ir.Table, cands: ir.Table | None
) -> tuple[ir.Table, journeys.Contacts, State]:
    """Customers, contacts (consents, suppressions) and state rows of those this tick may enrol
    or send a step to (``due``: the customers of the running journeys with a step due).

    Entry and journeys join these small tables instead of the whole base, again and again.
    """
    ids = due.select("customer_id")
    if cands is not None:
        ids = ibis.union(ids, cands.select("customer_id"))
    people = store.materialize("tick_people", ids.distinct())
    customers = store.table("customers").semi_join(people, "customer_id")
    rows = current.table.semi_join(people, "customer_id")
    return (
        store.materialize("tick_customers", customers),
        journeys.Contacts(
            store.materialize(
                "tick_consents",
                store.table("consents")
                .semi_join(people, "customer_id")
                .select("customer_id", "channel", "purpose", "granted", "time"),
            ),
            store.materialize(
                "tick_suppressed", journeys.suppressed(store.table("suppressions"), people)
            ),
        ),
        replace(current, table=store.materialize("tick_state", rows)),
    )


def _fresh_events(
    store: Store, current: State, interval: Interval, enrolled: ir.Table | None
) -> ir.Table:
    """The events this tick is the first to see, and the history of customers enrolled late.

    Goals and exits are looked for in them only: an earlier tick saw the rest. A customer whose
    enrolment starts before this tick (a late trigger event) may have reached a goal since.
    """
    events = store.table("events")
    if current.recent is None:
        return events
    if enrolled is None:
        return current.recent
    late = enrolled.filter(enrolled.entered_at <= interval.start)
    if not late.count().to_pyarrow().as_py():
        return current.recent
    history = events.semi_join(late.select("customer_id"), "customer_id")
    return store.materialize("tick_events", ibis.union(current.recent, history))


def _earliest(first: datetime | None, second: datetime | None) -> datetime | None:
    return second if first is None else first if second is None else min(first, second)


def _count_by_scenario(table: ir.Table) -> dict[str, int]:
    """Rows per scenario id, in one query (to skip scenarios with nothing to do)."""
    counts = table.group_by("scenario_id").aggregate(n=table.count()).to_pyarrow().to_pylist()
    return {row["scenario_id"]: row["n"] for row in counts}


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)
