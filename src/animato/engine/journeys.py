"""Pass 3: journeys → goals, exits, and the steps that fall due, with their hard filters.

For each running enrolment the next step is due ``wait`` after entry (first step) or after the
previous step's send time; a step's ``at`` moves its send time to the next local ``at`` time.
Before any step, a goal reached ends the journey as converted and an ``exit_when`` event ends it
as exited. A due step whose ``if`` is false is skipped; otherwise it becomes a message row whose
decision is ``candidate``, ``withheld:control``, ``dropped:no_consent`` or ``dropped:no_address``
(until the arbitration pass decides the candidates).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from animato.engine import engagement, variants
from animato.engine.clock import Interval
from animato.engine.compile import ENGAGEMENT, Compiler
from animato.engine.entry import TERMINAL
from animato.engine.ids import row_id_expr
from animato.engine.state import State
from animato.plan.model import Fallback, Plan, Scenario
from animato.privacy import consent
from animato.store.schema import event_properties, trigger_events
from animato.store.store import Store


@dataclass
class Tick:
    """What every scenario's journeys read, computed once per tick into temporary tables.

    ``customers``: the customers with a running journey; ``contacts``: their granted consents
    and suppressions;
    ``running``: the enrolments not ended before the journeys pass; ``steps``: their messages
    decided before this tick (:func:`steps`); ``progress``: their decided steps and last send
    time; ``pending``: the messages arbitration postponed and has not decided
    for good yet; ``fresh``: the events this tick is the first to see (and the
    history of customers enrolled late), the only ones where a goal or an exit can newly be
    reached; ``assume``: the engagement a simulation assumes where none is recorded.
    """

    customers: ir.Table
    contacts: Contacts
    running: ir.Table
    steps: ir.Table
    progress: ir.Table
    fresh: ir.Table
    pending: ir.Table
    assume: engagement.Assumption | None = None
    since: datetime | None = None  # the earliest entry of a running journey

    def logged(self, store: Store) -> ir.Table:
        """The ``journey_log`` rows that a running journey may have: logged at or after its
        entry (a goal or an exit after it, a completion at its last step's send time).
        """
        log = store.table("journey_log")
        return log if self.since is None else log.filter(log.time >= self.since)


ADDRESS = {"email": "email", "sms": "phone", "call": "phone", "push": "customer_id"}


def end(
    store: Store,
    scenarios: list[Scenario],
    tick: Tick,
    interval: Interval,
    compiler: Compiler,
    tick_id: str,
) -> dict[str, int]:
    """Log the goals reached and exits of every running journey, in one pass over the fresh
    events; return how many journeys ended per scenario.

    A journey ends at its first hit after entry; a goal wins over an exit, and exits count in
    the order the scenario lists them.
    """
    rules: list[tuple[Scenario, str, str, str | None, Any]] = []  # in rank order
    for scenario in scenarios:
        if scenario.goal is not None:
            goal = scenario.goal
            rules.append((scenario, "converted", goal.event, goal.where, goal.within))
        rules += [(scenario, "exited", r.event, r.where, None) for r in scenario.exit_when]
    if not rules:
        return {}
    events = tick.fresh.filter(
        tick.fresh.time <= interval.end, tick.fresh.type.isin(sorted({r[2] for r in rules}))
    )
    running = tick.running.filter(tick.running.scenario_id.isin([s.id for s in scenarios]))
    found = events.join(running.select("scenario_id", *ACTIVE), "customer_id")
    found = found.filter(found.time > found.entered_at)
    if any(r[3] is not None for r in rules):
        found = found.mutate(**{f"event__{p}": found[p] for p in event_properties(store.plan)})
    ranks = []
    for rank, (scenario, _, event_type, where, within) in enumerate(rules):
        hit = (found.scenario_id == scenario.id) & (found.type == event_type)
        if within is not None:
            hit = hit & (found.time <= found.entered_at + _interval(within))
        ranks.append((hit & compiler.condition(where, found), rank))
    # An event's rank is the first rule it meets; a journey ends by its best rank's first event.
    found = found.mutate(_rank=ibis.cases(*ranks, else_=ibis.null("int64")))
    found = found.filter(found._rank.notnull())
    first = found.group_by("enrolment_id", "customer_id", "scenario_id", "_rank").aggregate(
        time=found.time.min()
    )
    best = ibis.row_number().over(group_by="enrolment_id", order_by="_rank") == 0
    first = first.filter(best)
    kind = ibis.cases(*((first._rank == i, r[1]) for i, r in enumerate(rules)))
    reason = ibis.cases(*((first._rank == i, r[2]) for i, r in enumerate(rules)))
    rows = first.select(
        row_id=row_id_expr(first.enrolment_id, kind),
        enrolment_id=first.enrolment_id,
        customer_id=first.customer_id,
        scenario_id=first.scenario_id,
        kind=kind,
        time=first.time,
        reason=reason,
        tick_id=ibis.literal(tick_id),
    )
    if not store.append("journey_log", rows, known=tick.logged(store)):
        return {}
    log = store.table("journey_log")
    ended = log.filter((log.tick_id == tick_id) & log.kind.isin(("converted", "exited")))
    counts = ended.group_by("scenario_id").aggregate(n=ended.count()).to_pyarrow().to_pylist()
    return {row["scenario_id"]: row["n"] for row in counts}


def _interval(duration: Any) -> Any:
    from animato.engine.triggers import _interval as make

    return make(duration)


def _send_time(interval: Interval, due: datetime, at: time, zone: str | None) -> datetime:
    """The first local ``at`` time at or after ``due``, never before the tick.

    Local means in the customer's own time zone when it is known, else the plan's.
    """
    day = interval.local_day(due, zone)
    send = interval.to_utc(day, at, zone)
    if send < due:
        send = interval.to_utc(day + timedelta(days=1), at, zone)
    return max(send, interval.end)


ACTIVE = ("enrolment_id", "customer_id", "entered_at", "control", "anniversary", "event_id")


def steps(store: Store, active: ir.Table, pending: ir.Table, since: datetime | None) -> ir.Table:
    """The messages of the ``active`` enrolments: their ids, their send time (the accepted one
    where arbitration moved it), and whether arbitration ``held`` them (postponed, not yet
    decided for good).

    ``since`` is the earliest entry of the ``active`` enrolments, before which none of their
    messages is due.
    """
    messages, outbox = _since(store, since)
    mine = messages.semi_join(active.select("enrolment_id"), "enrolment_id")
    mine = mine.left_join(outbox.select("message_id", sent_at=outbox.send_at), "message_id")
    return mine.select(
        "enrolment_id",
        "message_id",
        at=mine.sent_at.fill_null(mine.send_at),
        held=mine.message_id.isin(pending.message_id),
    )


def progress(steps: ir.Table) -> ir.Table:
    """Per running enrolment (from its :func:`steps`): how many steps are decided (``step``),
    the last send time, and whether a step is ``held`` by arbitration: the next step waits
    for it.
    """
    return steps.group_by("enrolment_id").aggregate(
        step=steps.count(), last_send=steps.at.max(), held=steps.held.any()
    )


def advance(
    store: Store,
    scenarios: list[Scenario],
    current: State,
    tick: Tick,
    interval: Interval,
    compiler: Compiler,
    tick_id: str,
) -> dict[str, dict[str, int]]:
    """Decide every step that falls due in this tick; return counts by scenario and decision.

    All the scenarios' due steps are decided together, one query a round; a step with no wait
    after one just decided makes another round. Journeys :func:`end` ended are left alone.
    """
    log = store.table("journey_log")
    ended = log.filter((log.tick_id == tick_id) & log.kind.isin(TERMINAL))
    active = tick.running.anti_join(ended, "enrolment_id").select("scenario_id", *ACTIVE)
    by_id = {scenario.id: scenario for scenario in scenarios}
    counts: dict[str, dict[str, int]] = {}
    done, pending = tick.progress, scenarios
    # A message's key is its journey's step: one of the running journeys' messages, or of the
    # rounds before, could have it (not the rest of the log).
    known = tick.steps.select("message_id")
    rounds = 0
    while pending:
        due = _due(store, pending, active, done, interval)
        waiting = due.group_by("scenario_id", "step").aggregate(n=due.count()).to_pyarrow()
        pairs = sorted(
            zip(waiting["scenario_id"].to_pylist(), waiting["step"].to_pylist(), strict=True)
        )
        if not pairs:
            break
        rows = _decisions(
            store, by_id, pairs, due, tick, current, compiler, interval.end
        ).to_pyarrow()
        written = _write(store, by_id, rows, interval, tick_id, counts, known, tick)
        rounds += 1
        mine = store.load(f"tick_written_{rounds}", written.select(["message_id", "enrolment_id"]))
        known = ibis.union(known, mine.select("message_id"))
        again = {
            sid
            for sid, index in pairs
            if index + 1 < len(by_id[sid].steps) and not by_id[sid].steps[index + 1].wait.delta()
        }
        pending = [scenario for scenario in scenarios if scenario.id in again]
        if pending:
            # Only a journey that just got a message has moved: any other would have been due
            # in this round already. The next round looks at those alone.
            active = active.semi_join(mine, "enrolment_id")
            done = _advanced(store, done.semi_join(mine, "enrolment_id"), written)
    return counts


def upcoming(store: Store, running: ir.Table, progress: ir.Table, interval: Interval) -> ir.Table:
    """The running journeys with a step due by the end of the tick, as :func:`advance` finds
    them in its first round, before goals and exits end some (``progress``: theirs).

    Their customers, and those the tick enrols, are the only ones a step can go to: a step
    due right after another is due to the same customer.
    """
    active = running.select("scenario_id", *ACTIVE)
    if not store.plan.scenarios:
        return active.filter(ibis.literal(False))
    return _due(store, store.plan.scenarios, active, progress, interval, "tick_upcoming")


def _advanced(store: Store, done: ir.Table, written: pa.Table) -> ir.Table:
    """The progress after a round: one more step decided for each journey that wrote a message.

    The round's messages are not in the outbox nor pending yet: their send time is their own,
    and they hold nothing back. The same as :func:`progress` again, without reading the logs.
    """
    fresh = store.load("tick_round", written.select(["enrolment_id", "send_at"]))
    rows = ibis.union(
        done.select("enrolment_id", "step", "last_send", "held", new=False),
        fresh.select(
            "enrolment_id", step=ibis.literal(0, "int64"), last_send="send_at", held=False, new=True
        ),
    )
    merged = rows.group_by("enrolment_id").aggregate(  # (a sum would be a decimal in DuckDB)
        step=rows.step.max() + rows.count(where=rows.new),
        last_send=rows.last_send.max(),
        held=rows.held.any(),
    )
    return store.materialize("tick_done", merged)


def _since(store: Store, since: datetime | None) -> tuple[ir.Table, ir.Table]:
    """The messages and outbox rows due or sent from ``since`` on (all of them without it)."""
    messages, outbox = store.table("messages"), store.table("outbox")
    if since is None:
        return messages, outbox
    return messages.filter(messages.due_at >= since), outbox.filter(outbox.send_at >= since)


def _due(
    store: Store,
    scenarios: list[Scenario],
    active: ir.Table,
    done: ir.Table,
    interval: Interval,
    name: str = "tick_due",
) -> ir.Table:
    """Running journeys whose next step falls due by the end of the tick, with that step's index.

    The next step is due ``wait`` after entry (first step) or after the previous step's send time.
    """
    ids = [scenario.id for scenario in scenarios]
    state = active.filter(active.scenario_id.isin(ids))
    state = state.left_join(done, "enrolment_id").drop("enrolment_id_right")
    state = state.filter(~state.held.fill_null(False)).mutate(step=state.step.fill_null(0))
    base = {0: state.entered_at}
    due = ibis.cases(
        *(
            (
                (state.scenario_id == scenario.id) & (state.step == i),
                base.get(i, state.last_send) + _interval(step.wait),
            )
            for scenario in scenarios
            for i, step in enumerate(scenario.steps)
        ),
        else_=ibis.null("timestamp"),
    )
    state = state.mutate(due=due).filter(ibis._.due <= interval.end)
    return store.materialize(name, state)


def _decisions(
    store: Store,
    by_id: dict[str, Scenario],
    pairs: list[tuple[str, int]],
    due: ir.Table,
    tick: Tick,
    current: State,
    compiler: Compiler,
    now: datetime,
) -> ir.Table:
    """The decision and channel of each journey's due step: one expression for every
    (scenario, step) pair of the round, its rules picked by a case on the pair.
    """
    plan = store.plan
    rules = plan.conventions.exclusions
    steps = {(sid, i): by_id[sid].steps[i] for sid, i in pairs}
    excluded = {
        sid: [(n, rules[n].when) for n in by_id[sid].exclude if sid not in rules[n].except_]
        for sid in sorted({sid for sid, _ in pairs})
    }
    context = due.left_join(tick.customers, "customer_id").drop("customer_id_right")
    if any(compiler.reads_event(step.if_) for step in steps.values()):
        events = trigger_events(store.table("events"), due.select("event_id", "entered_at"))
        trigger_props = events.select(
            "event_id", **{f"event__{p}": events[p] for p in event_properties(plan)}
        )
        context = context.left_join(trigger_props, "event_id").drop("event_id_right")
    needed = set().union(
        *(compiler.aggregates(step.if_) for step in steps.values()),
        *(compiler.aggregates(text) for rows in excluded.values() for _, text in rows),
    )
    aggs = current.aggregates(needed)
    if aggs is not None:
        context = context.left_join(aggs, "customer_id").drop("customer_id_right")
    # engagement with earlier steps, for the pairs whose `if` reads it
    reading = [(sid, i) for (sid, i), step in steps.items() if engagement.reads(step.if_)]
    earlier = sorted({str(s.id) for sid, i in reading for s in by_id[sid].steps[:i]})
    flags = None
    if earlier:  # read for the journeys whose due step needs it only
        readers = due.filter(
            ibis.or_(*((due.scenario_id == sid) & (due.step == i) for sid, i in reading))
        )
        # their messages are due from their entry on: the logs' older rows are skipped
        first = readers.entered_at.min().to_pyarrow().as_py()
        flags = engagement.flags(store, readers, now, tick.assume, *_since(store, first))
    context = engagement.attach(context, flags, earlier)

    def pair(sid: str, i: int) -> ir.BooleanValue:
        return (context.scenario_id == sid) & (context.step == i)

    previous = {
        kind: ibis.cases(
            *(
                (pair(sid, i), context[f"{kind}__{by_id[sid].steps[i - 1].id}"])
                for sid, i in reading
                if i > 0
            ),
            else_=ibis.literal(False),
        )
        if any(i > 0 for _, i in reading)
        else ibis.literal(False)
        for kind in ENGAGEMENT
    }
    context = context.mutate(**{f"{kind}__previous": value for kind, value in previous.items()})
    used = {name for step in steps.values() for name in routes(step.channel, step.fallback)}
    context = tick.contacts.attach(plan, context, used)
    verdicts = {
        (step.channel, step.fallback): reach(plan, context, step.channel, step.fallback)
        for step in steps.values()
    }
    decisions, channels = [], []
    for (sid, i), step in steps.items():
        chosen, reached = verdicts[(step.channel, step.fallback)]
        verdict = ibis.cases(
            (~compiler.condition(step.if_, context), "skipped:condition"),
            # the scenario's exclusions hold for every step, not only at entry
            *(
                (compiler.condition(text, context), f"dropped:excluded:{name}")
                for name, text in excluded[sid]
            ),
            (context.control.notnull(), "withheld:control"),
            else_=reached,
        )
        decisions.append((pair(sid, i), verdict))
        channels.append((pair(sid, i), chosen))
    step_id = ibis.cases(*((pair(sid, i), str(step.id)) for (sid, i), step in steps.items()))
    return context.select(
        "scenario_id", "step", "enrolment_id", "customer_id", "due", "timezone",
        channel=ibis.cases(*channels), decision=ibis.cases(*decisions), step_id=step_id,
        message_id=row_id_expr(context.enrolment_id, step_id),
    )  # fmt: skip


def _write(
    store: Store,
    by_id: dict[str, Scenario],
    rows: pa.Table,
    interval: Interval,
    tick_id: str,
    counts: dict[str, dict[str, int]],
    known: ir.Table,
    tick: Tick,
) -> pa.Table:
    """Write one message row per decision (``known``: the messages that could have their
    keys), log the journeys whose last step it was, count; return the rows written.

    Column by column: a round holds tens of thousands of decisions, and a dict per row cost
    more than the query that decided them. A send time is worked out once per due time, zone
    and ``at``.
    """
    won = (
        variants.winners(store, interval.end)
        if any(step.variants for scenario in by_id.values() for step in scenario.steps)
        else {}
    )
    column = {name: rows[name].to_pylist() for name in _DECIDED}
    sent: dict[tuple[datetime, Any, str | None], datetime] = {}
    chosen, send_at, last = [], [], []
    for sid, index, customer, due, zone, decision in zip(
        *(column[name] for name in _DECIDED), strict=True
    ):
        scenario = by_id[sid]
        step = scenario.steps[index]
        variant = variants.assign(store.plan, sid, step, customer, won) if step.variants else None
        arm = step.variant(variant) if variant is not None else None
        at = step.at if arm is None or arm.at is None else arm.at
        if decision == "skipped:condition":
            send = due
        elif at is None:
            send = max(due, interval.end)
        else:
            key = (due, at, zone)
            if key not in sent:
                sent[key] = _send_time(interval, due, at, zone)
            send = sent[key]
        chosen.append(variant)
        send_at.append(send)
        last.append(index == len(scenario.steps) - 1)
        mine = counts.setdefault(sid, {})
        mine[decision] = mine.get(decision, 0) + 1
    written = pa.table(
        {
            "message_id": rows["message_id"],
            "enrolment_id": rows["enrolment_id"],
            "customer_id": rows["customer_id"],
            "action_id": rows["scenario_id"],
            "step_id": rows["step_id"],
            "channel": rows["channel"],
            "due_at": rows["due"],
            "send_at": send_at,
            "decision": rows["decision"],
            "tick_id": [tick_id] * rows.num_rows,
            "variant": chosen,
        },
        schema=store.table("messages").schema().to_pyarrow(),
    )
    store.append("messages", written, known=known)
    ending = written.filter(pa.array(last, pa.bool_()))
    if ending.num_rows:
        _complete(store, ending, tick_id, tick.logged(store))
    return written


# the columns of a round's decisions that _write reads row by row
_DECIDED = ("scenario_id", "step", "customer_id", "due", "timezone", "decision")


@dataclass
class Contacts:
    """How some customers may be reached: their consent ledger rows (every customer's, or
    some customers') and their active suppressions (customer, channel or ``all``).
    """

    consents: ir.Table
    suppressed: ir.Table

    @classmethod
    def of(cls, store: Store, who: ir.Table | None = None) -> Contacts:
        """The contacts of the customers of ``who`` (a table with ``customer_id``), or of
        everyone (a campaign to most of the base reads the whole ledger, not a selection).
        """
        consents = store.table("consents")
        if who is None:
            return cls(consents, suppressed(store.table("suppressions")))
        ids = who.select("customer_id").distinct()
        return cls(
            consents.semi_join(ids, "customer_id"), suppressed(store.table("suppressions"), ids)
        )

    def attach(self, plan: Plan, context: ir.Table, channels: Iterable[str]) -> ir.Table:
        """``context`` (a table with ``customer_id``) with two flags per channel, read by
        :func:`reach`: whether the customer consented to it (``_consent_<channel>``) and is
        suppressed on it (``_barred_<channel>``).

        Joined once as columns: tested message by message, each test is a subquery.
        """
        purpose = {str(k): v for k, v in plan.conventions.consent.items()}
        names = sorted(set(channels))
        blocks = self.suppressed
        agreed = consent.flags(self.consents, {f"_consent_{n}": (n, purpose[n]) for n in names})
        barred = blocks.group_by("customer_id").aggregate(
            **{f"_barred_{name}": blocks.channel.isin([name, "all"]).any() for name in names}
        )
        for flags in (agreed, barred):
            context = context.left_join(flags, "customer_id").drop("customer_id_right")
        return context.mutate(
            **{
                f"_{kind}_{name}": context[f"_{kind}_{name}"].fill_null(False)
                for kind in ("consent", "barred")
                for name in names
            }
        )


def routes(channel: str, fallback: Fallback | None) -> list[str]:
    """The channels a message may go on: its own, then its fallback's."""
    return [channel] + ([fallback.channel] if fallback else [])


def reach(
    plan: Plan, context: ir.Table, channel: str, fallback: Fallback | None
) -> tuple[ir.StringValue, ir.StringValue]:
    """The channel a message goes on (its own, else the fallback) and the hard filters' verdict:
    ``candidate``, ``dropped:suppressed``, ``dropped:no_consent`` or ``dropped:no_address``.

    ``context`` holds the customers' fields and their contact flags (:meth:`Contacts.attach`).
    """
    ok: dict[str, tuple[ir.BooleanValue, ir.BooleanValue, ir.BooleanValue]] = {}
    for name in routes(channel, fallback):
        address = ADDRESS.get(name, "customer_id")
        has_address = (
            context[address].notnull() if address in context.columns else ibis.literal(True)
        )
        ok[name] = (context[f"_consent_{name}"], has_address, context[f"_barred_{name}"])
    consent, address, barred = ok[channel]
    chosen: ir.StringValue = ibis.literal(channel)
    verdict = ibis.cases(
        (barred, "dropped:suppressed"),
        (consent & address, "candidate"),
        (consent, "dropped:no_address"),
        else_="dropped:no_consent",
    )
    if fallback is not None:
        other = ok[fallback.channel]
        use_fallback = ~(consent & address & ~barred) & other[0] & other[1] & ~other[2]
        chosen = ibis.cases((use_fallback, fallback.channel), else_=channel)
        verdict = ibis.cases((use_fallback, "candidate"), else_=verdict)
    return chosen, verdict


def suppressed(suppressions: ir.Table, who: ir.Table | None = None) -> ir.Table:
    """Those of ``who`` (everyone without it) whose latest suppression row per channel is
    active."""
    rows = suppressions
    if who is not None:
        rows = rows.semi_join(who.select("customer_id").distinct(), "customer_id")
    latest = rows.mutate(
        _rank=ibis.row_number().over(
            group_by=["customer_id", "channel"],
            order_by=[ibis.desc("time"), ibis.desc("suppression_id")],
        )
    )
    return latest.filter((latest._rank == 0) & latest.active).select("customer_id", "channel")


def consented(consents: ir.Table, who: ir.Table) -> ir.Table:
    """Those of ``who`` whose latest consent event per channel and purpose is a grant."""
    return consent.granted(consents, who)


def _complete(store: Store, last: pa.Table, tick_id: str, logged: ir.Table) -> None:
    """Journeys whose last step was just decided (``last``: their message rows) end as
    completed, at that step's send time (``logged``: the log rows they may have already).
    """
    ending = store.load(
        "tick_completed", last.select(["enrolment_id", "customer_id", "action_id", "send_at"])
    )
    rows = ending.select(
        row_id=row_id_expr(ending.enrolment_id, ibis.literal("completed")),
        enrolment_id=ending.enrolment_id,
        customer_id=ending.customer_id,
        scenario_id=ending.action_id,
        kind=ibis.literal("completed"),
        time=ending.send_at,
        reason=ibis.literal(""),
        tick_id=ibis.literal(tick_id),
    )
    store.append("journey_log", rows, unique=True, known=logged)
