"""Calendar campaigns: their moments (computed calendar, rhythms, one-offs) and their messages."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from animato import load_plan
from animato.engine import Engine
from animato.engine.campaigns import moments
from animato.engine.clock import Interval
from animato.plan.model import Plan
from tests.engine.engineplan import PLAN, customers, event, make_store, rows

ZONE = "Europe/Paris"


def plan_with(*campaigns: dict[str, object], brand: list[dict[str, object]] | None = None) -> Plan:
    return Plan.model_validate(
        {
            "name": "t",
            "salt": "s",
            "brand_events": brand or [],
            "programs": [{"id": "p", "name": "P", "campaigns": list(campaigns)}],
        }
    )


def campaign(**fields: object) -> dict[str, object]:
    return {"id": "c", "name": "C", "channel": "email", "template": "mail", **fields}


def when(plan: Plan, start: datetime, end: datetime) -> list[tuple[str, datetime]]:
    [only] = plan.campaigns
    return moments(plan, only, Interval(start, end, ZONE))


def test_a_season_with_an_offset_at_a_local_time() -> None:
    plan = plan_with(campaign(every={"season": "christmas", "offset": "-14d", "time": "10:00"}))
    year = (datetime(2026, 1, 1), datetime(2027, 1, 1))
    assert when(plan, *year) == [("2026-12-25", datetime(2026, 12, 11, 9))]  # 10:00 in Paris


def test_mothers_day_moves_when_it_falls_on_pentecost() -> None:
    plan = plan_with(campaign(every={"season": "mothers_day", "time": "09:00"}))
    found = when(plan, datetime(2023, 1, 1), datetime(2025, 1, 1))
    # 2024: last Sunday of May is the 26th; 2023: the 28th is Pentecost, so 4 June
    assert [day for day, _ in found] == ["2023-06-04", "2024-05-26"]


def test_weekly_monthly_and_one_off_rhythms() -> None:
    march = (datetime(2027, 3, 1), datetime(2027, 4, 1))
    weekly = plan_with(campaign(every={"weekday": "thursday", "time": "10:00"}))
    assert [d for d, _ in when(weekly, *march)] == ["2027-03-04", "2027-03-11", "2027-03-18",
                                                    "2027-03-25"]  # fmt: skip
    monthly = plan_with(campaign(every={"month_day": 5, "time": "09:00"}))
    assert when(monthly, *march) == [("2027-03-05", datetime(2027, 3, 5, 8))]
    once = plan_with(campaign(at="2027-03-19T10:00:00"))
    assert when(once, *march) == [("2027-03-19", datetime(2027, 3, 19, 9))]
    assert when(once, datetime(2027, 3, 20), datetime(2027, 4, 1)) == []


def test_a_yearly_brand_event_on_29_february_falls_on_the_28th() -> None:
    brand = [{"id": "fondation", "name": "Fondation", "date": "2024-02-29", "yearly": True}]
    plan = plan_with(campaign(every={"season": "fondation", "time": "10:00"}), brand=brand)
    found = when(plan, datetime(2026, 1, 1), datetime(2029, 1, 1))
    assert [d for d, _ in found] == ["2026-02-28", "2027-02-28", "2028-02-29"]


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(
        [
            {"season": "winter_sales", "offset": "-1d", "time": "18:00"},
            {"weekday": "sunday", "time": "00:30"},
            {"month_day": 28, "time": "02:30"},  # 02:30 does not exist on the day DST starts
            {"season": "easter", "offset": "-28d", "time": "09:00"},
        ]
    ),
    st.lists(st.integers(min_value=1, max_value=24 * 90), min_size=1, max_size=8),
)
def test_split_ticks_see_each_moment_exactly_once(every: dict[str, str], cuts: list[int]) -> None:
    plan = plan_with(campaign(every=every))
    start, end = datetime(2026, 1, 1), datetime(2027, 1, 1)
    bounds = sorted({start, end, *(start + timedelta(hours=h) for h in cuts)})
    split = [m for a, b in zip(bounds, bounds[1:], strict=False) for m in when(plan, a, b)]
    assert split == when(plan, start, end)
    assert len({key for key, _ in split}) == len(split)


CAMPAIGNS = """\
    campaigns:
      - id: promo
        name: Promo
        every: {weekday: wednesday, time: "10:00"}
        target: gros_client
        when: "customer.first_name != 'Zoé'"
        channel: email
        template: mail
        fallback: sms
