"""Arbitration inside tick(now), on a real store: retries, max_delay, blackouts, control group."""

from __future__ import annotations

import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from animato.engine import Engine, outbox
from animato.store import Store
from tests.engine.engineplan import PLAN, customers, event, make_store, rows

MAR = [datetime(2027, 3, d, 12) for d in range(1, 10)]  # MAR[i]: 1 + i March, 12:00 UTC


def store_with(tmp_path: Path, conventions: str) -> Store:
    return make_store(
        tmp_path / "plan", PLAN.replace("conventions:\n", "conventions:\n" + conventions)
    )


def already_sent(store: Store, customer: str, at: datetime) -> None:
    """A message accepted earlier, as the outbox holds it."""
    row = {"message_id": f"old-{customer}", "customer_id": customer, "action_id": "x",
           "step_id": "t1", "channel": "sms", "send_at": at, "tick_id": "old"}  # fmt: skip
    store.append("outbox", pa.Table.from_pylist([row]))


def decisions(store: Store, step: str = "t1") -> list[tuple[str, datetime | None]]:
    [message] = rows(store, "messages", step_id=step)
    found = rows(store, "decisions", message_id=message["message_id"])
    return [(d["decision"], d["send_at"]) for d in sorted(found, key=lambda d: d["decided_at"])]


def test_a_step_refused_by_a_cap_is_retried_and_the_next_step_waits_for_it(
    tmp_path: Path,
) -> None:
    store = store_with(tmp_path, "  pressure:\n    caps: {all: {day: 1}}\n")
    customers(store, {"customer_id": "a"})
    already_sent(store, "a", datetime(2027, 3, 1, 8))
    event(store, "e1", "a", "cart_abandoned", datetime(2027, 3, 1, 9), cart_value=80.0)
    engine = Engine(store)
    first = engine.tick(MAR[0], since=datetime(2027, 3, 1))
    assert first.decisions["panier"] == {"ended": 0, "postponed:cap_day": 1}
    engine.tick(MAR[1])
    assert decisions(store) == [("postponed:cap_day", None), ("accepted", MAR[1])]
    assert rows(store, "messages", step_id="t2") == []  # t2 waited for t1 to be sent
    engine.tick(MAR[2] + timedelta(hours=6))
    [t2] = rows(store, "messages", step_id="t2")
    assert t2["due_at"] == MAR[2]  # 1 day after t1 was actually sent
    assert decisions(store, "t2") == [("accepted", MAR[2] + timedelta(hours=6))]
    assert [m["message_id"] for m in rows(store, "outbox")] == sorted(
        ["old-a", *(m["message_id"] for m in rows(store, "messages"))]
    )


def test_a_step_still_refused_after_max_delay_is_dropped(tmp_path: Path) -> None:
    store = store_with(tmp_path, "  pressure:\n    caps: {all: {week: 1}}\n")
    customers(store, {"customer_id": "a"})
    already_sent(store, "a", datetime(2027, 3, 1, 8))
    event(store, "e1", "a", "cart_abandoned", datetime(2027, 3, 1, 9), cart_value=80.0)
    engine = Engine(store)
    engine.tick(MAR[0], since=datetime(2027, 3, 1))
    for day in MAR[1:4]:
        engine.tick(day)
    # due 1 March 10:00, max_delay 3 days: the 4 March tick is past it
    assert [d for d, _ in decisions(store)] == ["postponed:cap_week"] * 3 + ["dropped:cap_week"]
    assert store.count("outbox") == 1


def test_a_blackout_holds_a_step_until_its_end(tmp_path: Path) -> None:
    treve = "  blackouts:\n    - {id: treve, from: 2027-03-01, to: 2027-03-02, scope: scenarios}\n"
    store = store_with(tmp_path, treve)
    customers(store, {"customer_id": "a"})
    event(store, "e1", "a", "cart_abandoned", datetime(2027, 3, 1, 9), cart_value=80.0)
    engine = Engine(store)
    engine.tick(MAR[0], since=datetime(2027, 3, 1))
    [held] = rows(store, "decisions")
    assert (held["decision"], held["retry_at"]) == ("postponed:blackout", datetime(2027, 3, 2, 23))
    engine.tick(MAR[1])  # still inside the blackout: not decided again
    assert store.count("decisions") == 1
    engine.tick(MAR[2])
    assert decisions(store) == [("postponed:blackout", None), ("accepted", MAR[2])]


