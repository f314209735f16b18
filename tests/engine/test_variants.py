"""A/B variants on a step: deterministic assignment, what each variant changes in rendering,
the variant recorded on messages and outbox, and auto_winner."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from animato import load_plan
from animato.engine import Engine
from animato.engine.ids import unit_hash
from animato.engine.outbox import bodies
from animato.engine.variants import assign
from animato.errors import PlanError
from animato.measure import page, results
from animato.measure import variants as measured
from animato.store import Store
from tests.engine.engineplan import customers, event, rows

PLAN = """\
name: AB
salt: pepper
timezone: UTC
data:
  customer: {first_name: string}
  events:
    purchase: {properties: {amount: number}}
    cart_abandoned: {}
conventions:
  senders: {email: {name: Maison, address: bonjour@example.fr}}
programs:
  - id: p
    name: P
    scenarios:
      - id: panier
        name: Panier
        trigger: {event: cart_abandoned}
        reentry: after 1d
        goal: {event: purchase, within: 7d}
        steps:
          - id: t1
            channel: email
            template: mail
            variants:
              - {id: a, share: 50%}
              - {id: b, share: 50%, subject: "Dernière chance, {{ customer.first_name }}",
                 template: mail_b, sender: Équipe B, at: "18:00"}
            auto_winner: {after: 10}
