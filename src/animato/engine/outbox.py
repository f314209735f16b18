"""The outbox: accepted messages waiting to go out, and the log of every arbitration decision.

Each tick gathers its candidates (the steps the journeys pass just made due, and the messages an
earlier tick postponed whose retry time has come), the messages already scheduled for the same
customers, runs :func:`animato.engine.arbitration.decide`, and appends one ``decisions`` row per
candidate and one ``outbox`` row per accepted message. A postponed message stays pending (and
its journey waits) until a later decision accepts or drops it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.parquet as pq

from animato.engine import journeys, solo
from animato.engine.arbitration import WINDOWS, Candidate, Decision, Rules, decide, slots
from animato.engine.clock import Interval
from animato.engine.ids import row_id, row_id_expr, unit_hash_expr
from animato.plan.model import Plan
from animato.privacy import consent
from animato.render import Rendered, Sources, render
from animato.store.store import Store

ENDED = ("converted", "exited")
BATCH = 25_000  # candidates decided and rendered at a time (about)


def waiting(store: Store, previous: datetime | None = None) -> ir.Table:
    """Messages postponed and not decided for good since: their ``messages`` row and
    ``retry_at`` (the end of the latest blackout that held them, if one did).

    Read from the ``waiting`` table when the tick of ``previous`` (by default the latest) kept
    it (:func:`keep`), else computed from the whole decisions log.
    """
    if previous is None:
        previous = store.table("ticks").now.max().to_pyarrow().as_py()
    meta = store.table("waiting_meta").as_of.max().to_pyarrow().as_py()
    if meta is not None and meta == previous:
        return store.table("waiting")
    log = store.table("decisions")
    postponed = log.filter(log.decision.startswith("postponed:"))
    final = log.filter(~log.decision.startswith("postponed:")).select("message_id")
    open_ = postponed.anti_join(final, "message_id")
    latest = open_.group_by("message_id").aggregate(retry_at=open_.retry_at.max())
    return store.table("messages").join(latest, "message_id")


def keep(store: Store, pending: ir.Table, cands: ir.Table, now: datetime) -> None:
    """Keep in ``waiting`` the messages pending after the tick of ``now``: those pending before
    it that it did not decide for good, and those of its candidates (``cands``) it postponed.

    The same rows as :func:`waiting` computes from the log, read by the next tick instead of
    the whole decisions log (and messages).
    """
    log = store.table("decisions")
    mine = log.filter(log.decided_at == now)  # this tick's decisions (zone maps skip the rest)
    final = mine.filter(~mine.decision.startswith("postponed:")).select("message_id")
    again = mine.filter(mine.decision.startswith("postponed:")).select("message_id", "retry_at")
    columns = list(store.table("messages").columns)
    again = cands.select(*columns).join(again, "message_id")
    rows = ibis.union(pending.select(*columns, "retry_at"), again)
    rows = rows.anti_join(final, "message_id")
    # a message's row is the same wherever it comes from: its latest retry time is kept
    latest = rows.group_by(columns).aggregate(retry_at=rows.retry_at.max())
    # computed before ``waiting`` is emptied: ``pending`` may be that very table
    rows = store.materialize("tick_waiting", latest)
    store.clear("waiting")
    store.insert("waiting", rows)
    store.clear("waiting_meta")
    store.append("waiting_meta", pa.table({"as_of": pa.array([now], pa.timestamp("us"))}))


def arbitrate(
    store: Store,
    plan: Plan,
    pending: ir.Table,
    interval: Interval,
    tick_id: str,
    *,
    paused: Iterable[str] = (),
    rendering: bool = True,
) -> dict[str, dict[str, int]]:
    """Decide this tick's candidates and the pending messages due for a retry (a ``paused``
    action's wait for it to resume); keep those left waiting; return the decisions counted by
    action and reason.

    Without ``rendering`` (a simulation) accepted messages enter the outbox without content:
    the decisions are the same.
    """
    now = interval.end
    messages = store.table("messages")
    # a candidate is never to be sent before the tick that makes it (journeys and campaigns
    # move its send time to the tick's end at the earliest): older rows are skipped by time
    new = messages.filter(
        (messages.send_at >= now)
        & (messages.tick_id == tick_id)
        & (messages.decision == "candidate")
    )
    new = new.mutate(not_before=ibis.null(messages.send_at.type()))
    due = pending.filter(pending.retry_at.isnull() | (pending.retry_at <= now))
    if paused:
        due = due.filter(~due.action_id.isin(sorted(paused)))
    retried = due.select(*new.columns[:-1], not_before=due.retry_at)
    # A message waiting since an earlier tick meets the hard filters again: a consent withdrawn
    # or a suppression added meanwhile drops it before it is rendered.
    new = new.mutate(held=ibis.null("string"))
    if int(due.count().to_pyarrow().as_py()):  # (most ticks retry nothing: no consent scan)
        retried = _recheck(store, plan, retried)
    else:
        retried = retried.mutate(held=ibis.null("string"))
    cands = ibis.union(new, retried)
    customers = store.table("customers").select("customer_id", "timezone")
    cands = cands.left_join(customers, "customer_id").drop("customer_id_right")
    log = store.table("journey_log")
    ended = log.filter(log.kind.isin(ENDED) & (log.time <= now)).select("enrolment_id")
    cands = cands.mutate(
        ended=cands.enrolment_id.isin(ended.enrolment_id).fill_null(False),  # campaigns: null
        _draw=unit_hash_expr(cands.customer_id),  # splits customers into batches, any backend
    )
    cands = store.materialize("tick_arbitrated", cands)
    meta, rules = _actions(plan), Rules.of(plan)
    # Customers with one candidate and room for it are decided in the store, the rest here.
    decided, rest = solo.split(store, rules, meta, cands, now)
    counts: dict[str, dict[str, int]] = {}
    for row in (
        decided.group_by("action_id", "decision")
        .aggregate(n=ibis._.count())
        .to_pyarrow()
        .to_pylist()
    ):
        counts.setdefault(row["action_id"], {})[row["decision"]] = row["n"]
    written: dict[str, list[pa.Table]] = {"decisions": [], "outbox": []}
    # the events the templates read, for every candidate's customer: one pass, not one a batch
    sources = Sources.prepared(store, cands) if rendering else None
    # a decision's key holds its tick: one of this tick's only could have it already
    log = store.table("decisions")
    this_tick = log.filter(log.decided_at == now)
    store.append("decisions", _logged(decided, now, tick_id), unique=True, known=this_tick)
    accepted = decided.filter(decided.decision == "accepted").mutate(
        send_at=decided.decided_send_at
    )
    # A message is sent at or after it is due: the outbox row a candidate may already have is
    # sent after the earliest candidate's due time (the log's older rows are skipped by time).
    first = cands.due_at.min().to_pyarrow().as_py()
    queued = store.table("outbox")
    queued = queued.filter(queued.send_at >= first) if first is not None else queued
    if not rendering:
        rows = accepted.mutate(tick_id=ibis.literal(tick_id))
        store.append("outbox", rows, unique=True, known=queued)
    else:
        chunks = _chunks(accepted)
        for i in range(chunks):
            rows = accepted.filter(_bucket(accepted, chunks) == i).to_pyarrow().to_pylist()
            sent = [Decision(row["message_id"], "accepted", row["send_at"]) for row in rows]
            failed = _deliverable(store, rows, sent, tick_id, f"s{i}", sources, written)
            _count_failed(counts, rows, failed)
    total = int(rest.count().to_pyarrow().as_py())
    settled = sum(n for by in counts.values() for k, n in by.items() if not k.startswith("failed:"))
    if settled + total != int(cands.count().to_pyarrow().as_py()):  # never a candidate lost
        raise RuntimeError(f"arbitration of tick {tick_id}: candidates neither decided nor left")
    # A customer's candidates are decided together; customers are split into batches so that
    # many candidates are never all held in memory at once.
    batches = _chunks(rest, total)
    bucket = _bucket(rest, batches)
    booked = _booked(store, rules, now)
    if rules.capacity:  # a channel's capacity goes by priority across all customers: one batch
        limited = rest.filter(rest.channel.isin(list(rules.capacity))).customer_id
        bucket = ibis.cases((rest.customer_id.isin(limited), 0), else_=bucket)
    # Batches hold different customers (capacity aside, counted in memory): what one batch
    # writes does not change another's decisions, so their rows are appended once, at the end.
    for i in range(batches if total else 0):
        rows = rest.filter(bucket == i).to_pyarrow().to_pylist()
        live = [_candidate(row, meta[row["action_id"]]) for row in rows]
        decisions = decide(live, _scheduled(store, live), rules, now, booked)
        written["decisions"].append(_log(store, rows, decisions, now, tick_id))
        failed = _deliverable(store, rows, decisions, tick_id, str(i), sources, written)
        by_id = {row["message_id"]: row["action_id"] for row in rows}
        for decision in decisions:
            mine = counts.setdefault(by_id[decision.message_id], {})
            mine[decision.decision] = mine.get(decision.decision, 0) + 1
        _count_failed(counts, rows, failed)
    for name, parts in written.items():
        if parts:
            scope = this_tick if name == "decisions" else queued
            store.append(name, pa.concat_tables(parts), unique=True, known=scope)
    keep(store, pending, cands, now)
    return counts


def _chunks(table: ir.Table, total: int | None = None) -> int:
    """How many batches of about :data:`BATCH` rows ``table`` makes (at least one)."""
    total = int(table.count().to_pyarrow().as_py()) if total is None else total
    return max(1, -(-total // BATCH))


def _bucket(table: ir.Table, batches: int) -> ir.IntegerValue:
    """The batch of each row: by customer (``_draw``), so a customer is in one batch only."""
    return (table._draw * batches).floor().cast("int64")


def _count_failed(
    counts: dict[str, dict[str, int]], rows: list[dict[str, Any]], failed: list[tuple[str, str]]
) -> None:
    """Count the accepted messages whose rendering failed, by their reason."""
    by_id = {row["message_id"]: row["action_id"] for row in rows}
    for message_id, error in failed:
        # a customer without a field the template reads (and no default) is left out of
        # this message (degraded mode); any other error is the template's
        reason = "failed:missing_data" if error.startswith("missing_data:") else "failed:template"
        mine = counts[by_id[message_id]]
        mine[reason] = mine.get(reason, 0) + 1


def _logged(decided: ir.Table, now: datetime, tick_id: str) -> ir.Table:
    """The decisions rows of the candidates decided in the store."""
    tick = ibis.literal(tick_id)
    return decided.select(
        row_id=row_id_expr(decided.message_id, tick),
        message_id=decided.message_id,
        customer_id=decided.customer_id,
        action_id=decided.action_id,
        channel=decided.channel,
        decision=decided.decision,
        send_at=decided.decided_send_at,
        retry_at=decided.retry_at,
        decided_at=ibis.literal(now, type=decided.decided_send_at.type()),
        tick_id=tick,
        combined_with=ibis.null("string"),
        variant=decided.variant,
    )


def _recheck(store: Store, plan: Plan, retried: ir.Table) -> ir.Table:
    """``retried`` with ``held``: ``dropped:suppressed`` or ``dropped:no_consent`` when the
    customer may no longer be reached on the message's channel, else null.
    """
    purpose = {str(c): p for c, p in plan.conventions.consent.items()}
    ok = consent.granted(store.table("consents"), retried)
    ok = ok.filter(ok.purpose == ok.channel.substitute(purpose, else_=ibis.literal("marketing")))
    barred = journeys.suppressed(store.table("suppressions"), retried)
    allowed = (ok.customer_id + "|" + ok.channel).name("key")
    blocked = (barred.customer_id + "|" + barred.channel).name("key")
    mine = retried.customer_id + "|" + retried.channel
    held = ibis.cases(
        (mine.isin(blocked) | (retried.customer_id + "|all").isin(blocked), "dropped:suppressed"),
        (~mine.isin(allowed), "dropped:no_consent"),
        else_=ibis.null("string"),
    )
    return retried.mutate(held=held)


def _booked(store: Store, rules: Rules, now: datetime) -> Counter[tuple[str, str, object]]:
    """The capacity slots already taken by scheduled messages on the constrained channels."""
    booked: Counter[tuple[str, str, object]] = Counter()
    if not rules.capacity:
        return booked
    outbox = store.table("outbox")
    near = outbox.filter(
        outbox.channel.isin(list(rules.capacity)) & (outbox.send_at > now - timedelta(days=8))
    )
    for row in near.select("channel", "send_at").to_pyarrow().to_pylist():
        spec = rules.capacity[row["channel"]]
        for key in slots(row["channel"], row["send_at"], spec, rules.timezone):
            booked[key] += 1
    return booked


def _actions(plan: Plan) -> dict[str, dict[str, Any]]:
    """Per scenario or campaign id: what arbitration needs to know of it."""
    meta: dict[str, dict[str, Any]] = {}
    order = 0
    for program in plan.programs:
        for scenario in program.scenarios:
            meta[scenario.id] = {
                "program_id": program.id,
                "kind": "scenario",
                "priority": scenario.priority,
                "order": order,
                "max_delay": scenario.max_delay,
                "on_conflict": scenario.on_conflict,
                "steps": {step.id: i for i, step in enumerate(scenario.steps)},
                "combine": {step.id: tuple(step.combine_with) for step in scenario.steps},
            }
            order += 1
        for campaign in program.campaigns:
            meta[campaign.id] = {
                "program_id": program.id,
                "kind": "campaign",
                "priority": campaign.priority,
                "order": order,
                "max_delay": None,
                "on_conflict": campaign.on_conflict,
                "steps": {},
                "combine": {},
            }
            order += 1
    return meta


def _candidate(row: dict[str, Any], meta: dict[str, Any]) -> Candidate:
    step = meta["steps"].get(row["step_id"], 0)
    return Candidate(
        message_id=row["message_id"],
        customer_id=row["customer_id"],
        action_id=row["action_id"],
        program_id=meta["program_id"],
        kind=meta["kind"],
        channel=row["channel"],
        priority=meta["priority"],
        order=meta["order"] * 1000 + step,
        due_at=row["due_at"],
        send_at=row["send_at"],
        max_delay=meta["max_delay"],
        on_conflict=meta["on_conflict"],
        zone=row["timezone"],
        not_before=row["not_before"],
        combine_with=meta["combine"].get(row["step_id"], ()),
    )


def _scheduled(store: Store, cands: list[Candidate]) -> list[tuple[str, str, datetime]]:
    """Messages already accepted for the candidates' customers, near enough to count for a cap
    or the minimum gap.
    """
    if not cands:
        return []
    reach = max([*WINDOWS.values(), *Rules.of(store.plan).gaps])
    first = min(c.send_at for c in cands) - reach
    who = store.load("tick_who", pa.table({"customer_id": sorted({c.customer_id for c in cands})}))
    outbox = store.table("outbox")
    near = outbox.filter(outbox.send_at > first).semi_join(who, "customer_id")
    found = near.select("customer_id", "channel", "send_at").to_pyarrow().to_pylist()
    return [(r["customer_id"], r["channel"], r["send_at"]) for r in found]


def _log(
    store: Store, rows: list[dict[str, Any]], decisions: list[Decision], now: datetime, tick_id: str
) -> pa.Table:
    """The decisions rows of a batch decided in Python."""
    by_id = {row["message_id"]: row for row in rows}
    log = []
    for d in decisions:
        row = by_id[d.message_id]
        log.append(
            {
                "row_id": row_id(d.message_id, tick_id),
                "message_id": d.message_id,
                "customer_id": row["customer_id"],
                "action_id": row["action_id"],
                "channel": row["channel"],
                "decision": d.decision,
                "send_at": d.send_at,
                "retry_at": d.retry_at,
                "decided_at": now,
                "tick_id": tick_id,
                "combined_with": d.combined_with,
                "variant": row.get("variant"),
            }
        )
    return _table(log, store, "decisions")


def _deliverable(
    store: Store,
    rows: list[dict[str, Any]],
    decisions: list[Decision],
    tick_id: str,
    batch: str,
    sources: Sources | None,
    written: dict[str, list[pa.Table]],
) -> list[tuple[str, str]]:
    """Add the accepted messages, rendered (unless ``sources`` is None: a simulation), to
    ``written``; return the messages whose rendering failed, with their error (they stay in the
    outbox with it, and are not sent).

    Email bodies go to ``<tick>-<batch>.parquet`` in the store's content folder (the outbox row
    names the file); a tick that fails leaves at most files that no row names.
    """
    by_id = {row["message_id"]: row for row in rows}
    out = []
    riders: dict[str, list[dict[str, Any]]] = {}
    for d in decisions:
        row = by_id[d.message_id]
        if d.decision == "combined" and d.combined_with is not None:
            riders.setdefault(d.combined_with, []).append(
                {**row, "send_at": d.send_at, "_host": d.combined_with}
            )
        if d.decision == "accepted":
            out.append(
                {
                    "message_id": d.message_id,
                    "customer_id": row["customer_id"],
                    "action_id": row["action_id"],
                    "step_id": row["step_id"],
                    "channel": row["channel"],
                    "send_at": d.send_at,
                    "tick_id": tick_id,
                    "enrolment_id": row["enrolment_id"],
                    "variant": row.get("variant"),
                }
            )
    if not out:
        return []
    bodies: list[dict[str, Any]] = []
    name = f"{tick_id}-{batch}.parquet"
    contents = [Rendered() for _ in out] if sources is None else render(store, out, riders, sources)
    for message, rendered in zip(out, contents, strict=True):
        message.update(vars(rendered))
        if message["html"] is not None:
            bodies.append({k: message[k] for k in ("message_id", "html", "text")})
            message.update(html=None, text=None, content=name)
    if bodies:  # sorted in small row groups: reading one body decodes its group only
        table = pa.Table.from_pylist(bodies).sort_by("message_id")
        pq.write_table(table, store.content_dir / name, compression="zstd", row_group_size=256)
    written["outbox"].append(_table(out, store, "outbox"))
    return [(m["message_id"], m["error"]) for m in out if m["error"]]


def bodies(store: Store, message_ids: list[str]) -> dict[str, dict[str, str]]:
    """The HTML and text of rendered emails, by message id."""
    outbox = store.table("outbox")
    wanted = ibis.memtable(pa.table({"message_id": pa.array(message_ids, pa.string())}))
    found = outbox.semi_join(wanted, "message_id").filter(outbox.content.notnull())
    files = sorted(set(found.content.to_pyarrow().to_pylist()))
    out: dict[str, dict[str, str]] = {}
    for name in files:  # only the wanted rows leave the file (a newsletter's holds thousands)
        table = pq.read_table(store.content_dir / name, filters=[("message_id", "in", message_ids)])
        for row in table.to_pylist():
            out[row["message_id"]] = {"html": row["html"], "text": row["text"]}
    return out


def _table(rows: list[dict[str, Any]], store: Store, name: str) -> pa.Table:
    schema = store.table(name).schema().to_pyarrow()
    return pa.Table.from_pylist(rows, schema=schema)