def test_a_waiting_message_is_dropped_when_its_journey_converts(tmp_path: Path) -> None:
    store = store_with(tmp_path, "  pressure:\n    caps: {all: {day: 1}}\n")
    customers(store, {"customer_id": "a"})
    already_sent(store, "a", datetime(2027, 3, 1, 8))
    event(store, "e1", "a", "cart_abandoned", datetime(2027, 3, 1, 9), cart_value=80.0)
    engine = Engine(store)
    engine.tick(MAR[0], since=datetime(2027, 3, 1))
    event(store, "p1", "a", "purchase", datetime(2027, 3, 1, 15), amount=80.0)  # the goal
    engine.tick(MAR[1])
    assert decisions(store) == [("postponed:cap_day", None), ("dropped:journey_ended", None)]
    assert store.count("outbox") == 1


@pytest.mark.parametrize("batch", [100_000, 3])  # one batch, or customers in several
def test_control_group_customers_never_get_a_message_and_a_tick_twice_adds_nothing(
    tmp_path: Path, batch: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outbox, "BATCH", batch)
    store = store_with(tmp_path, "")
    people = [{"customer_id": f"c{i}", "birth_date": date(1990, 3, 2)} for i in range(20)]
    customers(store, *people)
    engine = Engine(store)
    engine.tick(MAR[1], since=MAR[0])
    enrolled = rows(store, "enrolments", scenario_id="anniv")
    control = {e["customer_id"] for e in enrolled if e["control"]}
    assert control and len(control) < len(enrolled)  # anniv holds 50 % out
    sent = {m["customer_id"] for m in rows(store, "outbox")}
    assert sent == {e["customer_id"] for e in enrolled} - control
    counts = {t: store.count(t) for t in ("decisions", "outbox")}
    assert not engine.tick(MAR[1]).ran
    assert counts == {t: store.count(t) for t in counts}


def test_accepted_messages_are_rendered_and_a_template_error_stops_only_its_message(
    tmp_path: Path,
) -> None:
    store = store_with(tmp_path, "")
    customers(store, {"customer_id": "a", "first_name": "Anne"}, {"customer_id": "b"})
    for who in "ab":
        event(store, f"e{who}", who, "cart_abandoned", datetime(2027, 3, 1, 9), cart_value=80.0)
    result = Engine(store).tick(MAR[0], since=datetime(2027, 3, 1))
    assert result.decisions["panier"] == {"ended": 0, "accepted": 2, "failed:missing_data": 1}
    out = {m["customer_id"]: m for m in rows(store, "outbox")}
    assert out["a"]["subject"] == "Bonjour" and out["a"]["error"] is None
    body = outbox.bodies(store, [out["a"]["message_id"], out["b"]["message_id"]])
    assert list(body) == [out["a"]["message_id"]]  # b's message has no body, only its error
    assert "<p>Bonjour Anne</p>" in body[out["a"]["message_id"]]["html"]
    assert "Bonjour Anne" in body[out["a"]["message_id"]]["text"]
    assert out["b"]["error"] == "missing_data: customer.first_name"


def test_a_channel_capacity_is_shared_by_all_customers_and_counts_what_is_scheduled(
    tmp_path: Path,
) -> None:
    days = "[monday, tuesday, wednesday, thursday, friday, saturday, sunday]"
    store = store_with(tmp_path, f"  capacity:\n    email: {{day: 1, days: {days}}}\n")
    customers(
        store, {"customer_id": "a", "first_name": "A"}, {"customer_id": "b", "first_name": "B"}
    )
    for who in "ab":
        event(store, f"e{who}", who, "cart_abandoned", datetime(2027, 3, 1, 9), cart_value=80.0)
    engine = Engine(store)
    first = engine.tick(MAR[0], since=datetime(2027, 3, 1))
    assert first.decisions["panier"] == {"ended": 0, "accepted": 1, "postponed:capacity": 1}
    [waiting] = [d for d in rows(store, "decisions") if d["decision"] == "postponed:capacity"]
    assert waiting["retry_at"] == datetime(2027, 3, 1, 23)  # 2 March, 00:00 in Paris
    second = engine.tick(MAR[1])  # the day after: one slot, for the waiting message (t1 of b)
    assert second.decisions["panier"] == {"ended": 0, "accepted": 1, "postponed:capacity": 1}
    sent = {(m["customer_id"], m["step_id"]) for m in rows(store, "outbox")}
    assert sent == {("a", "t1"), ("b", "t1")}  # a's t2 (email, as a has no phone) waits


