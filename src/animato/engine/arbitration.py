"""Pass 5: arbitration — a customer's candidate messages of a tick, decided together.

In the order of DESIGN.md §4: the send time is moved out of quiet hours; a blackout that covers
it postpones the message to the blackout's end or drops it; candidates are then ranked (priority,
plan order, message id) and each is accepted only if, with what is already sent or scheduled for
the customer and what was accepted before it, every cap holds in every rolling window and no two
messages are closer than the minimum gap. A scenario step refused by a cap is postponed to the next
tick until its ``max_delay`` has run out, then dropped; a campaign message is dropped at once.

Pure functions over plain rows: the store side is :mod:`animato.engine.outbox`.
"""

from __future__ import annotations

import bisect
import functools
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

import holidays

from animato.plan.durations import Duration
from animato.plan.model import Blackout, Capacity, Plan, QuietHours
from animato.plan.seasons import season

WINDOWS = {"day": timedelta(days=1), "week": timedelta(days=7), "month": timedelta(days=30)}
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_UTC = ZoneInfo("UTC")


@dataclass(frozen=True)
class Candidate:
    """A message waiting for a decision: a due scenario step or a campaign message.

    ``send_at`` is the earliest send time (the step's local ``at`` applied); ``not_before`` the
    end of a blackout that postponed it, from which its ``max_delay`` counts again.
    """

    message_id: str
    customer_id: str
    action_id: str
    program_id: str
    kind: Literal["scenario", "campaign"]
    channel: str
    priority: int
    order: int
    due_at: datetime
    send_at: datetime
    max_delay: Duration | None = None
    on_conflict: Literal["postpone", "drop"] = "postpone"
    zone: str | None = None
    not_before: datetime | None = None
    combine_with: tuple[str, ...] = ()

    @property
    def rank(self) -> tuple[int, int, str]:
        """Decision order within a customer: priority (higher first), plan order, message id."""
        return (-self.priority, self.order, self.message_id)


@dataclass(frozen=True)
class Decision:
    """What arbitration decided for one candidate, with its reason code.

    ``accepted`` (``send_at`` set), ``postponed:<reason>`` (``retry_at``: not before, if set),
    ``dropped:<reason>``, or ``combined`` (riding along the campaign message ``combined_with``).
    """

    message_id: str
    decision: str
    send_at: datetime | None = None
    retry_at: datetime | None = None
    combined_with: str | None = None


@dataclass(frozen=True)
class Cap:
    """At most ``limit`` messages (on ``channel``, or all) in any rolling ``window``."""

    channel: str
    period: str
    limit: int

    @property
    def window(self) -> timedelta:
        return WINDOWS[self.period]

    @property
    def reason(self) -> str:
        return (
            f"cap_{self.period}" if self.channel == "all" else f"cap_{self.channel}_{self.period}"
        )


@dataclass
class Rules:
    """The plan's pressure rules, ready for :func:`decide`."""

    timezone: str
    caps: list[Cap] = field(default_factory=list)
    min_gap: timedelta | None = None
    blackouts: list[Blackout] = field(default_factory=list)
    quiet: QuietHours | None = None
    capacity: dict[str, Capacity] = field(default_factory=dict)
    # which blackout covers a (local day, kind, action, program): the same for a whole campaign
    covered: dict[tuple[date, str, str, str], Blackout | None] = field(
        default_factory=dict, repr=False, compare=False
    )

    @property
    def gaps(self) -> list[timedelta]:
        """The minimum gap, as a list of none or one."""
        return [self.min_gap] if self.min_gap else []

    @classmethod
    def of(cls, plan: Plan) -> Rules:
        """The rules a plan's conventions declare."""
        conventions = plan.conventions
        caps = [
            Cap(channel, period, limit)
            for channel, spec in conventions.pressure.caps.items()
            for period in WINDOWS
            if (limit := getattr(spec, period)) is not None
        ]
        gap = conventions.pressure.min_gap
        return cls(
            plan.timezone,
            caps,
            timedelta(days=gap.approx_days()) if gap is not None else None,
            list(conventions.blackouts),
            conventions.quiet_hours,
            {str(channel): spec for channel, spec in conventions.capacity.items()},
        )


