"""The figures of a simulation, computed from the replay store's logs.

Each figure is an Arrow table (written as CSV and Parquet beside the report): volumes per week,
action and channel; decisions by reason; the pressure customers feel per week and per month;
collisions between actions on the same customer and day; the customer-centricity ratio; the
prioritisation matrix with measured volumetry; which engagement the replay used; and the
coverage, in the actual base, of the data each action reads. Local days
and weeks are those of the plan's time zone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from animato.engine import engagement
from animato.engine.campaigns import target_condition
from animato.engine.compile import Compiler
from animato.engine.state import refresh
from animato.plan.collection import needs
from animato.plan.model import Campaign, Plan, Scenario
from animato.plan.templates import discover
from animato.sheet.matrix import ranking
from animato.store import Store

# Triggers that answer what a customer did or is (the seeds' customer-centric actions).
BEHAVIOURAL = ("event", "inactive", "date", "segment")


@dataclass
class Figures:
    """Every table of a simulation report, and the few numbers drawn from them."""

    start: datetime
    end: datetime
    customers: int
    tables: dict[str, pa.Table] = field(default_factory=dict)
    centricity: float | None = None
    caps: dict[str, int] = field(default_factory=dict)
    assume: engagement.Assumption | None = None

    @property
    def weeks(self) -> int:
        """Whole or partial weeks the period covers."""
        return max(1, -(-(self.end - self.start).days // 7))


def actions(plan: Plan) -> pa.Table:
    """Every scenario and campaign: id, name, kind, program, priority, in plan order."""
    rows = []
    for program in plan.programs:
        for scenario in program.scenarios:
            rows.append((scenario.id, scenario.name, "scenario", program.id, scenario.priority))
        for campaign in program.campaigns:
            rows.append((campaign.id, campaign.name, "campaign", program.id, campaign.priority))
    names = ["action_id", "name", "kind", "program_id", "priority"]
    return pa.table(list(map(list, zip(*rows, strict=True))) if rows else [[]] * 5, names=names)


def compute(store: Store, start: datetime, end: datetime, assume: engagement.Assumption) -> Figures:
    """Every figure of the replay in ``store`` over ``(start, end]``."""
    plan = store.plan
    people = store.count("customers")
    figures = Figures(start, end, people, assume=assume)
    caps = plan.conventions.pressure.caps.get("all")
    if caps is not None:
        figures.caps = {k: v for k, v in caps.model_dump().items() if v is not None}
    meta = actions(plan)
    outbox = store.table("outbox")
    sent = _dated(store, outbox.filter(outbox.error.isnull()))
    figures.tables["actions"] = meta
    figures.tables["volumes"] = _volumes(sent, meta)
    figures.tables["decisions"] = _decisions(store)
    figures.tables["pressure_week"] = _pressure(sent, "week", people, start, end)
    figures.tables["pressure_month"] = _pressure(sent, "month", people, start, end)
    figures.tables["collisions"] = _collisions(store)
    figures.tables["matrix"] = _matrix(store, start, end)
    figures.tables["engagement"] = _engagement(store, end)
    figures.tables["data_coverage"] = coverage(store)
    behavioural = sorted(s.id for s in plan.scenarios if s.trigger.kind in BEHAVIOURAL)
    mine = sent.action_id.isin(behavioural).cast("int64").sum() if behavioural else None
    counted = sent.aggregate(total=sent.count(), **({"mine": mine} if mine is not None else {}))
    row = counted.to_pyarrow().to_pylist()[0]
    if row["total"]:
        figures.centricity = (row.get("mine") or 0) / row["total"]
    return figures


def _dated(store: Store, rows: ir.Table) -> ir.Table:
    """``rows`` (with ``send_at``, naive UTC) with the local ``day``, its Monday (``week``) and
    its ``month`` in the plan's time zone, by a range join with a small calendar of the days
    they span (no time-zone function needed from the engine).
    """
    bounds = rows.aggregate(lo=rows.send_at.min(), hi=rows.send_at.max()).to_pyarrow()
    lo, hi = bounds["lo"][0].as_py(), bounds["hi"][0].as_py()
    zone = ZoneInfo(store.plan.timezone)
    days = []
    if lo is not None and hi is not None:
        day = _to_local(lo, zone).date() - timedelta(days=1)
        while day <= _to_local(hi, zone).date() + timedelta(days=1):
            days.append(day)
            day += timedelta(days=1)
    edges = [_utc_midnight(d, zone) for d in days]
    if days:
        edges.append(_utc_midnight(days[-1] + timedelta(days=1), zone))
    calendar = ibis.memtable(
        pa.table(
            {
                "_from": pa.array(edges[:-1], pa.timestamp("us")),
                "_to": pa.array(edges[1:], pa.timestamp("us")),
                "day": pa.array(days, pa.date32()),
                "week": pa.array([d - timedelta(days=d.weekday()) for d in days], pa.date32()),
                "month": pa.array([f"{d:%Y-%m}" for d in days], pa.string()),
            }
        )
    )
    joined = rows.join(calendar, (rows.send_at >= calendar._from) & (rows.send_at < calendar._to))
    return joined.drop("_from", "_to")


def _to_local(moment: datetime, zone: ZoneInfo) -> datetime:
    return moment.replace(tzinfo=UTC).astimezone(zone)


def _utc_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The naive UTC instant of a local day's midnight."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC).replace(tzinfo=None)


def _volumes(sent: ir.Table, meta: pa.Table) -> pa.Table:
    """Messages per week, action and channel, with the action's kind and program."""
    counts = sent.group_by("week", "action_id", "channel").aggregate(messages=sent.count())
    joined = counts.to_pyarrow().join(meta.select(["action_id", "kind", "program_id"]), "action_id")
    return joined.sort_by(
        [("week", "ascending"), ("action_id", "ascending"), ("channel", "ascending")]
    )


