"""Arbitration: a rule per test and reason code, then invariants over random candidate sets."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from animato.engine.arbitration import (
    WEEKDAYS,
    Candidate,
    Cap,
    Decision,
    Rules,
    blackout_end,
    decide,
    quiet_hours_end,
    slots,
)
from animato.plan.durations import Duration
from animato.plan.model import Blackout, Capacity, QuietHours

NOW = datetime(2027, 3, 3, 9)  # a Wednesday; 10:00 in Paris
ZONE = "Europe/Paris"


def cand(
    mid: str,
    *,
    who: str = "a",
    channel: str = "email",
    priority: int = 50,
    order: int = 0,
    at: datetime = NOW,
    kind: str = "scenario",
    action: str = "s",
    program: str = "p",
    max_delay: str | None = "3d",
    on_conflict: str = "postpone",
    zone: str | None = None,
) -> Candidate:
    return Candidate(
        message_id=mid,
        customer_id=who,
        action_id=action,
        program_id=program,
        kind=kind,  # type: ignore[arg-type]
        channel=channel,
        priority=priority,
        order=order,
        due_at=at,
        send_at=at,
        max_delay=Duration.parse(max_delay) if max_delay else None,
        on_conflict=on_conflict,  # type: ignore[arg-type]
        zone=zone,
    )


def rules(**changes: object) -> Rules:
    base = Rules(ZONE)
    for name, value in changes.items():
        setattr(base, name, value)
    return base


def decided(decisions: list[Decision]) -> dict[str, str]:
    return {d.message_id: d.decision for d in decisions}


def test_nothing_in_the_way_is_accepted_at_the_send_time() -> None:
    later = NOW + timedelta(hours=5)
    [d] = decide([cand("m", at=later)], [], rules(), NOW)
    assert (d.decision, d.send_at) == ("accepted", later)


def test_never_sent_before_the_tick_that_decides_it() -> None:
    [d] = decide([cand("m", at=NOW - timedelta(days=1))], [], rules(), NOW)
    assert d.send_at == NOW


def test_each_cap_gives_its_own_reason() -> None:
    sent = [("a", "email", NOW - timedelta(hours=h)) for h in (2, 30, 200)]
    for cap, reason in [
        (Cap("all", "day", 1), "postponed:cap_day"),
        (Cap("all", "week", 2), "postponed:cap_week"),
        (Cap("all", "month", 3), "postponed:cap_month"),
        (Cap("email", "week", 2), "postponed:cap_email_week"),
        (Cap("sms", "day", 1), "accepted"),  # the messages sent were emails
        (Cap("all", "month", 4), "accepted"),
    ]:
        assert decided(decide([cand("m")], sent, rules(caps=[cap]), NOW)) == {"m": reason}


def test_a_cap_on_another_channel_never_refuses_a_message() -> None:
    """An email leaves the SMS count as it is: a full SMS window holds it back no more."""
    sent = [("a", "sms", NOW - timedelta(hours=2))]
    sms_day = rules(caps=[Cap("sms", "day", 1)])
    assert decided(decide([cand("m")], sent, sms_day, NOW)) == {"m": "accepted"}
    assert decided(decide([cand("m", channel="sms")], sent, sms_day, NOW)) == {
        "m": "postponed:cap_sms_day"
    }


def test_a_window_is_24_hours_ending_at_the_send_time_inclusive() -> None:
    cap = rules(caps=[Cap("all", "day", 1)])
    assert decided(decide([cand("m")], [("a", "sms", NOW - timedelta(days=1))], cap, NOW)) == {
        "m": "accepted"
    }
    assert decided(decide([cand("m")], [("a", "sms", NOW)], cap, NOW)) == {"m": "postponed:cap_day"}


def test_messages_scheduled_later_count_as_well() -> None:
    """A message already in the outbox for tomorrow morning fills the day window of tonight."""
    cap = rules(caps=[Cap("all", "day", 1)])
    later = [("a", "email", NOW + timedelta(hours=20))]
    assert decided(decide([cand("m")], later, cap, NOW)) == {"m": "postponed:cap_day"}


def test_minimum_gap_between_two_messages() -> None:
    gap = rules(min_gap=timedelta(hours=48))
    assert decided(decide([cand("m")], [("a", "sms", NOW - timedelta(hours=47))], gap, NOW)) == {
        "m": "postponed:min_gap"
    }
    assert decided(decide([cand("m")], [("a", "sms", NOW - timedelta(hours=48))], gap, NOW)) == {
        "m": "accepted"
    }


def test_a_step_past_its_max_delay_is_dropped_and_a_campaign_never_waits() -> None:
    cap = rules(caps=[Cap("all", "week", 1)])
    sent = [("a", "email", NOW - timedelta(days=1))]
    old = cand("old", at=NOW - timedelta(days=3))
    fresh = cand("new", who="b", at=NOW - timedelta(days=2))
    camp = cand("camp", who="c", kind="campaign", max_delay=None, on_conflict="drop")
    sent += [("b", "email", NOW - timedelta(days=1)), ("c", "email", NOW - timedelta(days=1))]
    assert decided(decide([old, fresh, camp], sent, cap, NOW)) == {
        "old": "dropped:cap_week",  # due 3 days ago, max_delay 3d: time is up
        "new": "postponed:cap_week",
        "camp": "dropped:cap_week",
    }


def test_higher_priority_first_then_plan_order_then_id() -> None:
    cap = rules(caps=[Cap("all", "day", 1)])
    low = cand("low", priority=10)
    high = cand("high", priority=90)
    assert decided(decide([low, high], [], cap, NOW)) == {
        "high": "accepted",
        "low": "postponed:cap_day",
    }
    first, second = cand("x", order=2), cand("y", order=1)
    assert decided(decide([first, second], [], cap, NOW)) == {
        "y": "accepted",
        "x": "postponed:cap_day",
    }


TREVE = Blackout.model_validate(
    {"id": "treve", "from": "2027-03-01", "to": "2027-03-10", "scope": "scenarios"}
)


def test_a_blackout_postpones_a_step_to_its_end_and_drops_a_campaign() -> None:
    during = rules(blackouts=[TREVE])
    step = cand("step")
    camp = cand("camp", kind="campaign", max_delay=None, on_conflict="drop")
    out = {d.message_id: d for d in decide([step, camp], [], during, NOW)}
    assert out["step"].decision == "postponed:blackout"
    assert out["step"].retry_at == datetime(2027, 3, 10, 23)  # 11 March, 00:00 in Paris
    assert out["camp"].decision == "accepted"  # scope: scenarios only
    campaigns = TREVE.model_copy(update={"scope": "campaigns"})
    assert decided(decide([camp, step], [], rules(blackouts=[campaigns]), NOW)) == {
        "camp": "dropped:blackout",
        "step": "accepted",
    }


def test_blackout_scope_by_program_or_scenario_and_its_own_policy() -> None:
    listed = TREVE.model_copy(update={"scope": ["post_achat", "relance"], "on_conflict": "drop"})
    by_program = cand("a1", program="post_achat")
    by_scenario = cand("b1", who="b", action="relance")
    other = cand("c1", who="c", action="autre")
    assert decided(
        decide([by_program, by_scenario, other], [], rules(blackouts=[listed]), NOW)
    ) == {
        "a1": "dropped:blackout",
        "b1": "dropped:blackout",
        "c1": "accepted",
    }
    everything = TREVE.model_copy(update={"scope": "all"})
    step = cand("s", on_conflict="drop")  # the message's own policy when the blackout has none
    assert decided(decide([step], [], rules(blackouts=[everything]), NOW)) == {
        "s": "dropped:blackout"
    }


def test_a_blackout_during_a_season_is_computed_for_the_year() -> None:
    sales = Blackout.model_validate({"id": "soldes", "during": "winter_sales"})
    # 2027 winter sales: Wednesday 6 January (the second Wednesday is after the 12th) to 2 February
    inside, outside = datetime(2027, 2, 2, 12), datetime(2027, 2, 3, 12)
    out = decide([cand("in", at=inside), cand("out", who="b", at=outside)], [], rules(
        blackouts=[sales]), inside)  # fmt: skip
    assert decided(out) == {"in": "postponed:blackout", "out": "accepted"}
    assert blackout_end(rules(), sales, inside) == datetime(2027, 2, 2, 23)


def test_max_delay_counts_again_from_the_end_of_a_blackout() -> None:
    cap = rules(caps=[Cap("all", "week", 1)])
    sent = [("a", "email", NOW - timedelta(days=1))]
    held = replace(cand("m", at=NOW - timedelta(days=20)), not_before=NOW - timedelta(days=1))
    assert decided(decide([held], sent, cap, NOW)) == {"m": "postponed:cap_week"}


QUIET = QuietHours.model_validate({"start": "21:00", "end": "08:30", "days": ["sunday"]})


def test_quiet_hours_move_the_send_time_to_the_next_allowed_moment() -> None:
    def local(day: date, at: time, zone: str = ZONE) -> datetime:
        moment = datetime.combine(day, at, tzinfo=ZoneInfo(zone))
        return moment.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)

    wed, thu = date(2027, 3, 3), date(2027, 3, 4)
    assert quiet_hours_end(local(wed, time(22)), QUIET, ZONE) == local(thu, time(8, 30))
    assert quiet_hours_end(local(wed, time(7)), QUIET, ZONE) == local(wed, time(8, 30))
    assert quiet_hours_end(local(wed, time(12)), QUIET, ZONE) == local(wed, time(12))
    sat, mon = date(2027, 3, 6), date(2027, 3, 8)
    assert quiet_hours_end(local(sat, time(23)), QUIET, ZONE) == local(mon, time(8, 30))
    # the customer's own zone decides what "night" is
    [d] = decide([cand("m", zone="America/Martinique")], [], rules(quiet=QUIET), NOW)
    assert d.send_at == local(wed, time(8, 30), "America/Martinique")


# --- invariants -----------------------------------------------------------------------------

CHANNELS = ("email", "sms")
START = datetime(2027, 3, 1)


@st.composite
def worlds(draw: st.DrawFn) -> tuple[list[Candidate], list[tuple[str, str, datetime]], Rules]:
    hours = st.integers(min_value=0, max_value=24 * 20)
    people = st.sampled_from("abc")
    cands = [
        cand(
            f"m{i}",
            who=draw(people),
            channel=draw(st.sampled_from(CHANNELS)),
            priority=draw(st.integers(0, 3)) * 10,
            order=draw(st.integers(0, 3)),
            at=START + timedelta(hours=draw(hours)),
            kind=draw(st.sampled_from(["scenario", "campaign"])),
            action=draw(st.sampled_from(["s1", "s2"])),
        )
        for i in range(draw(st.integers(1, 12)))
    ]
    sent = [
        (draw(people), draw(st.sampled_from(CHANNELS)), START + timedelta(hours=draw(hours)))
        for _ in range(draw(st.integers(0, 6)))
    ]
    caps = [
        Cap(draw(st.sampled_from(["all", *CHANNELS])), period, draw(st.integers(1, 4)))
        for period in draw(st.sets(st.sampled_from(["day", "week", "month"])))
    ]
    gap = draw(st.sampled_from([None, timedelta(hours=12), timedelta(hours=48)]))
    blackouts = draw(st.sampled_from([[], [TREVE]]))
    return cands, sent, rules(caps=caps, min_gap=gap, blackouts=blackouts, quiet=QUIET)


@settings(max_examples=150, deadline=None)
@given(worlds())
def test_arbitration_invariants(
    world: tuple[list[Candidate], list[tuple[str, str, datetime]], Rules],
) -> None:
    cands, sent, rule = world
    now = START + timedelta(hours=12)
    decisions = decide(cands, sent, rule, now)
    assert sorted(d.message_id for d in decisions) == sorted(c.message_id for c in cands)
    by_id = {c.message_id: c for c in cands}
    accepted = [(by_id[d.message_id], d.send_at) for d in decisions if d.decision == "accepted"]
    for c, at in accepted:
        assert at is not None and at >= now and at >= c.send_at
        assert quiet_hours_end(at, rule.quiet, ZONE) == at  # never in quiet hours
        for blackout in rule.blackouts:  # nothing goes out in a blackout that covers it
            first, last = blackout.from_, blackout.to
            assert first is not None and last is not None
            local_day = at.replace(tzinfo=ZoneInfo("UTC")).astimezone(ZoneInfo(ZONE)).date()
            assert not (c.kind == "scenario" and first <= local_day <= last)
    for who in "abc":
        mine = [(at, c.channel) for c, at in accepted if c.customer_id == who]
        booked = [(at, ch) for w, ch, at in sent if w == who]
        for i, (at, _) in enumerate(mine):  # no two messages closer than the minimum gap
            if rule.min_gap:
                others = [t for j, (t, _) in enumerate(mine) if j != i] + [t for t, _ in booked]
                assert all(abs(t - at) >= rule.min_gap for t in others)
        for cap in rule.caps:  # no window holding a new message exceeds a cap
            times = [t for t, ch in mine + booked if cap.channel in ("all", ch)]
            new = [t for t, ch in mine if cap.channel in ("all", ch)]
            for end in times:
                inside = [t for t in times if end - cap.window < t <= end]
                if any(end - cap.window < t <= end for t in new):
                    assert len(inside) <= cap.limit
    refused = [
        d.message_id
        for d in decisions
        if d.decision.split(":")[-1].startswith(("cap", "min_gap")) and ":" in d.decision
    ]
    for mid in refused:  # a lower-ranked message never takes a higher one's place
        high = by_id[mid]
        for c, _ in accepted:
            same = c.customer_id == high.customer_id and c.channel == high.channel
            if same and c.send_at == high.send_at:
                assert c.rank < high.rank


# --- capacity of constrained channels ----------------------------------------------------------

CALLS = Capacity.model_validate({"hour": 2, "opens": "09:00", "closes": "17:00"})
WED_10 = datetime(2027, 3, 3, 9)  # Wednesday 10:00 in Paris


def test_a_call_centre_hour_goes_to_the_highest_priorities_across_customers() -> None:
    rule = rules(capacity={"call": CALLS})
    calls = [
        cand("low", who="a", channel="call", priority=10, at=WED_10),
        cand("top", who="z", channel="call", priority=90, at=WED_10),
        cand("mid", who="m", channel="call", priority=50, at=WED_10),
        cand("camp", who="c", channel="call", priority=5, at=WED_10, kind="campaign",
             max_delay=None, on_conflict="drop"),
    ]  # fmt: skip
    out = {d.message_id: d for d in decide(calls, [], rule, WED_10)}
    assert {k: d.decision for k, d in out.items()} == {
        "top": "accepted",
        "mid": "accepted",
        "low": "postponed:capacity",
        "camp": "dropped:capacity",
    }
    assert out["low"].retry_at == WED_10 + timedelta(hours=1)  # the next hour with room


def test_calls_wait_for_opening_hours_and_working_days() -> None:
    rule = rules(capacity={"call": CALLS})
    friday_evening = datetime(2027, 3, 5, 19)  # 20:00 in Paris
    [d] = decide([cand("m", channel="call", at=friday_evening)], [], rule, friday_evening)
    assert (d.decision, d.send_at) == ("accepted", datetime(2027, 3, 8, 8))  # Monday 09:00


def test_a_full_week_of_postal_budget_postpones_within_max_delay_or_drops() -> None:
    budget = Capacity.model_validate({"week": 1, "days": list(WEEKDAYS)})
    rule = rules(capacity={"postal": budget})
    booked: Counter[tuple[str, str, object]] = Counter()
    first = decide([cand("a", channel="postal")], [], rule, NOW, booked)
    assert first[0].decision == "accepted"
    late = decide([cand("b", who="b", channel="postal", max_delay="7d")], [], rule, NOW, booked)
    assert (late[0].decision, late[0].retry_at) == ("postponed:capacity", datetime(2027, 3, 7, 23))
    short = decide([cand("c", who="c", channel="postal", max_delay="1d")], [], rule, NOW, booked)
    assert short[0].decision == "dropped:capacity"


@settings(max_examples=80, deadline=None)
@given(worlds(), st.integers(1, 3))
def test_no_capacity_slot_is_ever_overfilled(
    world: tuple[list[Candidate], list[tuple[str, str, datetime]], Rules], per_hour: int
) -> None:
    cands, sent, rule = world
    spec = Capacity.model_validate({"hour": per_hour, "day": per_hour * 3, "opens": "09:00",
                                    "closes": "12:00"})  # fmt: skip
    rule.capacity = {"sms": spec}
    now = START + timedelta(hours=12)
    decisions = decide(cands, sent, rule, now)
    by_id = {c.message_id: c for c in cands}
    used: Counter[tuple[str, str, object]] = Counter()
    for d in decisions:
        if d.decision == "accepted" and by_id[d.message_id].channel == "sms":
            assert d.send_at is not None
            local = d.send_at.replace(tzinfo=ZoneInfo("UTC")).astimezone(ZoneInfo(ZONE))
            assert local.weekday() < 5 and time(9) <= local.time() < time(12)
            for key in slots("sms", d.send_at, spec, ZONE):
                used[key] += 1
    assert all(n <= (per_hour if key[1] == "hour" else per_hour * 3) for key, n in used.items())


# --- a step riding along a campaign (combine_with) ------------------------------------------------


def test_a_step_rides_along_a_campaign_of_the_same_day_and_counts_once() -> None:
    cap = rules(caps=[Cap("all", "day", 1)])
    step = replace(cand("step", priority=60, action="relance"), combine_with=("noel",))
    for priority in (20, 90):  # the campaign decided after the step, or before it
        noel = cand("noel-a", priority=priority, kind="campaign", action="noel", max_delay=None,
                    on_conflict="drop")  # fmt: skip
        out = {d.message_id: d for d in decide([step, noel], [], cap, NOW)}
        assert out["noel-a"].decision == "accepted"
        assert (out["step"].decision, out["step"].combined_with) == ("combined", "noel-a")
        assert out["step"].send_at == out["noel-a"].send_at


def test_a_step_goes_alone_when_its_campaign_is_refused_or_on_another_day() -> None:
    step = replace(cand("step", priority=60, action="relance"), combine_with=("noel",))
    noel = cand("noel-a", kind="campaign", action="noel", max_delay=None, on_conflict="drop")
    blocked = TREVE.model_copy(update={"scope": "campaigns"})
    out = decided(decide([step, noel], [], rules(blackouts=[blocked]), NOW))
    assert out == {"noel-a": "dropped:blackout", "step": "accepted"}
    tomorrow = replace(noel, send_at=NOW + timedelta(days=1), due_at=NOW + timedelta(days=1))
    out = decided(decide([step, tomorrow], [], rules(), NOW))
    assert out == {"noel-a": "accepted", "step": "accepted"}


def test_public_holidays_close_a_call_centre_when_it_says_so() -> None:
    bastille = datetime(2027, 7, 14, 8)  # a Wednesday, 10:00 in Paris
    open_anyway = rules(capacity={"call": CALLS})
    closed = rules(capacity={"call": CALLS.model_copy(update={"holidays": "FR"})})
    [d] = decide([cand("m", channel="call", at=bastille)], [], open_anyway, bastille)
    assert d.send_at == bastille
    [d] = decide([cand("m", channel="call", at=bastille)], [], closed, bastille)
    assert d.send_at == datetime(2027, 7, 15, 7)  # Thursday 09:00