def decide(
    candidates: Iterable[Candidate],
    scheduled: Iterable[tuple[str, str, datetime]],
    rules: Rules,
    now: datetime,
    booked: Counter[tuple[str, str, object]] | None = None,
) -> list[Decision]:
    """Decide every candidate of a tick; ``scheduled`` are (customer, channel, send time) of the
    messages already accepted (sent or still in the outbox). ``now`` is the tick's end (naive UTC).

    Candidates are taken in rank order across customers, so that the channel capacities
    (``booked``: the slots already taken, updated here) go to the highest priorities first.
    """
    taken: dict[str, list[tuple[datetime, str]]] = defaultdict(list)
    for customer, channel, send_at in scheduled:
        taken[customer].append((send_at, channel))
    for times in taken.values():
        times.sort()
    booked = Counter() if booked is None else booked
    ordered = sorted(candidates, key=lambda c: c.rank)
    hosts = _hosts(ordered, rules)
    riders: dict[str, list[Candidate]] = defaultdict(list)
    hosted: dict[str, Decision] = {}  # campaign messages that steps may ride along, once decided
    host_ids = set(hosts.values())
    decisions = []

    def alone(candidate: Candidate) -> Decision:
        mine = taken[candidate.customer_id]
        decision = _decide_one(candidate, mine, rules, now, booked)
        if decision.decision == "accepted" and decision.send_at is not None:
            bisect.insort(mine, (decision.send_at, candidate.channel))
        return decision

    def ride(rider: Candidate, host: Decision) -> Decision:
        if host.decision != "accepted":
            return alone(rider)
        # one message carries both contents: the caps count it once
        return Decision(rider.message_id, "combined", host.send_at, None, host.message_id)

    for candidate in ordered:
        host = hosts.get(candidate.message_id)
        if host is not None:  # decided with the campaign message it may ride along
            if host in hosted:
                decisions.append(ride(candidate, hosted[host]))
            else:
                riders[host].append(candidate)
            continue
        decision = alone(candidate)
        decisions.append(decision)
        if candidate.message_id in host_ids:
            hosted[candidate.message_id] = decision
        decisions += [ride(rider, decision) for rider in riders.pop(candidate.message_id, [])]
    return decisions


def _hosts(ordered: list[Candidate], rules: Rules) -> dict[str, str]:
    """For each step that may ride along a campaign (``combine_with``): the message of that
    campaign for the same customer, the same local day, in the same tick, if there is one.
    """
    campaigns: dict[tuple[str, str, date], str] = {}
    for c in ordered:
        if c.kind == "campaign":
            day = _local(c.send_at, rules.timezone).date()
            campaigns.setdefault((c.customer_id, c.action_id, day), c.message_id)
    hosts: dict[str, str] = {}
    for c in ordered:
        day = _local(c.send_at, rules.timezone).date()
        for campaign in c.combine_with:
            host = campaigns.get((c.customer_id, campaign, day))
            if host is not None:
                hosts[c.message_id] = host
                break
    return hosts


def _decide_one(
    candidate: Candidate,
    taken: list[tuple[datetime, str]],
    rules: Rules,
    now: datetime,
    booked: Counter[tuple[str, str, object]],
) -> Decision:
    send_at, held = placed(candidate, rules, now)
    if held is not None:
        return held
    spec = rules.capacity.get(candidate.channel)
    refused = _refusal(candidate.channel, send_at, taken, rules)
    free: datetime | None = send_at
    if refused is None and spec is not None:
        free = next_free(candidate.channel, send_at, spec, rules.timezone, booked)
        refused = None if free == send_at else "capacity"
    if refused is None:
        if spec is not None:
            for key in slots(candidate.channel, send_at, spec, rules.timezone):
                booked[key] += 1
        return Decision(candidate.message_id, "accepted", send_at=send_at)
    if candidate.kind == "campaign" or candidate.max_delay is None:
        return Decision(candidate.message_id, f"dropped:{refused}")
    start = max(candidate.due_at, candidate.not_before or candidate.due_at)
    deadline = candidate.max_delay.after(start)
    if refused == "capacity":  # retried when the next slot with room opens, if in time
        if free is None or free > deadline:
            return Decision(candidate.message_id, "dropped:capacity")
        return Decision(candidate.message_id, "postponed:capacity", retry_at=free)
    if now >= deadline:
        return Decision(candidate.message_id, f"dropped:{refused}")
    return Decision(candidate.message_id, f"postponed:{refused}")


