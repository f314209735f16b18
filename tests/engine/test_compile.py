"""Conditions compiled to Ibis and evaluated on a real DuckDB store."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pyarrow as pa
import pytest

from animato import load_plan
from animato.engine.compile import Compiler
from animato.engine.state import refresh
from animato.store import Store
from tests.plan.planfiles import write_plan

NOW = datetime(2027, 3, 1, 12, 0)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    folder = write_plan(Path(tmp_path_factory.mktemp("plan")) / "p")
    store = Store(load_plan(folder), folder / ".animato" / "store.duckdb")
    store.append(
        "customers",
        pa.table(
            {
                "customer_id": ["c1", "c2", "c3"],
                "first_name": ["Anne", "Bruno", "Chloé"],
                "birth_date": [date(1980, 3, 2), date(1995, 3, 1), None],
                "country": ["FR", "BE", "FR"],
            }
        ),
    )

    def purchase(
        i: int, who: str, when: datetime, amount: float, category: str
    ) -> dict[str, object]:
        return {
            "event_id": f"e{i}",
            "customer_id": who,
            "type": "purchase",
            "time": when,
            "amount": amount,
            "category": category,
        }

    rows = [
        purchase(1, "c1", datetime(2026, 12, 20), 80.0, "mode"),
        purchase(2, "c1", datetime(2027, 1, 15), 50.0, "maison"),
        purchase(3, "c1", datetime(2027, 2, 25), 30.0, "maison"),
        purchase(4, "c2", datetime(2025, 6, 1), 500.0, "mode"),
        purchase(5, "c2", datetime(2027, 3, 5), 999.0, "mode"),  # after now: never counts
    ]
    store.append("events", pa.Table.from_pylist(rows))
    return store


def evaluate(store: Store, condition: str) -> set[str]:
    compiler = Compiler(store.plan, NOW)
    table = store.table("customers")
    aggs = refresh(store, compiler, NOW).aggregates(compiler.aggregates(condition))
    if aggs is not None:
        table = table.left_join(aggs, "customer_id").drop("customer_id_right")
    chosen = table.filter(compiler.condition(condition, table)).select("customer_id")
    return set(chosen.to_pyarrow().column("customer_id").to_pylist())


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("active_customer", {"c1"}),  # definition: a purchase in the last 365 days
        ("segment('loyal')", {"c1"}),  # three purchases in 365 days
        ("count(purchase) >= 1", {"c1", "c2"}),
        ("count(purchase, 30d) == 1", {"c1"}),
        ("count(purchase) == 0", {"c3"}),
        ("lifecycle == 'client'", {"c1", "c2"}),
        ("segment('prospect')", {"c3"}),
        ("sum(purchase.amount, 90d) > 100", {"c1"}),
        ("sum(purchase.amount, 90d) == 0", {"c2", "c3"}),
        ("max(purchase.amount, 3650d) >= 500", {"c2"}),
        ("days_since(purchase) <= 10", {"c1"}),
        ("days_since(purchase) > 600", {"c2"}),
        ("last(purchase.category) == 'maison'", {"c1"}),
        ("country in ['FR']", {"c1", "c3"}),
        ("country not in ['FR']", {"c2"}),
        ("age(birth_date) == 46", {"c1"}),  # born 1980-03-02: 47 only tomorrow
        ("age(birth_date) == 32", {"c2"}),  # born 1995-03-01: birthday today
        ("birth_date < '1990-01-01'", {"c1"}),
        ("not (birth_date < '1990-01-01')", {"c2", "c3"}),  # unknown is false, so not is true
        ("first_name == 'Anne' or customer.first_name == 'Chloé'", {"c1", "c3"}),
        ("count(purchase, 365d) * 2 - 1 > 4", {"c1"}),
    ],
)
def test_condition(store: Store, condition: str, expected: set[str]) -> None:
    assert evaluate(store, condition) == expected


@pytest.mark.parametrize(
    ("condition", "only_event"),
    [
        ("event.amount >= 20", True),
        ("event.category in ['maison', 'mode'] and not event.amount < 3", True),
        ("event.amount >= 20 and customer.country == 'FR'", False),
        ("event.amount >= 20 and count(purchase, 365d) > 1", False),
        ("event.amount >= 20 or segment('loyal')", False),
        ("active_customer", False),  # a definition: it reads the customer
    ],
)
def test_a_condition_on_the_event_alone_is_recognised(
    store: Store, condition: str, only_event: bool
) -> None:
    """Event triggers skip joining the customer base for such conditions: it must be exact."""
    assert Compiler(store.plan, NOW).reads_only_event(condition) is only_event