"""


def make(folder: Path, text: str = PLAN) -> Store:
    (folder / "templates").mkdir(parents=True)
    (folder / "plan.yaml").write_text(text)
    (folder / "templates" / "mail.html").write_text("---\nsubject: Votre panier\n---\n<p>A</p>\n")
    (folder / "templates" / "mail_b.html").write_text(
        "---\nsubject: ignoré\n---\n<p>B de {{ sender.name }}</p>\n"
    )
    return Store(load_plan(folder))


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return make(tmp_path / "plan")


DAY = datetime(2027, 3, 1, 9)


def test_each_customer_gets_the_variant_of_the_hash_and_its_changes(store: Store) -> None:
    people = [f"c{i}" for i in range(30)]
    customers(store, *({"customer_id": c, "first_name": c.upper()} for c in people))
    for c in people:
        event(store, f"cart-{c}", c, "cart_abandoned", DAY)
    Engine(store).tick(DAY + timedelta(hours=1), since=DAY - timedelta(hours=1))
    sent = {r["customer_id"]: r for r in rows(store, "outbox")}
    assert len(sent) == 30
    html = {
        k: v["html"] for k, v in bodies(store, [r["message_id"] for r in sent.values()]).items()
    }
    for c, r in sent.items():
        expected = "a" if unit_hash(f"pepper:panier:t1:{c}") < 0.5 else "b"
        assert r["variant"] == expected
        if expected == "b":
            assert r["subject"] == f"Dernière chance, {c.upper()}"
            assert "B de Équipe B" in html[r["message_id"]]  # its template and sender
            assert r["send_at"] == datetime(2027, 3, 1, 18)
        else:
            assert r["subject"] == "Votre panier" and "<p>A</p>" in html[r["message_id"]]
            assert r["send_at"] == DAY + timedelta(hours=1)
    assert {r["variant"] for r in rows(store, "messages")} == {"a", "b"}
    decided = {r["message_id"]: r["variant"] for r in rows(store, "decisions")}
    assert decided == {r["message_id"]: r["variant"] for r in sent.values()}


PEOPLE = [f"c{i}" for i in range(60)]


def _b_converts(store: Store, bought: datetime) -> Engine:
    """Sixty abandoned carts split between the arms; those who got b buy at ``bought``, those
    who got a do not (loaded after the first tick)."""
    customers(store, *({"customer_id": c, "first_name": c} for c in PEOPLE))
    for c in PEOPLE:
        event(store, f"cart-{c}", c, "cart_abandoned", DAY)
    engine = Engine(store)
    engine.tick(DAY + timedelta(hours=1), since=DAY - timedelta(hours=1))
    arms = {r["customer_id"]: r["variant"] for r in rows(store, "messages")}
    for c, v in arms.items():
        if v == "b":
            event(store, f"buy-{c}", c, "purchase", bought, amount=50.0)
    return engine


def test_auto_winner_switches_the_traffic_once_the_test_is_conclusive(store: Store) -> None:
    engine = _b_converts(store, DAY + timedelta(days=1))
    engine.tick(DAY + timedelta(days=2))
    found = measured.samples(store)[("panier", "t1")]
    assert found["b"].rate == 1.0 and found["a"].rate == 0.0
    assert min(s.n for s in found.values()) >= 10
    engine.tick(DAY + timedelta(days=3))  # decides the winner at its start
    [won] = rows(store, "variant_winners")
    assert (won["step_id"], won["variant"]) == ("t1", "b")
    for c in PEOPLE:  # everyone abandons a cart again: all of them get b now
        event(store, f"cart2-{c}", c, "cart_abandoned", DAY + timedelta(days=3, hours=2))
    engine.tick(DAY + timedelta(days=3, hours=3))
    later = [r for r in rows(store, "messages") if r["due_at"] > DAY + timedelta(days=3)]
    assert len(later) == 60 and {r["variant"] for r in later} == {"b"}
    # the report's A/B table over the first wave names b, with its interval against a
    report = results.compute(store, DAY - timedelta(days=1), DAY + timedelta(days=1))
    table = {r["variant"]: r for r in report.rows("variants")}
    assert table["b"]["winner"] == "b" and table["b"]["conversion_rate"] == 1.0
    assert table["a"]["messages"] + table["b"]["messages"] == 60
    assert table["b"]["uplift_low"] > 0.8 and table["a"]["uplift_vs_first"] is None
    html = page.render(store.plan, report)
    assert "<h2>A/B tests</h2>" in html and ">winner</td>" in html


def test_without_a_clear_difference_no_winner_is_named() -> None:
    from animato.measure.incrementality import Sample

    assert measured.winner({"a": Sample(200, 20, 0, 0), "b": Sample(200, 24, 0, 0)}) is None
    assert measured.winner({"a": Sample(200, 20, 0, 0), "b": Sample(200, 60, 0, 0)}) == "b"
    assert measured.winner({"a": Sample(5, 0, 0, 0), "b": Sample(5, 5, 0, 0)}, 10) is None


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(1, 8), min_size=2, max_size=4), st.text(min_size=1, max_size=12))
def test_assignment_follows_the_shares(weights: list[int], customer: str) -> None:
    from animato.plan.model import Step

    total = sum(weights)
    shares = [w / total for w in weights]
    shares[-1] = 1 - sum(shares[:-1])
    step = Step.model_validate(
        {
            "id": "t1",
            "channel": "email",
            "template": "mail",
            "variants": [{"id": f"v{i}", "share": s} for i, s in enumerate(shares)],
        }
    )
    plan = load_plan_stub()
    got = assign(plan, "panier", step, customer, {})
    point = unit_hash(f"pepper:panier:t1:{customer}")
    edges = [sum(shares[: i + 1]) for i in range(len(shares))]
    expected = next((i for i, e in enumerate(edges) if point < e), len(shares) - 1)
    assert got == f"v{expected}"
    assert assign(plan, "panier", step, customer, {("panier", "t1"): "v0"}) == "v0"


def load_plan_stub():  # type: ignore[no-untyped-def]
    from animato.plan.model import Plan

    return Plan.model_validate({"name": "x", "salt": "pepper"})


def test_shares_that_do_not_add_up_are_a_plan_error(tmp_path: Path) -> None:
    text = PLAN.replace("- {id: a, share: 50%}", "- {id: a, share: 40%}")
    with pytest.raises(PlanError) as caught:
        make(tmp_path / "plan", text)
    assert any("add up to 100%" in p.message for p in caught.value.problems)


def test_a_subject_that_does_not_parse_is_a_plan_error(tmp_path: Path) -> None:
    text = PLAN.replace(
        'subject: "Dernière chance, {{ customer.first_name }}"', 'subject: "{% if %}"'
    )
    with pytest.raises(PlanError) as caught:
        make(tmp_path / "plan", text)
    [problem] = [p for p in caught.value.problems if "subject" in p.message]
    assert problem.message.startswith("subject does not parse") and problem.line > 0


def test_a_winner_is_named_on_the_conversions_a_tick_has_seen(store: Store) -> None:
    """A replay over history holds the purchases of the days after each tick: a tick names a
    winner on the conversions up to its own time only, as it would have in production."""
    engine = _b_converts(store, DAY + timedelta(days=2))  # loaded now, bought two days later
    engine.tick(DAY + timedelta(days=1))
    assert rows(store, "variant_winners") == []
    engine.tick(DAY + timedelta(days=3))
    [won] = rows(store, "variant_winners")
    assert (won["variant"], won["decided_at"]) == ("b", DAY + timedelta(days=3))
