"""tick(now) on a real DuckDB store: each trigger kind, entry rules, journeys, idempotence."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from animato import load_plan
from animato.engine import Engine
from animato.engine.ids import in_control
from animato.store import Store
from tests.engine.engineplan import PLAN, customers, event, make_store, rows


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return make_store(tmp_path / "plan")


def daily(engine: Engine, first: datetime, days: int, step: int = 1) -> None:
    """Tick every ``step`` days for ``days`` days from ``first``."""
    for i in range(0, days, step):
        engine.tick(first + timedelta(days=i))


def test_event_trigger_with_where_and_steps(store: Store) -> None:
    customers(
        store,
        {"customer_id": "a", "first_name": "Anne", "phone": "+33600000001"},
        {"customer_id": "b", "first_name": "Bob"},
    )
    event(store, "e1", "a", "cart_abandoned", datetime(2027, 3, 1, 9), cart_value=80.0)
    event(store, "e2", "b", "cart_abandoned", datetime(2027, 3, 1, 9), cart_value=20.0)
    engine = Engine(store)
    first = engine.tick(datetime(2027, 3, 1, 12), since=datetime(2027, 3, 1))
    assert first.enrolments["panier"] == 1  # b's cart is under 50: no entry
    [message] = rows(store, "messages")
    assert (message["customer_id"], message["step_id"], message["decision"]) == (
        "a",
        "t1",
        "candidate",
    )
    assert message["due_at"] == datetime(2027, 3, 1, 10)  # event time + wait 1h
    assert message["send_at"] == datetime(2027, 3, 1, 12)  # never before the deciding tick
    engine.tick(datetime(2027, 3, 2, 12))  # t2 due 2027-03-02 12:00 UTC, at 18:00 Paris
    second = rows(store, "messages", step_id="t2")[0]
    assert second["channel"] == "sms"
    assert second["send_at"] == datetime(2027, 3, 2, 17)  # 18:00 in Paris (UTC+1)
    assert rows(store, "journey_log", kind="completed")[0]["customer_id"] == "a"


def test_a_customer_time_zone_sets_the_local_send_time(store: Store) -> None:
    customers(
        store,
        {"customer_id": "a", "phone": "+33600000001", "timezone": None},  # the plan's zone
        {"customer_id": "m", "phone": "+596696000001", "timezone": "America/Martinique"},
    )
    for who in "am":
        event(store, f"e{who}", who, "cart_abandoned", datetime(2027, 3, 1, 9), cart_value=80.0)
    engine = Engine(store)
    daily(engine, datetime(2027, 3, 1, 12), 2)
    sent = {m["customer_id"]: m["send_at"] for m in rows(store, "messages", step_id="t2")}
    assert sent == {
        "a": datetime(2027, 3, 2, 17),  # 18:00 in Paris (UTC+1)
        "m": datetime(2027, 3, 2, 22),  # 18:00 in Martinique (UTC-4)
    }


def test_same_tick_twice_writes_nothing(store: Store) -> None:
    customers(store, {"customer_id": "a"})
    event(store, "e1", "a", "cart_abandoned", datetime(2027, 3, 1, 9), cart_value=80.0)
    engine = Engine(store)
    engine.tick(datetime(2027, 3, 1, 12))
    counts = {t: store.count(t) for t in ("ticks", "enrolments", "messages", "journey_log")}
    again = engine.tick(datetime(2027, 3, 1, 12))
    assert not again.ran
    assert counts == {t: store.count(t) for t in counts}


def test_fallback_channel_and_hard_filters(store: Store) -> None:
    customers(
        store,
        {"customer_id": "a", "_consents": ["email"]},  # no sms consent: t2 falls back to email
        {"customer_id": "b", "_consents": []},  # nothing granted
        {"customer_id": "c", "email": None},  # consent but no address
    )
    for who in "abc":
        event(store, f"e{who}", who, "cart_abandoned", datetime(2027, 3, 1, 9), cart_value=99.0)
    engine = Engine(store)
    daily(engine, datetime(2027, 3, 1, 12), 2)
    decided = {
        (m["customer_id"], m["step_id"]): (m["channel"], m["decision"])
        for m in rows(store, "messages")
    }
    assert decided[("a", "t1")] == ("email", "candidate")
    assert decided[("a", "t2")] == ("email", "candidate")
    assert decided[("b", "t1")] == ("email", "dropped:no_consent")
    assert decided[("c", "t1")] == ("email", "dropped:no_address")


def test_goal_converts_and_stops_the_journey(store: Store) -> None:
    customers(store, {"customer_id": "a"})
    event(store, "e1", "a", "cart_abandoned", datetime(2027, 3, 1, 9), cart_value=80.0)
    engine = Engine(store)
    engine.tick(datetime(2027, 3, 1, 12))
    event(store, "p1", "a", "purchase", datetime(2027, 3, 1, 20), amount=80.0)
    engine.tick(datetime(2027, 3, 2, 12))
    assert [r["kind"] for r in rows(store, "journey_log")] == ["converted"]
    assert [m["step_id"] for m in rows(store, "messages")] == ["t1"]


def test_exclusion_and_exit(store: Store) -> None:
    customers(store, {"customer_id": "a"}, {"customer_id": "b"})
    event(store, "c0", "a", "complaint_opened", datetime(2027, 2, 20))
    event(store, "e1", "a", "cart_abandoned", datetime(2027, 3, 1, 9), cart_value=80.0)
    event(store, "e2", "b", "cart_abandoned", datetime(2027, 3, 1, 9), cart_value=80.0)
    engine = Engine(store)
    engine.tick(datetime(2027, 3, 1, 12))
    assert [e["customer_id"] for e in rows(store, "enrolments")] == ["b"]  # a has a complaint
    event(store, "c1", "b", "complaint_opened", datetime(2027, 3, 1, 15))
    engine.tick(datetime(2027, 3, 2, 12))
    assert [(r["customer_id"], r["kind"]) for r in rows(store, "journey_log")] == [("b", "exited")]


def test_reentry_after_and_one_running_instance(store: Store) -> None:
    customers(store, {"customer_id": "a"})
    engine = Engine(store)
    event(store, "e1", "a", "cart_abandoned", datetime(2027, 3, 1, 9), cart_value=80.0)
    event(store, "e2", "a", "cart_abandoned", datetime(2027, 3, 1, 10), cart_value=90.0)
    engine.tick(datetime(2027, 3, 1, 12))
    assert [e["occurrence"] for e in rows(store, "enrolments")] == ["e1"]  # one instance
    event(store, "e3", "a", "cart_abandoned", datetime(2027, 3, 4, 9), cart_value=80.0)
    daily(engine, datetime(2027, 3, 2, 12), 4, 2)
    assert len(rows(store, "enrolments")) == 1  # within 7 days of the last entry
    event(store, "e4", "a", "cart_abandoned", datetime(2027, 3, 10, 9), cart_value=80.0)
    engine.tick(datetime(2027, 3, 10, 12))
    assert sorted(e["occurrence"] for e in rows(store, "enrolments")) == ["e1", "e4"]


def test_inactivity_fires_once_per_episode(store: Store) -> None:
    customers(store, {"customer_id": "a"})
    event(store, "p1", "a", "purchase", datetime(2027, 1, 1, 10), amount=10.0)
    engine = Engine(store)
    daily(engine, datetime(2027, 1, 20, 12), 40, 5)  # crosses 30 days on 2027-01-31 10:00
    fired = rows(store, "enrolments", scenario_id="inactif")
    assert [(e["entered_at"], e["occurrence"]) for e in fired] == [
        (datetime(2027, 1, 31, 10), "2027-01-01 10:00:00")
    ]
    event(store, "p2", "a", "purchase", datetime(2027, 3, 1, 10), amount=10.0)
    daily(engine, datetime(2027, 3, 1, 12), 40, 5)
    assert len(rows(store, "enrolments", scenario_id="inactif")) == 2  # a new episode


def test_inactivity_on_the_customers_own_cadence(store: Store) -> None:
    customers(store, {"customer_id": "a"}, {"customer_id": "b"})
    for i, day in enumerate([1, 11, 21, 31]):  # a buys every 10 days: inactive after 20
        event(store, f"a{i}", "a", "purchase", datetime(2027, 1, day, 10), amount=1.0)
    event(store, "b0", "b", "purchase", datetime(2027, 1, 1, 10), amount=1.0)  # default: 60d
    engine = Engine(store)
    daily(engine, datetime(2027, 2, 1, 12), 70, 7)
    fired = {
        e["customer_id"]: e["entered_at"] for e in rows(store, "enrolments", scenario_id="cadence")
    }
    assert fired == {"a": datetime(2027, 2, 20, 10), "b": datetime(2027, 3, 2, 10)}


def test_account_scope_waits_for_every_contact(store: Store) -> None:
    customers(
        store, {"customer_id": "a", "account_id": "F1"}, {"customer_id": "b", "account_id": "F1"}
    )
    event(store, "a1", "a", "purchase", datetime(2027, 1, 1, 10), amount=1.0)
    event(store, "b1", "b", "purchase", datetime(2027, 1, 20, 10), amount=1.0)
    engine = Engine(store)
    daily(engine, datetime(2027, 1, 21, 12), 60, 6)
    fired = rows(store, "enrolments", scenario_id="compte")
    # the account is inactive 45 days after b's purchase, the latest of its contacts
    assert {(e["customer_id"], e["entered_at"]) for e in fired} == {
        ("a", datetime(2027, 3, 6, 10)),
        ("b", datetime(2027, 3, 6, 10)),
    }


def test_birthdays_with_holdout_and_leap_day(store: Store) -> None:
    people = [{"customer_id": f"c{i}", "birth_date": date(1990, 3, 1)} for i in range(20)]
    people.append({"customer_id": "leap", "birth_date": date(1992, 2, 29)})
    customers(store, *people)
    engine = Engine(store)
    daily(engine, datetime(2027, 2, 27, 12), 3)
    fired = {e["customer_id"]: e for e in rows(store, "enrolments", scenario_id="anniv")}
    assert fired["leap"]["occurrence"] == "2027-02-28"  # 29 Feb falls on 28 Feb in 2027
    assert fired["c0"]["anniversary"] == 37
    assert set(fired) == {p["customer_id"] for p in people}
    for who, enrolment in fired.items():
        expected = "holdout" if in_control("pepper", "anniv", who, 0.5) else None
        assert enrolment["control"] == expected
    decisions = {
        m["customer_id"]: m["decision"]
        for m in rows(store, "messages")
        if m["action_id"] == "anniv"
    }
    assert all(
        (d == "withheld:control") == (fired[c]["control"] is not None) for c, d in decisions.items()
    )


def test_nobody_is_contacted_before_being_created(store: Store) -> None:
    born = date(1990, 3, 1)
    customers(
        store,
        {"customer_id": "old", "birth_date": born, "created_at": datetime(2020, 1, 1)},
        {"customer_id": "unknown", "birth_date": born},  # no creation time: always there
        {"customer_id": "new", "birth_date": born, "created_at": datetime(2027, 3, 2)},
    )
    engine = Engine(store)
    engine.tick(datetime(2027, 3, 1, 12), since=datetime(2027, 2, 28, 12))
    fired = {e["customer_id"] for e in rows(store, "enrolments", scenario_id="anniv")}
    assert fired == {"old", "unknown"}  # 'new' is created the next day
    # a year later, 'new' exists: its birthday counts
    engine.tick(datetime(2028, 3, 1, 12), since=datetime(2028, 2, 29, 12))
    fired = {e["customer_id"] for e in rows(store, "enrolments", scenario_id="anniv")}
    assert "new" in fired


def test_an_event_of_a_customer_the_store_does_not_know_enrols_no_one(store: Store) -> None:
    """A row quarantined at ingest (or not loaded yet) leaves its events without a customer."""
    customers(
        store,
        {"customer_id": "a", "created_at": None},
        {"customer_id": "later", "created_at": datetime(2027, 3, 5)},
    )
    for i, who in enumerate(("a", "ghost", "later")):
        event(store, f"e{i}", who, "cart_abandoned", datetime(2027, 3, 1, 9), cart_value=80.0)
    Engine(store).tick(datetime(2027, 3, 1, 12), since=datetime(2027, 3, 1))
    assert [e["customer_id"] for e in rows(store, "enrolments")] == ["a"]


def test_anniversary_years_and_late_within(store: Store) -> None:
    customers(
        store,
        {"customer_id": "one", "loyalty_joined_at": date(2026, 3, 10)},
        {"customer_id": "two", "loyalty_joined_at": date(2025, 3, 10)},
        {"customer_id": "five", "loyalty_joined_at": date(2022, 3, 11)},
        {"customer_id": "late", "loyalty_joined_at": date(2022, 3, 5)},
    )
    engine = Engine(store)
    engine.tick(datetime(2027, 3, 4, 12))
    engine.tick(datetime(2027, 3, 12, 12))  # downtime: days 5 to 9 are missed for good
    fired = {
        e["customer_id"]: e["anniversary"]
        for e in rows(store, "enrolments", scenario_id="fidelite")
    }
    assert fired == {"one": 1, "five": 5}  # 2 years is not celebrated; 'late' is too late


def test_offset_before_an_expiry_date(store: Store) -> None:
    customers(store, {"customer_id": "a", "subscription_ends_at": date(2027, 4, 30)})
    engine = Engine(store)
    daily(engine, datetime(2027, 3, 29, 12), 3)
    [fired] = rows(store, "enrolments", scenario_id="renouvellement")
    assert fired["occurrence"] == "2027-03-31"


def test_a_failed_tick_leaves_the_store_as_it_was(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    customers(store, {"customer_id": "a"})
    event(store, "e1", "a", "cart_abandoned", datetime(2027, 3, 1, 9), cart_value=80.0)
    append = Store.append

    def crash_on_tick_log(self: Store, name: str, table: object, **options: bool) -> int:
        if name == "ticks":
            raise RuntimeError("power cut")
        return append(self, name, table, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(Store, "append", crash_on_tick_log)
    with pytest.raises(RuntimeError):
        Engine(store).tick(datetime(2027, 3, 1, 12))
    monkeypatch.undo()
    assert store.count("enrolments") == 0 and store.count("messages") == 0
    assert store.count("decisions") == 0 and store.count("outbox") == 0
    Engine(store).tick(datetime(2027, 3, 1, 12))
    assert store.count("enrolments") == 1


def test_segment_enter_fires_on_change_not_on_the_baseline(store: Store) -> None:
    customers(store, {"customer_id": "a"}, {"customer_id": "b"})
    event(store, "a1", "a", "purchase", datetime(2027, 2, 1), amount=150.0)
    engine = Engine(store)
    engine.tick(datetime(2027, 3, 1, 12))  # baseline: a is already a member, nothing fires
    assert rows(store, "enrolments", scenario_id="vip") == []
    event(store, "b1", "b", "purchase", datetime(2027, 3, 1, 15), amount=60.0)
    event(store, "b2", "b", "purchase", datetime(2027, 3, 2, 9), amount=60.0)
    engine.tick(datetime(2027, 3, 2, 12))
    [entered] = rows(store, "enrolments", scenario_id="vip")
    assert (entered["customer_id"], entered["entered_at"]) == ("b", datetime(2027, 3, 2, 12))
    left = [r for r in rows(store, "segment_log") if not r["member"]]
    assert left == []


def test_steps_without_a_wait_are_all_decided_in_the_tick_their_first_falls_due(
    tmp_path: Path,
) -> None:
    chained = PLAN.replace(
        "          - {id: t1, wait: 1h, channel: email, template: mail}\n",
        "          - {id: t1, wait: 1h, channel: email, template: mail}\n"
        "          - {id: t1b, channel: sms, template: sms}\n"
        "          - {id: t1c, channel: email, template: mail}\n",
    )
    assert chained != PLAN
    store = make_store(tmp_path, chained)
    customers(store, {"customer_id": "a"})
    event(store, "e1", "a", "cart_abandoned", datetime(2027, 3, 1, 9), cart_value=80.0)
    Engine(store).tick(datetime(2027, 3, 1, 12))
    sent = rows(store, "messages", customer_id="a")
    assert sorted((m["step_id"], m["due_at"]) for m in sent) == [
        ("t1", datetime(2027, 3, 1, 10)),
        ("t1b", datetime(2027, 3, 1, 12)),  # when t1 is sent: the tick's end, not before
        ("t1c", datetime(2027, 3, 1, 12)),
    ]  # t2 waits a day after t1c


def test_a_step_already_decided_is_not_decided_again_when_a_changed_plan_puts_it_next(
    tmp_path: Path,
) -> None:
    store = make_store(tmp_path / "plan")
    customers(store, {"customer_id": "a"})
    event(store, "e1", "a", "cart_abandoned", datetime(2027, 3, 1, 9), cart_value=80.0)
    Engine(store).tick(datetime(2027, 3, 1, 12), since=datetime(2027, 3, 1))
    assert [m["step_id"] for m in rows(store, "messages")] == ["t1"]
    # a new first step: the journey has one step decided, so its next one is t1 again
    changed = PLAN.replace(
        "          - {id: t1, wait: 1h, channel: email, template: mail}\n",
        "          - {id: t0, wait: 1h, channel: email, template: mail}\n"
        "          - {id: t1, wait: 1h, channel: email, template: mail}\n",
    )
    assert changed != PLAN
    (tmp_path / "plan" / "plan.yaml").write_text(changed)
    store.plan = load_plan(tmp_path / "plan")
    daily(Engine(store), datetime(2027, 3, 2, 12), 3)
    assert [m["step_id"] for m in rows(store, "messages")] == ["t1"]  # never written twice
    assert len(rows(store, "outbox")) == 1  # t1, accepted once


def test_ticks_leave_no_rows_of_theirs_registered_in_the_database(tmp_path: Path) -> None:
    """Rows a tick makes in Python (a round's messages, arbitration's lookups) are copied into
    temporary tables and released: a store that ticks every 15 minutes for months does not
    pile them up (an Ibis memtable stays registered until the process exits)."""
    chained = PLAN.replace(
        "          - {id: t1, wait: 1h, channel: email, template: mail}\n",
        "          - {id: t1, wait: 1h, channel: email, template: mail}\n"
        "          - {id: t1b, channel: sms, template: sms}\n",
    )
    store = make_store(tmp_path, chained)
    customers(store, *({"customer_id": c, "phone": "+33600000001"} for c in "abcd"))
    engine = Engine(store)
    for day in range(1, 6):
        for c in "abcd":
            moment = datetime(2027, 3, day, 9)
            event(store, f"{c}{day}", c, "cart_abandoned", moment, cart_value=80.0)
        engine.tick(datetime(2027, 3, day, 12))
    assert len(rows(store, "messages")) > 8  # rounds and arbitration ran
    views = store.con.con.sql("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()
    assert views == []
