"""Access and erasure through the authenticated API, on the served store."""

from __future__ import annotations

from tests.web.conftest import Served


def test_export_and_erasure_need_the_token(served: Served) -> None:
    path = "/v1/privacy/customers/c001"
    assert served.client.get(path).status_code == 401
    assert served.client.delete(path, headers={"Authorization": "Bearer no"}).status_code == 401
    assert any(r["customer_id"] == "c001" for r in served.rows("customers"))


def test_a_customer_is_exported_then_erased_and_both_are_logged(served: Served) -> None:
    auth = served.auth()
    got = served.client.get("/v1/privacy/customers/c001", headers=auth)
    assert got.status_code == 200
    document = got.json()
    assert document["tables"]["customers"][0]["email"] == "c001@example.fr"
    assert {t for t in document["tables"]} >= {"customers", "consents", "outbox", "decisions"}
    [message] = document["messages"]
    assert message["subject"] == "Bonjour Client1" and "Client1" in message["html"]
    erased = served.client.delete("/v1/privacy/customers/c001", headers=auth)
    assert erased.status_code == 200
    assert erased.json()["rows"]["customers"] == 1 and erased.json()["rows"]["outbox"] == 1
    assert not [r for r in served.rows("customers") if r["customer_id"] == "c001"]
    assert not [r for r in served.rows("outbox") if r["customer_id"] == "c001"]
    subjects = sorted(str(r["subject"]) for r in served.rows("outbox"))
    assert subjects == ["Bonjour Client0", "Bonjour Client2", "None"]  # the erased one's cleared
    log = [(r["action"], r["actor"]) for r in served.rows("privacy_log")]
    assert sorted(log) == [("erase", "api"), ("export", "api")]
    gone = served.client.get("/v1/privacy/customers/c001", headers=auth)
    assert gone.status_code == 404
    again = served.client.post("/v1/customers", json={"customer_id": "c001",
                               "email": "C001@example.fr"}, headers=auth)  # fmt: skip
    assert again.status_code == 200
    barred = [r for r in served.rows("suppressions") if r["customer_id"] == "c001"]
    assert [(r["channel"], r["reason"]) for r in barred] == [("all", "erased")]