def placed(candidate: Candidate, rules: Rules, now: datetime) -> tuple[datetime, Decision | None]:
    """The earliest time the timing rules let a candidate go (not before ``now``, out of the
    quiet hours, within a capacity channel's opening hours), and the decision of a blackout
    that covers that time, if one does.
    """
    zone = candidate.zone or rules.timezone
    send_at = quiet_hours_end(max(candidate.send_at, now), rules.quiet, zone)
    spec = rules.capacity.get(candidate.channel)
    if spec is not None:  # a call centre calls when it is open
        send_at = opening(send_at, spec, rules.timezone)
    blackout = covering(rules, candidate, send_at)
    if blackout is None:
        return send_at, None
    policy = blackout.on_conflict or candidate.on_conflict
    if candidate.kind == "campaign" or policy == "drop":
        return send_at, Decision(candidate.message_id, "dropped:blackout")
    retry = blackout_end(rules, blackout, send_at)
    return send_at, Decision(candidate.message_id, "postponed:blackout", retry_at=retry)


def _refusal(
    channel: str, send_at: datetime, taken: list[tuple[datetime, str]], rules: Rules
) -> str | None:
    """The first rule that a message on ``channel`` at ``send_at`` would break, if any.

    ``taken`` is sorted by time.
    """
    gap = rules.min_gap
    if gap:
        lo = bisect.bisect_right(taken, (send_at - gap, "~"))
        if lo < len(taken) and taken[lo][0] < send_at + gap:
            return "min_gap"
    everything: list[datetime] | None = None
    for cap in rules.caps:
        if cap.channel not in ("all", channel):  # another channel's count does not change
            continue
        if len(taken) < cap.limit:  # fewer messages than the cap allows, in any window
            continue
        if cap.channel == "all":
            everything = everything if everything is not None else [t for t, _ in taken]
            times = everything
        else:
            times = [t for t, c in taken if c == cap.channel]
        if len(times) >= cap.limit and _fullest(times, send_at, cap.window) + 1 > cap.limit:
            return cap.reason
    return None


def _fullest(times: list[datetime], new: datetime, window: timedelta) -> int:
    """The most of ``times`` (sorted) in one window ``(end - window, end]`` that also holds
    ``new``.

    Such windows end in ``[new, new + window)``; their count only rises at a message's own time,
    so the windows ending at ``new`` and at each message in ``(new, new + window)`` are enough.
    """
    first = bisect.bisect_right(times, new)
    best = first - bisect.bisect_right(times, new - window)
    for i in range(first, bisect.bisect_left(times, new + window)):
        best = max(
            best,
            bisect.bisect_right(times, times[i]) - bisect.bisect_right(times, times[i] - window),
        )
    return best


def opening(moment: datetime, spec: Capacity, zone: str) -> datetime:
    """``moment``, or the next time the channel's team works (its days, ``opens``–``closes``)."""
    local = _local(moment, zone)
    days = {WEEKDAYS.index(d) for d in spec.days}
    for _ in range(32):
        closed = local.weekday() not in days or _holiday(spec.holidays, local.date())
        if closed or local.time() >= spec.closes:
            local = _at(local.date() + timedelta(days=1), spec.opens, zone)
        elif local.time() < spec.opens:
            local = _at(local.date(), spec.opens, zone)
        else:
            return local.astimezone(_UTC).replace(tzinfo=None)
    raise ValueError("a capacity with no working day")  # validated: days is never empty


@functools.cache
def _holidays(country: str, year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays(country, years=year))


def _holiday(country: str | None, day: date) -> bool:
    return country is not None and day in _holidays(country, day.year)


def slots(
    channel: str, moment: datetime, spec: Capacity, zone: str
) -> list[tuple[str, str, object]]:
    """The capacity slots (hour, day, ISO week; local) that a message at ``moment`` takes."""
    local = _local(moment, zone)
    keys: list[tuple[str, str, object]] = []
    if spec.hour is not None:
        keys.append((channel, "hour", (local.date(), local.hour)))
    if spec.day is not None:
        keys.append((channel, "day", local.date()))
    if spec.week is not None:
        keys.append((channel, "week", local.isocalendar()[:2]))
    return keys


