"""The ingestion API and the service endpoints: tokens, batches with bad records, limits."""

from __future__ import annotations

import json

import pytest

from animato.web.api import MAX_RECORDS
from tests.web.conftest import Served

EVENT = {"customer_id": "c000", "type": "purchase", "time": "2027-03-02T10:00:00+01:00",
         "amount": 12.5}  # fmt: skip


def events(served: Served) -> list[dict[str, object]]:
    return [r for r in served.rows("events")]


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"},
                                     {"Authorization": "Basic YTpi"}])  # fmt: skip
def test_unauthenticated_calls_are_refused_and_store_nothing(
    served: Served, headers: dict[str, str]
) -> None:
    for path in ("/v1/events", "/v1/customers", "/v1/feedback", "/v1/sms/replies"):
        answer = served.client.post(path, json=[EVENT], headers=headers)
        assert answer.status_code == 401, path
    assert events(served) == []


def test_a_batch_loads_its_valid_records_and_lists_the_rejected_ones(served: Served) -> None:
    batch = [
        EVENT,
        {**EVENT, "type": "no_such_type"},
        {**EVENT, "amount": "lots", "time": "2027-03-02T11:00:00Z"},
        "not an object",
        {**EVENT, "time": "2027-03-02T12:00:00Z"},
    ]
    answer = served.client.post("/v1/events", json=batch, headers=served.auth())
    assert answer.status_code == 200
    found = answer.json()
    assert (found["received"], found["accepted"]) == (5, 2)
    assert [r["index"] for r in found["rejected"]] == [1, 2, 3]
    assert found["rejected"][0]["reason"] == "unknown_event_type"
    assert found["rejected"][1]["reason"].startswith("bad_number")
    assert len(events(served)) == 2
    quarantined = served.rows("quarantine")
    assert len(quarantined) == 3 and {q["kind"] for q in quarantined} == {"events"}
    again = served.client.post("/v1/events", json=batch, headers=served.auth())
    assert again.json()["accepted"] == 2 and len(events(served)) == 2  # nothing twice


def test_single_records_and_concurrent_batches_of_every_kind(served: Served) -> None:
    auth = served.auth()
    person = {"customer_id": "n1", "email": "N1@Example.fr", "first_name": "Nina"}
    assert served.client.post("/v1/customers", json=person, headers=auth).status_code == 200
    consent = {"customer_id": "n1", "channel": "email", "purpose": "marketing", "granted": True,
               "time": "2027-03-01T00:00:00Z"}  # fmt: skip
    assert served.client.post("/v1/consents", json=consent, headers=auth).json()["accepted"] == 1
    bad = served.client.post("/v1/customers", json={"customer_id": "n2", "email": "nope"},
                             headers=auth)  # fmt: skip
    assert bad.status_code == 422 and "bad_email" in bad.json()["detail"]
    [nina] = [c for c in served.rows("customers") if c["customer_id"] == "n1"]
    assert nina["email"] == "n1@example.fr"


@pytest.mark.parametrize(
    "body, status",
    [(b"{not json", 400), (b'"a string"', 400), (b"\xff\xfe", 400)],
)
def test_malformed_bodies_are_a_400_and_store_nothing(
    served: Served, body: bytes, status: int
) -> None:
    answer = served.client.post("/v1/events", content=body, headers=served.auth())
    assert answer.status_code == status and answer.json()["detail"]
    assert events(served) == [] and served.rows("quarantine") == []


def test_oversized_payloads_are_a_413_and_store_nothing(served: Served) -> None:
    too_many = [EVENT] * (MAX_RECORDS + 1)
    answer = served.client.post("/v1/events", json=too_many, headers=served.auth())
    assert answer.status_code == 413
    huge = json.dumps([{**EVENT, "amount": 1, "pad": "x" * 11_000_000}]).encode()
    answer = served.client.post("/v1/events", content=huge, headers=served.auth())
    assert answer.status_code == 413
    assert events(served) == []


def test_an_unknown_kind_or_a_single_record_without_the_required_columns_is_a_422(
    served: Served,
) -> None:
    answer = served.client.post("/v1/orders", json=[], headers=served.auth())
    assert answer.status_code == 422
    answer = served.client.post("/v1/events", json={"foo": 1}, headers=served.auth())
    assert answer.status_code == 422 and "rejected" in answer.json()["detail"]
    assert events(served) == []


def test_a_stop_reply_unsubscribes_the_number_from_sms(served: Served) -> None:
    auth = served.auth()
    answer = served.client.post("/v1/sms/replies", json={"from": "+33612340002", "text": " stop "},
                                headers=auth)  # fmt: skip
    assert answer.json() == {"unsubscribed": ["c002"]}
    [row] = served.rows("suppressions")
    assert (row["customer_id"], row["channel"], row["reason"]) == ("c002", "sms", "unsubscribed")
    other = served.client.post("/v1/sms/replies", json={"from": "+33612340001", "text": "merci"},
                               headers=auth)  # fmt: skip
    assert other.json() == {"unsubscribed": []}


def test_a_complaint_from_the_provider_suppresses_at_once(served: Served) -> None:
    [row] = [r for r in served.rows("outbox") if r["customer_id"] == "c001"]
    report = {"message_id": row["message_id"], "kind": "complained", "detail": "abuse"}
    answer = served.client.post("/v1/feedback", json=report, headers=served.auth())
    assert answer.status_code == 202
    [suppression] = served.rows("suppressions")
    assert (suppression["customer_id"], suppression["reason"]) == ("c001", "complaint")
    assert [r["kind"] for r in served.rows("engagement")] == ["complained"]
    unknown = {**report, "message_id": "nope"}
    assert (
        served.client.post("/v1/feedback", json=unknown, headers=served.auth()).status_code == 404
    )


def test_health_and_openapi(served: Served) -> None:
    health = served.client.get("/health").json()
    assert health["status"] == "ok" and health["plan"] == "Delivery test"
    paths = served.client.get("/openapi.json").json()["paths"]
    assert {"/v1/{kind}", "/c/{text}", "/u/{text}", "/o/{text}", "/health"} <= set(paths)
