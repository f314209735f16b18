"""Arbitration in the store, for the customers with one candidate.

A customer with a single candidate in a tick needs no ranking: its decision depends only on its
send time (quiet hours), the blackouts and the messages already scheduled around it. The send
times and blackouts are worked out by :func:`animato.engine.arbitration.placed` once per distinct
(earliest time, time zone, action): a campaign's hundreds of thousands of messages share a
handful. A candidate then has room when, for every cap on its channel (or all channels),
fewer messages are scheduled within the cap's window either side of it than the cap allows,
and none within the minimum gap: no window can then be full. It is refused for certain when a
message is within the minimum gap, or when a cap's window ending at its send time is full and
nothing is scheduled after it within the window: it is dropped, or postponed while its
``max_delay`` has not run out. Those are decided here in a few queries, whatever their number.

Everyone else (several candidates, a channel with a capacity, a cap that may or may not refuse,
a ``max_delay`` in months) is left to :func:`animato.engine.arbitration.decide`, customer by
customer, and gets the same decisions it would have given here.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from animato.engine.arbitration import Candidate, Rules, placed
from animato.store.store import Store

NO_ZONE = ""  # the plan's time zone, in the join key (a null never equals anything)
UNSURE = "?"  # a cap that only the Python arbitration can tell


def split(
    store: Store, rules: Rules, meta: dict[str, dict[str, Any]], cands: ir.Table, now: datetime
) -> tuple[ir.Table, ir.Table]:
    """``cands`` parted into those decided here (with ``decision``, ``decided_send_at`` and
    ``retry_at``) and those left for :func:`~animato.engine.arbitration.decide`.

    ``cands`` holds the tick's candidates with ``ended``, ``held`` and ``timezone``; ``meta``
    what arbitration knows of each action.
    """
    live = cands.filter(~cands.ended & cands.held.isnull())
    alone = live.group_by("customer_id").aggregate(n=live.count()).filter(ibis._.n == 1)
    solo = live.semi_join(alone, "customer_id")
    if rules.capacity:  # a channel's capacity goes by priority across customers
        solo = solo.filter(~solo.channel.isin(sorted(rules.capacity)))
    start = ibis.greatest(solo.send_at, ibis.literal(now, type=solo.send_at.type()))
    solo = solo.mutate(_start=start, _zone=solo.timezone.fill_null(NO_ZONE))
    solo = store.materialize("tick_solo", solo)
    timing = _timing(store, rules, meta, solo, now)
    solo = solo.join(timing, ["_start", "_zone", "action_id"])
    solo = store.materialize("tick_solo_timed", solo)
    refusals = _refusals(store, rules, solo.filter(solo._verdict == "accepted"))
    if refusals is None:
        solo = solo.mutate(_refusal=ibis.null("string"))
    else:
        solo = solo.left_join(refusals, "customer_id").drop("customer_id_right")
    # A refused campaign message (or step without max_delay) is dropped; a step is postponed
    # until its max_delay has run out, then dropped. A max_delay in calendar months is left to
    # decide(), with the unsure.
    dropped = [a for a, m in meta.items() if m["kind"] == "campaign" or m["max_delay"] is None]
    delays = {
        a: m["max_delay"].delta()
        for a, m in meta.items()
        if a not in dropped and not m["max_delay"].is_calendar
    }
    refused = solo._refusal.notnull()
    known = solo.action_id.isin([*dropped, *delays])
    solo = solo.filter(~refused | ((solo._refusal != UNSURE) & known))
    done = ibis.cases(
        (cands.ended, "dropped:journey_ended"),
        (cands.held.notnull(), cands.held),
        else_=ibis.null("string"),
    )
    gone = cands.filter(done.notnull()).mutate(
        decision=done,
        decided_send_at=ibis.null(cands.send_at.type()),
        retry_at=ibis.null(cands.send_at.type()),
    )
    refused = solo._refusal.notnull()
    stamp = solo._send_at.type()
    start = ibis.greatest(solo.due_at, solo.not_before.fill_null(solo.due_at))
    deadline = (
        ibis.cases(
            *(
                (solo.action_id == a, start + _seconds(delta))
                for a, delta in sorted(delays.items())
            ),
            else_=ibis.null(stamp),
        )
        if delays
        else ibis.null(stamp)
    )
    late = deadline.isnull() | (deadline <= ibis.literal(now, type=stamp))
    fixed = solo.mutate(
        decision=ibis.cases(
            (refused & late, "dropped:" + solo._refusal),
            (refused, "postponed:" + solo._refusal),
            else_=solo._verdict,
        ),
        decided_send_at=ibis.cases((refused, ibis.null(stamp)), else_=solo._send_at),
        retry_at=solo._retry_at,
    )
    base = [c for c in cands.columns if c != "decision"]  # (the message's: "candidate")
    columns = [*base, "decision", "decided_send_at", "retry_at"]
    decided = ibis.union(gone.select(*columns), fixed.select(*columns))
    decided = store.materialize("tick_decided", decided)
    rest = live.anti_join(decided.select("message_id"), "message_id")
    return decided, rest


def _timing(
    store: Store, rules: Rules, meta: dict[str, dict[str, Any]], solo: ir.Table, now: datetime
) -> ir.Table:
    """Per distinct (earliest time, zone, action): the send time and the blackout's verdict."""
    keys = solo.select("_start", "_zone", "action_id").distinct().to_pyarrow().to_pylist()
    out: dict[str, list[Any]] = {
        k: [] for k in ("_start", "_zone", "action_id", "_verdict", "_send_at", "_retry_at")
    }
    for key in keys:
        about = meta[key["action_id"]]
        candidate = Candidate(
            message_id="",
            customer_id="",
            action_id=key["action_id"],
            program_id=about["program_id"],
            kind=about["kind"],
            channel="",
            priority=0,
            order=0,
            due_at=key["_start"],
            send_at=key["_start"],
            on_conflict=about["on_conflict"],
            zone=key["_zone"] or None,
        )
        send_at, held = placed(candidate, rules, now)
        for name, value in key.items():
            out[name].append(value)
        out["_verdict"].append("accepted" if held is None else held.decision)
        out["_send_at"].append(send_at if held is None else None)
        out["_retry_at"].append(None if held is None else held.retry_at)
    stamp = pa.timestamp("us")
    table = pa.table(
        {
            "_start": pa.array(out["_start"], stamp),
            "_zone": pa.array(out["_zone"], pa.string()),
            "action_id": pa.array(out["action_id"], pa.string()),
            "_verdict": pa.array(out["_verdict"], pa.string()),
            "_send_at": pa.array(out["_send_at"], stamp),
            "_retry_at": pa.array(out["_retry_at"], stamp),
        }
    )
    return store.load("tick_timing", table)