def _decisions(store: Store) -> pa.Table:
    """Messages per action and decision: the hard filters of the journeys and campaigns, then
    every arbitration decision a message got (a message postponed twice by the weekly cap counts
    once for ``postponed:cap_week``).
    """
    messages = store.table("messages")
    hard = messages.filter(messages.decision != "candidate").select(
        "message_id", "action_id", "decision"
    )
    log = store.table("decisions").select("message_id", "action_id", "decision")
    both = ibis.union(hard, log).distinct()
    counted = both.group_by("action_id", "decision").aggregate(messages=both.count())
    return counted.order_by("action_id", "decision").to_pyarrow()


def _pressure(sent: ir.Table, period: str, people: int, start: datetime, end: datetime) -> pa.Table:
    """How many customer-weeks (or customer-months) had 0, 1, 2… messages."""
    per = sent.group_by("customer_id", period).aggregate(n=sent.count())
    counts = per.group_by("n").aggregate(k=per.count()).to_pyarrow().to_pylist()
    histogram = {int(r["n"]): int(r["k"]) for r in counts}
    periods = _periods(start, end, period)
    histogram[0] = max(0, people * periods - sum(histogram.values()))
    keys = sorted(histogram)
    return pa.table(
        {
            "messages": pa.array(keys, pa.int64()),
            f"customer_{period}s": pa.array([histogram[k] for k in keys], pa.int64()),
        }
    )


def _periods(start: datetime, end: datetime, period: str) -> int:
    """Calendar weeks (or months) that the days of ``(start, end]`` touch."""
    first, last = start.date(), (end - timedelta(microseconds=1)).date()
    if period == "week":
        mondays = (last - timedelta(days=last.weekday())) - (
            first - timedelta(days=first.weekday())
        )
        return mondays.days // 7 + 1
    return (last.year - first.year) * 12 + last.month - first.month + 1


def _collisions(store: Store) -> pa.Table:
    """Pairs of actions that had a message for the same customer on the same day, with the
    number of such customer-days and how many of them ended with both messages sent.
    """
    messages = store.table("messages")
    outbox = store.table("outbox")
    # the day each message was meant to go out (its send time when it became a candidate)
    rows = _dated(store, messages.select("message_id", "customer_id", "action_id", "send_at"))
    rows = rows.mutate(sent=rows.message_id.isin(outbox.message_id))
    per = rows.group_by("customer_id", "day", "action_id").aggregate(sent=rows.sent.any())
    a = per.rename(action_a="action_id", sent_a="sent")
    b = per.rename(action_b="action_id", sent_b="sent")
    pairs = a.join(b, ["customer_id", "day"])
    pairs = pairs.filter(pairs.action_a < pairs.action_b)
    counted = pairs.group_by("action_a", "action_b").aggregate(
        customer_days=pairs.count(), both_sent=(pairs.sent_a & pairs.sent_b).cast("int64").sum()
    )
    ordered = counted.order_by(ibis.desc("customer_days"), "action_a", "action_b")
    return ordered.to_pyarrow()