def test_a_step_rides_along_the_campaign_sent_the_same_day(tmp_path: Path) -> None:
    promo = (
        "    campaigns:\n"
        "      - {id: promo, name: Promo, every: {weekday: wednesday, time: '10:00'},"
        " channel: email, template: mail}\n"
    )
    text = PLAN.replace("    scenarios:\n", promo + "    scenarios:\n", 1)
    text = text.replace(
        "          - {id: t1, wait: 1h, channel: email, template: mail}",
        "          - {id: t1, wait: 1h, channel: email, template: mail, combine_with: [promo]}",
    )
    text = text.replace("conventions:\n", "conventions:\n  pressure:\n    caps: {all: {day: 1}}\n")
    store = make_store(tmp_path / "plan", text)
    mail = (
        "<p>Bonjour {{ customer.first_name }}</p>"
        "{% for p in combined %}<p>+ {{ p.text }}</p>{% endfor %}"
    )
    (tmp_path / "plan" / "templates" / "mail.html").write_text(
        "---\nsubject: Bonjour\n---\n" + mail
    )
    customers(store, {"customer_id": "a", "first_name": "Anne"})
    event(store, "e1", "a", "cart_abandoned", datetime(2027, 3, 3, 8), cart_value=80.0)
    result = Engine(store).tick(datetime(2027, 3, 3, 12), since=datetime(2027, 3, 3))  # Wednesday
    assert result.decisions["panier"] == {"ended": 0, "combined": 1}
    assert result.decisions["promo"] == {"accepted": 1}
    [host] = rows(store, "outbox")
    assert host["action_id"] == "promo"
    [ride] = rows(store, "decisions", decision="combined")
    assert ride["combined_with"] == host["message_id"] and ride["send_at"] == host["send_at"]
    html = outbox.bodies(store, [host["message_id"]])[host["message_id"]]["html"]
    assert html.count("Bonjour Anne") == 2  # the campaign's content, and the step's riding along


def test_an_exclusion_met_after_entry_holds_back_the_next_steps(tmp_path: Path) -> None:
    text = PLAN.replace("        exit_when: [complaint_opened]\n", "")  # only the exclusion left
    store = make_store(tmp_path / "plan", text)
    customers(store, {"customer_id": "a", "first_name": "Anne", "phone": "+33600000001"})
    event(store, "e1", "a", "cart_abandoned", datetime(2027, 3, 1, 9), cart_value=80.0)
    engine = Engine(store)
    engine.tick(MAR[0], since=datetime(2027, 3, 1))
    event(store, "k1", "a", "complaint_opened", datetime(2027, 3, 1, 15))
    result = engine.tick(MAR[1] + timedelta(hours=6))
    assert result.decisions["panier"] == {"ended": 0, "dropped:excluded:open_complaint": 1}
    assert [m["step_id"] for m in rows(store, "outbox")] == ["t1"]