def next_free(
    channel: str,
    moment: datetime,
    spec: Capacity,
    zone: str,
    booked: Counter[tuple[str, str, object]],
) -> datetime | None:
    """The first time at or after ``moment`` (an opening time) when every slot it would take has
    room; None when none within 400 slots.
    """
    limits = {"hour": spec.hour, "day": spec.day, "week": spec.week}
    step = {"hour": timedelta(hours=1), "day": timedelta(days=1), "week": timedelta(weeks=1)}
    for _ in range(400):
        full = [k for k in slots(channel, moment, spec, zone) if booked[k] >= (limits[k[1]] or 0)]
        if not full:
            return moment
        period = full[-1][1]  # the longest full period: skip to its next slot
        local = _local(moment, zone)
        start = local.replace(minute=0, second=0, microsecond=0)
        if period != "hour":
            start = start.replace(hour=0)
        if period == "week":
            start -= timedelta(days=local.weekday())
        nxt = _at(start.date(), start.time(), zone) + step[period]
        moment = opening(nxt.astimezone(_UTC).replace(tzinfo=None), spec, zone)
    return None


def covering(rules: Rules, candidate: Candidate, send_at: datetime) -> Blackout | None:
    """The first blackout whose dates hold ``send_at`` (plan's local day) and whose scope covers
    the candidate.
    """
    if not rules.blackouts:
        return None
    day = _local(send_at, rules.timezone).date()
    key = (day, candidate.kind, candidate.action_id, candidate.program_id)
    if key not in rules.covered:
        rules.covered[key] = next(
            (
                b
                for b in rules.blackouts
                if _in_scope(b, candidate)
                and _dates(b, day.year)[0] <= day <= _dates(b, day.year)[1]
            ),
            None,
        )
    return rules.covered[key]


def blackout_end(rules: Rules, blackout: Blackout, send_at: datetime) -> datetime:
    """The first moment after the blackout that holds ``send_at`` (local midnight, naive UTC)."""
    _, last = _dates(blackout, _local(send_at, rules.timezone).year)
    after = datetime.combine(last + timedelta(days=1), time(0), tzinfo=ZoneInfo(rules.timezone))
    return after.astimezone(_UTC).replace(tzinfo=None)


def _dates(blackout: Blackout, year: int) -> tuple[date, date]:
    if blackout.during is not None:
        return season(blackout.during, year)
    assert blackout.from_ is not None and blackout.to is not None  # validated by the model
    return blackout.from_, blackout.to


def _in_scope(blackout: Blackout, candidate: Candidate) -> bool:
    scope = blackout.scope
    if scope == "all":
        return True
    if scope == "scenarios":
        return candidate.kind == "scenario"
    if scope == "campaigns":
        return candidate.kind == "campaign"
    return candidate.action_id in scope or candidate.program_id in scope


def quiet_hours_end(moment: datetime, quiet: QuietHours | None, zone: str) -> datetime:
    """``moment`` (naive UTC), or the first local time after it outside the quiet hours."""
    if quiet is None:
        return moment
    return _quiet_end(moment, zone, quiet.start, quiet.end, _weekdays(tuple(quiet.days)))


@functools.cache
def _weekdays(names: tuple[str, ...]) -> frozenset[int]:
    return frozenset(WEEKDAYS.index(d) for d in names)


@functools.lru_cache(maxsize=1 << 16)
def _quiet_end(
    moment: datetime, zone: str, start: time, end: time, days: frozenset[int]
) -> datetime:
    local = _local(moment, zone)
    for _ in range(16):
        if local.weekday() in days:
            local = _at(local.date() + timedelta(days=1), time(0), zone)
        elif _quiet_time(local.time(), start, end):
            until = _at(local.date(), end, zone)
            local = until if until > local else _at(local.date() + timedelta(days=1), end, zone)
        else:
            return local.astimezone(_UTC).replace(tzinfo=None)
    raise ValueError("quiet hours leave no time to send")  # every day is quiet


def _quiet_time(moment: time, start: time, end: time) -> bool:
    if start == end:
        return False
    if start < end:
        return start <= moment < end
    return moment >= start or moment < end


@functools.lru_cache(maxsize=1 << 16)
def _local(moment: datetime, zone: str) -> datetime:
    # a campaign's messages share their send time: most conversions are already known
    return moment.replace(tzinfo=_UTC).astimezone(ZoneInfo(zone))


def _at(day: date, at: time, zone: str) -> datetime:
    return datetime.combine(day, at, tzinfo=ZoneInfo(zone))
