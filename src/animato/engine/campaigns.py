"""Pass 4: campaigns → calendar candidates.

A campaign goes out at its moments: once (``at``) or on a rhythm (``every``: a season of the
computed calendar or a brand event, a weekday, a day of the month, shifted by ``offset``, at a local
time of the plan's zone). At a moment inside the tick, every customer of its target who meets its
``when`` and no plan-wide exclusion (unless the rule spares the campaign) is a candidate; the same
hard filters as a scenario step follow (control group, consent, address, fallback channel). One
``messages`` row per customer and moment, with a deterministic id; arbitration decides the rest.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import ibis
import ibis.expr.types as ir

from animato.engine.clock import Interval, existing
from animato.engine.compile import Compiler
from animato.engine.ids import below, in_control_expr, row_id_expr
from animato.engine.journeys import Contacts, reach, routes
from animato.engine.state import State
from animato.plan.model import Campaign, Plan
from animato.plan.seasons import SEASONS, season
from animato.store.store import Store

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def moments(plan: Plan, campaign: Campaign, interval: Interval) -> list[tuple[str, datetime]]:
    """The campaign's moments inside the tick, as (occurrence key, naive UTC moment)."""
    zone = ZoneInfo(plan.timezone)
    found = []
    for key, local in _local_moments(plan, campaign, interval):
        moment = local.replace(tzinfo=zone) if local.tzinfo is None else local
        utc = moment.astimezone(UTC).replace(tzinfo=None)
        if interval.start < utc <= interval.end:
            found.append((key, utc))
    return found


def _local_moments(
    plan: Plan, campaign: Campaign, interval: Interval
) -> Iterator[tuple[str, datetime]]:
    if campaign.at is not None:
        yield campaign.at.date().isoformat(), campaign.at
        return
    every = campaign.every
    assert every is not None  # a campaign has 'at' or 'every' (validated)
    first, last = interval.local_day(interval.start), interval.local_day(interval.end)
    if every.season is not None:
        days = [_season_start(plan, every.season, y) for y in range(first.year - 1, last.year + 2)]
        candidates = [d for d in days if d is not None]
    else:
        span = (last - first).days + 1
        candidates = [first + timedelta(days=i) for i in range(-40, span + 40)]
        if every.weekday is not None:
            candidates = [d for d in candidates if WEEKDAYS[d.weekday()] == every.weekday]
        else:
            candidates = [d for d in candidates if d.day == every.month_day]
    for day in candidates:
        yield day.isoformat(), every.offset.after(datetime.combine(day, every.time))


def _season_start(plan: Plan, name: str, year: int) -> date | None:
    """First day of a season, or the date of a brand event, in ``year``."""
    if name in SEASONS:
        return season(name, year)[0]
    for brand in plan.brand_events:
        if brand.id != name:
            continue
        if not brand.yearly:
            return brand.date if brand.date.year == year else None
        if (brand.date.month, brand.date.day) == (2, 29):  # 28 February in other years
            return date(year, 2, 29) if calendar.isleap(year) else date(year, 2, 28)
        return brand.date.replace(year=year)
    return None


def target_condition(plan: Plan, name: str | None) -> str | None:
    """The condition text of a target: a definition, a segment or a lifecycle stage."""
    if name is None:
        return None
    return name if name in plan.conventions.definitions else f"segment('{name}')"


def candidates(
    store: Store,
    plan: Plan,
    current: State,
    interval: Interval,
    compiler: Compiler,
    tick_id: str,
) -> dict[str, dict[str, int]]:
    """Write the messages of the campaigns whose moment falls in the tick; count them by
    campaign and hard-filter decision.
    """
    parts, occurrences = [], []
    for campaign in plan.campaigns:
        for key, moment in moments(plan, campaign, interval):
            parts.append(
                _messages(store, campaign, key, moment, current, interval, compiler, tick_id)
            )
            occurrences.append((campaign.id, key))
    if not parts:
        return {}
    rows = ibis.union(*parts) if len(parts) > 1 else parts[0]
    # a message's key is its customer, campaign and occurrence: only the rows of the same
    # campaign and occurrence could have it
    log = store.table("messages")
    known = log.filter(
        ibis.or_(*((log.action_id == action) & (log.step_id == key) for action, key in occurrences))
    )
    store.append("messages", rows, unique=True, known=known)
    messages = store.table("messages").filter(ibis._.tick_id == tick_id)
    messages = messages.filter(messages.action_id.isin([c.id for c in plan.campaigns]))
    counted = messages.group_by("action_id", "decision").aggregate(n=messages.count())
    counts: dict[str, dict[str, int]] = {}
    for row in counted.to_pyarrow().to_pylist():
        counts.setdefault(row["action_id"], {})[row["decision"]] = int(row["n"])
    return counts


def _messages(
    store: Store,
    campaign: Campaign,
    key: str,
    moment: datetime,
    current: State,
    interval: Interval,
    compiler: Compiler,
    tick_id: str,
) -> ir.Table:
    plan = store.plan
    rules = plan.conventions.exclusions
    texts = [target_condition(plan, campaign.target), campaign.when]
    exclusions = [rule.when for rule in rules.values() if campaign.id not in rule.except_]
    needed = set().union(*(compiler.aggregates(t) for t in [*texts, *exclusions]))
    context = existing(store.table("customers"), interval.end)
    aggs = current.aggregates(needed)
    if aggs is not None:
        context = context.left_join(aggs, "customer_id").drop("customer_id_right")
    keep = ibis.literal(True)
    for text in texts:
        if text is not None:
            keep = keep & compiler.condition(text, context)
    for text in exclusions:
        keep = keep & ~compiler.condition(text, context)
    chosen = context.filter(keep)
    chosen = Contacts.of(store).attach(plan, chosen, routes(campaign.channel, campaign.fallback))
    channel, reached = reach(plan, chosen, campaign.channel, campaign.fallback)
    scoped = ibis.literal(f"{plan.salt}:{campaign.id}:") + chosen.customer_id
    control = in_control_expr(plan.salt, "global", chosen.customer_id, plan.global_control) | (
        below(scoped, campaign.holdout)
    )
    decision = ibis.cases((control, "withheld:control"), else_=reached)
    return chosen.select(
        message_id=row_id_expr(chosen.customer_id, ibis.literal(campaign.id), ibis.literal(key)),
        enrolment_id=ibis.null("string"),
        customer_id=chosen.customer_id,
        action_id=ibis.literal(campaign.id),
        step_id=ibis.literal(key),
        channel=channel,
        due_at=ibis.literal(moment),
        send_at=ibis.literal(max(moment, interval.end)),
        decision=decision,
        tick_id=ibis.literal(tick_id),
    )