@settings(max_examples=6, deadline=None)
@given(st.integers(min_value=1, max_value=30), st.sampled_from([0, 10, 30, 50]))
def test_a_control_group_customer_never_gets_a_message(people: int, share: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        text = PLAN.replace("salt: pepper\n", f"salt: pepper\nglobal_control: {share}%\n")
        store = make_store(Path(folder) / "plan", text)
        born = [{"customer_id": f"c{i}", "birth_date": date(1990, 3, 2)} for i in range(people)]
        customers(store, *born)
        Engine(store).tick(MAR[1], since=MAR[0])
        enrolled = rows(store, "enrolments")
        control = {e["customer_id"] for e in enrolled if e["control"]}
        sent = {m["customer_id"] for m in rows(store, "outbox")}
        assert not sent & control
        assert sent == {e["customer_id"] for e in enrolled} - control


def test_suppressed_customers_are_not_contacted_on_that_channel(tmp_path: Path) -> None:
    store = store_with(tmp_path, "")
    people = [{"customer_id": w, "first_name": w.upper()} for w in ("bounced", "erased", "back")]
    customers(store, *people)
    suppressions = [
        ("bounced", "email", "hard_bounce", True, datetime(2027, 1, 1)),
        ("erased", "all", "erased", True, datetime(2027, 1, 1)),
        ("back", "email", "do_not_contact", True, datetime(2027, 1, 1)),
        ("back", "email", "do_not_contact", False, datetime(2027, 2, 1)),  # lifted since
    ]
    fields = ("customer_id", "channel", "reason", "active", "time")
    store.append(
        "suppressions",
        pa.Table.from_pylist(
            [
                {"suppression_id": f"s{i}", **dict(zip(fields, s, strict=True))}
                for i, s in enumerate(suppressions)
            ]  # fmt: skip
        ),
    )
    for who in ("bounced", "erased", "back"):
        event(store, f"e-{who}", who, "cart_abandoned", datetime(2027, 3, 1, 9), cart_value=80.0)
    Engine(store).tick(MAR[0], since=datetime(2027, 3, 1))
    found = {m["customer_id"]: m["decision"] for m in rows(store, "messages")}
    assert found == {
        "bounced": "dropped:suppressed",
        "erased": "dropped:suppressed",
        "back": "candidate",
    }


def test_a_journey_step_reads_its_trigger_event_in_its_condition_and_its_template(
    tmp_path: Path,
) -> None:
    step = "- {id: t1, wait: 1h, channel: email, template: mail}"
    guarded = '- {id: t1, wait: 1h, channel: email, template: mail, if: "event.cart_value >= 60"}'
    assert step in PLAN
    store = make_store(tmp_path / "plan", PLAN.replace(step, guarded))
    (tmp_path / "plan" / "templates" / "mail.html").write_text(
        "---\nsubject: Panier\n---\n<p>Votre panier de {{ event.cart_value }} €</p>\n"
    )
    customers(store, {"customer_id": "a"}, {"customer_id": "b"})
    # a's event at a fraction of a second: it is found again by its id and its exact time
    event(
        store, "ea", "a", "cart_abandoned", datetime(2027, 3, 1, 9, 0, 0, 123456), cart_value=80.0
    )
    event(store, "eb", "b", "cart_abandoned", datetime(2027, 3, 1, 9), cart_value=55.0)
    Engine(store).tick(MAR[0], since=datetime(2027, 3, 1))
    decided = {m["customer_id"]: m["decision"] for m in rows(store, "messages", step_id="t1")}
    assert decided == {"a": "candidate", "b": "skipped:condition"}  # a's goes to arbitration
    [sent] = rows(store, "outbox")
    assert sent["customer_id"] == "a" and sent["error"] is None
    html = outbox.bodies(store, [sent["message_id"]])[sent["message_id"]]["html"]
    assert "Votre panier de 80.0 €" in html


# Per tick, what happens to each of four messages: nothing, postponed (retry in 0-2 days, or at
# the next tick) or decided for good. A message decided for good is never decided again.
TURNS = st.lists(
    st.lists(st.sampled_from(["-", "p0", "p1", "p2", "pn", "final"]), min_size=4, max_size=4),
    min_size=1,
    max_size=6,
)
WAITING_STORES: dict[str, Store] = {}


@settings(max_examples=40, deadline=None)
@given(turns=TURNS)
def test_the_waiting_messages_each_tick_keeps_are_those_the_decisions_log_says(
    turns: list[list[str]],
) -> None:
    if not WAITING_STORES:
        WAITING_STORES["s"] = make_store(Path(tempfile.mkdtemp()) / "plan")
    store = WAITING_STORES["s"]
    for table in ("messages", "decisions", "waiting", "waiting_meta"):
        store.clear(table)
    row = {"customer_id": "a", "action_id": "panier", "step_id": "t1", "channel": "email",
           "due_at": MAR[0], "decision": "candidate"}  # fmt: skip
    sent = [{"message_id": f"m{m}", **row} for m in range(4)]
    schema = store.table("messages").schema().to_pyarrow()
    store.append("messages", pa.Table.from_pylist(sent, schema=schema))
    cands = store.table("messages")
    done: set[int] = set()
    previous = MAR[0]
    for t, turn in enumerate(turns):
        now = MAR[0] + timedelta(days=t + 1)
        pending = store.materialize("pending", outbox.waiting(store, previous))
        rows = []
        for m, what in enumerate(turn):
            if what == "-" or m in done:
                continue
            done |= {m} if what == "final" else set()
            retry = None if what in ("pn", "final") else now + timedelta(days=int(what[1]))
            rows.append({"row_id": f"{m}-{t}", "message_id": f"m{m}", "decided_at": now,
                         "decision": "accepted" if what == "final" else "postponed:cap_week",
                         "retry_at": retry})  # fmt: skip
        if rows:
            schema = store.table("decisions").schema().to_pyarrow()
            store.append("decisions", pa.Table.from_pylist(rows, schema=schema))
        outbox.keep(store, pending, cands, now)
        kept = outbox.waiting(store, now).to_pyarrow().to_pylist()
        from_log = outbox.waiting(store, MAR[0] - timedelta(days=1)).to_pyarrow().to_pylist()
        assert sorted(kept, key=str) == sorted(from_log, key=str)
        previous = now