def _matrix(store: Store, start: datetime, end: datetime) -> pa.Table:
    """The prioritisation matrix, ranked as declared, with measured volumetry: the target's
    size at the end, entries (scenarios) or targeted customers (campaigns) per 30 days, and the
    customers reached.
    """
    plan = store.plan
    months = max((end - start) / timedelta(days=30), 1 / 30)
    enrolments = store.table("enrolments")
    counted = enrolments.group_by("scenario_id").aggregate(n=enrolments.count())
    entries = {r["scenario_id"]: r["n"] for r in counted.to_pyarrow().to_pylist()}
    messages = store.table("messages")
    targeted = {
        r["action_id"]: r["n"]
        for r in messages.group_by("action_id")
        .aggregate(n=messages.count())
        .to_pyarrow()
        .to_pylist()
    }
    outbox = store.table("outbox")
    reached = {
        r["action_id"]: r["n"]
        for r in outbox.group_by("action_id")
        .aggregate(n=outbox.customer_id.nunique())
        .to_pyarrow()
        .to_pylist()
    }
    sizes = _target_sizes(store, end)
    rows = []
    for line in ranking(plan):
        action = line.action
        volume = (
            entries.get(action.id, 0)
            if isinstance(action, Scenario)
            else targeted.get(action.id, 0)
        )
        rows.append(
            {
                "rank": line.rank,
                "action_id": action.id,
                "kind": line.kind,
                "program_id": line.program.id,
                "score": round(line.score, 2),
                "target": action.target or line.program.target,
                "target_size": sizes.get(action.target or line.program.target),
                "entries_per_month": round(volume / months, 1),
                "customers_reached": reached.get(action.id, 0),
            }
        )
    schema = pa.schema(
        [
            ("rank", pa.int64()),
            ("action_id", pa.string()),
            ("kind", pa.string()),
            ("program_id", pa.string()),
            ("score", pa.float64()),
            ("target", pa.string()),
            ("target_size", pa.int64()),
            ("entries_per_month", pa.float64()),
            ("customers_reached", pa.int64()),
        ]
    )
    return pa.Table.from_pylist(rows, schema=schema)


def _target_sizes(store: Store, end: datetime) -> dict[str | None, int]:
    """Customers in each target (a definition, segment or lifecycle stage) at the end; the whole
    base for an action without a target.
    """
    plan = store.plan
    names = {line.action.target or line.program.target for line in ranking(plan)}
    sizes: dict[str | None, int] = {None: store.count("customers")}
    wanted = sorted(n for n in names if n)
    if not wanted:
        return sizes
    compiler = Compiler(plan, end)
    with store.transaction():
        current = refresh(store, compiler, end)
    texts = {n: str(target_condition(plan, n)) for n in wanted}
    needed = set().union(*(compiler.aggregates(t) for t in texts.values()))
    context = store.table("customers")
    aggs = current.aggregates(needed)
    if aggs is not None:
        context = context.left_join(aggs, "customer_id").drop("customer_id_right")
    counts = (
        context.aggregate(
            **{
                f"n{i}": compiler.condition(texts[n], context).cast("int64").sum()
                for i, n in enumerate(wanted)
            }
        )
        .to_pyarrow()
        .to_pylist()[0]
    )
    sizes.update({n: int(counts[f"n{i}"] or 0) for i, n in enumerate(wanted)})
    return sizes