"""


def test_a_campaign_writes_one_message_per_targeted_customer(tmp_path: Path) -> None:
    text = PLAN.replace("    scenarios:\n", CAMPAIGNS + "    scenarios:\n", 1)
    store = make_store(tmp_path / "plan", text)
    customers(
        store,
        {"customer_id": "big", "first_name": "Anne", "phone": None},
        {"customer_id": "small", "first_name": "Bob"},
        {"customer_id": "zoe", "first_name": "Zoé"},
        {"customer_id": "angry", "first_name": "Carl"},
        {"customer_id": "sms", "first_name": "Dan", "email": None, "phone": "+33600000009"},
        {"customer_id": "none", "first_name": "Eve", "_consents": []},
    )
    for who in ("big", "zoe", "angry", "sms", "none"):
        event(store, f"p-{who}", who, "purchase", datetime(2027, 2, 1), amount=150.0)
    event(store, "p-small", "small", "purchase", datetime(2027, 2, 1), amount=20.0)
    event(store, "k", "angry", "complaint_opened", datetime(2027, 3, 1))
    engine = Engine(store)
    result = engine.tick(datetime(2027, 3, 3, 12), since=datetime(2027, 3, 3))  # a Wednesday
    found = {m["customer_id"]: (m["channel"], m["decision"]) for m in rows(store, "messages")}
    assert found == {
        "big": ("email", "candidate"),
        "sms": ("sms", "candidate"),  # no email address: the fallback channel
        "none": ("email", "dropped:no_consent"),
    }  # small is not a big customer, Zoé is left out by `when`, Carl by his open complaint
    assert result.decisions["promo"] == {"accepted": 2, "dropped:no_consent": 1}
    assert {m["customer_id"] for m in rows(store, "outbox")} == {"big", "sms"}
    engine.tick(datetime(2027, 3, 4, 12))
    assert store.count("messages") == 3  # the next Wednesday is next week


def test_a_campaign_skips_customers_created_after_its_moment(tmp_path: Path) -> None:
    text = PLAN.replace("    scenarios:\n", CAMPAIGNS + "    scenarios:\n", 1)
    store = make_store(tmp_path / "plan", text)
    customers(
        store,
        {"customer_id": "big", "first_name": "Anne", "created_at": datetime(2026, 1, 1)},
        {"customer_id": "later", "first_name": "Léa", "created_at": datetime(2027, 3, 5)},
    )
    for who in ("big", "later"):
        event(store, f"p-{who}", who, "purchase", datetime(2027, 2, 1), amount=150.0)
    Engine(store).tick(datetime(2027, 3, 3, 12), since=datetime(2027, 3, 3))  # a Wednesday
    assert {m["customer_id"] for m in rows(store, "messages")} == {"big"}


def test_a_campaign_moved_later_the_same_day_is_not_sent_twice(tmp_path: Path) -> None:
    text = PLAN.replace("    scenarios:\n", CAMPAIGNS + "    scenarios:\n", 1)
    store = make_store(tmp_path / "plan", text)
    customers(store, {"customer_id": "big", "first_name": "Anne"})
    event(store, "p-big", "big", "purchase", datetime(2027, 2, 1), amount=150.0)
    engine = Engine(store)
    engine.tick(datetime(2027, 3, 3, 9, 30), since=datetime(2027, 3, 3, 8, 30))  # 10:30 Paris
    assert [m["step_id"] for m in rows(store, "messages")] == ["2027-03-03"]
    # the same Wednesday's occurrence, now at 17:00: it was sent at 10:00 already
    moved = text.replace('time: "10:00"', 'time: "17:00"')
    assert moved != text
    (tmp_path / "plan" / "plan.yaml").write_text(moved)
    store.plan = load_plan(tmp_path / "plan")
    Engine(store).tick(datetime(2027, 3, 3, 18))
    assert [m["step_id"] for m in rows(store, "messages")] == ["2027-03-03"]
    assert len(rows(store, "outbox")) == 1