def _refusals(store: Store, rules: Rules, accepted: ir.Table) -> ir.Table | None:
    """Per customer of ``accepted`` (one message each) near other messages of theirs:
    ``_refusal``, the rule that refuses the message for certain (``min_gap``, ``cap_week``…),
    ``?`` when only :func:`~animato.engine.arbitration.decide` can tell, null when nothing
    refuses it; None when the plan has neither caps nor a minimum gap.

    A cap refuses a message when a window of the cap holding its send time is full. With no
    message after the send time within the cap's window, the fullest such window ends at the send
    time: the messages of the window before it count, exactly. With some after it, a cap that
    fewer messages either side of it than its limit cannot be full; otherwise it is unsure.
    The rules are looked at in :func:`~animato.engine.arbitration.decide`'s order: the gap,
    then each cap. (Counted by customer rather than by message id: the same groups, on a short
    key that DuckDB keeps inline.)
    """
    if not rules.caps and not rules.min_gap:
        return None
    if any(cap.limit <= 0 for cap in rules.caps):  # such a cap refuses everything on its channel
        return accepted.select("customer_id", _refusal=ibis.literal(UNSURE))
    reach = max([cap.window for cap in rules.caps] + rules.gaps)
    outbox = store.table("outbox")
    first = accepted._send_at.min().to_pyarrow().as_py()
    if first is None:
        return None
    near = outbox.filter(outbox.send_at > first - reach).select(
        "customer_id", scheduled=outbox.send_at, on=outbox.channel
    )
    near = near.semi_join(accepted.select("customer_id"), "customer_id")
    pairs = accepted.select("customer_id", "channel", "_send_at").join(
        near,
        [
            "customer_id",
            near.scheduled > accepted._send_at - _seconds(reach),
            near.scheduled < accepted._send_at + _seconds(reach),
        ],
    )
    after = pairs.scheduled > pairs._send_at

    def since(delta: timedelta) -> ir.BooleanValue:
        return pairs.scheduled > pairs._send_at - _seconds(delta)

    def until(delta: timedelta) -> ir.BooleanValue:
        return pairs.scheduled < pairs._send_at + _seconds(delta)

    # A cap on a channel counts only for that channel's candidates: it counts their messages
    # on their own channel. Caps are counted by scope (all channels, or the candidate's) and
    # window, whatever their channel: ten caps of four windows make five counts either side.
    same = pairs.on == pairs.channel
    counts = {(cap.channel == "all", cap.window) for cap in rules.caps}
    sums: dict[str, ir.Value] = {}
    for every, window in sorted(counts):
        counted = ibis.literal(True) if every else same
        name = _count_name(every, window)
        sums[f"before_{name}"] = pairs.count(where=counted & since(window) & ~after)
        sums[f"after_{name}"] = pairs.count(where=counted & after & until(window))
    if rules.min_gap:
        sums["close"] = pairs.count(where=since(rules.min_gap) & until(rules.min_gap))
    per = pairs.group_by("customer_id", "channel").aggregate(**sums)
    verdicts: list[tuple[ir.BooleanValue, str]] = []
    if rules.min_gap:
        verdicts.append((per.close > 0, "min_gap"))
    for cap in rules.caps:
        every = cap.channel == "all"
        mine = ibis.literal(True) if every else per.channel == cap.channel
        name = _count_name(every, cap.window)
        before, later = per[f"before_{name}"], per[f"after_{name}"]
        verdicts.append((mine & (later > 0) & (before + later >= cap.limit), UNSURE))
        verdicts.append((mine & (later == 0) & (before >= cap.limit), cap.reason))
    refusal = ibis.cases(*verdicts, else_=ibis.null("string"))
    found = per.select("customer_id", _refusal=refusal).filter(ibis._._refusal.notnull())
    return store.materialize("tick_refusals", found)


def _count_name(every: bool, window: timedelta) -> str:
    return f"{'all' if every else 'own'}_{int(window.total_seconds())}"


def _seconds(delta: timedelta) -> ir.IntervalScalar:
    return ibis.interval(seconds=int(delta.total_seconds()))