def coverage(store: Store) -> pa.Table:
    """Per scenario and campaign, each customer field and event type it reads (see
    :mod:`animato.plan.collection`) with the customers of the base who have it (a value, or at
    least one such event), then ``*`` with those who have all the fields its trigger,
    conditions, target and templates read (addresses aside): those it reaches with full data,
    the others only in degraded mode (a trigger on a missing date never fires, a condition on
    a missing value is false, a template falls back on its ``default``).
    """
    plan = store.plan
    templates = discover(plan.folder / "templates") if plan.folder else {}
    everything: list[Scenario | Campaign] = [*plan.scenarios, *plan.campaigns]
    read = {a.id: needs(plan, a, templates) for a in everything}
    fields = sorted({n.name for ns in read.values() for n in ns if n.kind == "field"})
    customers = store.table("customers")
    fields = [f for f in fields if f in customers.columns]
    # "all its fields": those that decide who it reaches and what it says; the channels'
    # addresses have their own verdicts (dropped:no_address, the fallback channel)
    by_action = {
        a: sorted({n.name for n in ns if n.kind == "field" and not n.use.startswith("channel ")}
                  & set(fields))
        for a, ns in read.items()
    }  # fmt: skip
    sums: dict[str, ir.Scalar] = {"n": customers.count()}
    sums |= {f"f{i}": customers[f].notnull().cast("int64").sum() for i, f in enumerate(fields)}
    for i, mine in enumerate(by_action.values()):
        if mine:
            every = ibis.and_(*(customers[f].notnull() for f in mine))
            sums[f"a{i}"] = every.cast("int64").sum()
    counted = customers.aggregate(**sums).to_pyarrow().to_pylist()[0]
    total = int(counted["n"] or 0)
    have = {f: int(counted[f"f{i}"] or 0) for i, f in enumerate(fields)}
    events = store.table("events")
    wanted = sorted({n.name for ns in read.values() for n in ns if n.kind == "event"})
    held = events.filter(events.type.cast("string").isin(wanted)).semi_join(
        customers, "customer_id"
    )
    per_type = held.group_by(kind=held.type.cast("string")).aggregate(n=held.customer_id.nunique())
    have_event = {r["kind"]: int(r["n"]) for r in per_type.to_pyarrow().to_pylist()}
    rows = []
    for i, (action, ns) in enumerate(read.items()):
        seen: set[tuple[str, str]] = set()
        for need in ns:
            if (need.kind, need.name) in seen:
                continue
            seen.add((need.kind, need.name))
            if need.kind == "field" and need.name not in have:
                continue
            n = have[need.name] if need.kind == "field" else have_event.get(need.name, 0)
            rows.append((action, need.kind, need.name, n))
        if by_action[action]:
            rows.append((action, "field", "*", int(counted[f"a{i}"] or 0)))
    schema = pa.schema([("action_id", pa.string()), ("kind", pa.string()), ("name", pa.string()),
                        ("customers", pa.int64()), ("share", pa.float64())])  # fmt: skip
    return pa.Table.from_pylist(
        [{"action_id": a, "kind": k, "name": name, "customers": n,
          "share": round(n / total, 4) if total else None} for a, k, name, n in rows],
        schema=schema,
    )  # fmt: skip


def _engagement(store: Store, end: datetime) -> pa.Table:
    """For each step whose ``if`` reads engagement: the earlier messages it read, split into
    those with engagement recorded by tracking and those the assumption decided.
    """
    plan = store.plan
    rows = []
    outbox = store.table("outbox")
    recorded = engagement.recorded(store, end)
    recorded = recorded.filter(recorded.tracked).select("message_id")
    for scenario in plan.scenarios:
        reading = [s for s in scenario.steps if engagement.reads(s.if_)]
        if not reading:
            continue
        first = scenario.steps.index(reading[0])
        earlier = [str(s.id) for s in scenario.steps[:first]]
        mine = outbox.filter((outbox.action_id == scenario.id) & outbox.step_id.isin(earlier))
        total = int(mine.count().to_pyarrow().as_py())
        seen = int(mine.semi_join(recorded, "message_id").count().to_pyarrow().as_py())
        rows.append(
            {
                "scenario_id": scenario.id,
                "steps": ", ".join(str(s.id) for s in reading),
                "messages_read": total,
                "recorded": seen,
                "assumed": total - seen,
            }
        )
    schema = pa.schema(
        [
            ("scenario_id", pa.string()),
            ("steps", pa.string()),
            ("messages_read", pa.int64()),
            ("recorded", pa.int64()),
            ("assumed", pa.int64()),
        ]
    )
    return pa.Table.from_pylist(rows, schema=schema)
