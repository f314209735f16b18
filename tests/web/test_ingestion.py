"""Posted batches gathered into one ingest: each request learns about its own records."""

from __future__ import annotations

from pathlib import Path

from animato.web.ingestion import Batcher
from tests.delivery.outboxes import make_store

GOOD = {"customer_id": "c000", "type": "purchase", "time": "2027-03-02T10:00:00Z", "amount": 1}


def test_batches_queued_together_are_ingested_at_once_and_answered_apart(tmp_path: Path) -> None:
    store = make_store(tmp_path / "plan", 1, location=str(tmp_path / "store.duckdb"))
    before = store.count("events")
    batcher = Batcher(store)
    jobs = [
        batcher.submit("events", [{**GOOD, "amount": i} for i in range(3)]),
        batcher.submit("events", [{**GOOD, "amount": 10}, {**GOOD, "type": "nope"}]),
        batcher.submit("customers", [{"customer_id": "z", "email": "bad"}]),
        batcher.submit("events", [[1, 2], {**GOOD, "amount": 11}, {**GOOD, "time": "never"}]),
    ]
    batcher.start()  # everything queued so far goes in the first groups
    answers = [job.result(timeout=60) for job in jobs]
    batcher.stop()
    assert [(a.received, a.accepted) for a in answers] == [(3, 3), (2, 1), (1, 0), (3, 1)]
    assert answers[1].rejected == [{"index": 1, "reason": "unknown_event_type"}]
    assert [r["index"] for r in answers[3].rejected] == [0, 2]
    assert answers[3].rejected[1]["reason"] == "bad_timestamp"
    assert answers[2].rejected[0]["reason"] == "bad_email"
    assert store.count("events") - before == 5
    assert not list((tmp_path / "store.duckdb.api").iterdir())  # no file left behind
    store.close()


def test_records_without_the_required_columns_are_rejected_one_by_one(tmp_path: Path) -> None:
    store = make_store(tmp_path / "plan", 1, location=str(tmp_path / "store.duckdb"))
    batcher = Batcher(store)
    batcher.start()
    alone = batcher.submit("events", [{"foo": 1}]).result(timeout=60)
    assert (alone.accepted, [r["index"] for r in alone.rejected]) == (0, [0])
    good = batcher.submit("events", [GOOD])
    bad = batcher.submit("events", [{"foo": 1}])  # no customer_id, type nor time at all
    assert good.result(timeout=60).accepted == 1
    assert bad.result(timeout=60).rejected == alone.rejected
    batcher.stop()
    store.close()
