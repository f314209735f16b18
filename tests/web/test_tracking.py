"""Tracking endpoints through the app: clicks, pixel, online view, one-click unsubscribe."""

from __future__ import annotations

import re

from animato.engine.outbox import bodies
from tests.web.conftest import Served


def email_of(served: Served, customer: str = "c000") -> tuple[str, str]:
    """A rendered email of the outbox: its message id and HTML."""
    [row] = [r for r in served.rows("outbox") if r["customer_id"] == customer]
    message_id = str(row["message_id"])
    with served.service.recorder.lock:
        html = bodies(served.service.recorder.store, [message_id])[message_id]["html"]
    return message_id, html


def path_of(url: str) -> str:
    return url.replace("https://t.example", "").replace("&amp;", "&")


def test_a_click_redirects_to_the_link_and_is_recorded(served: Served) -> None:
    message_id, html = email_of(served)
    first = path_of(re.findall(r'href="([^"]+/c/[^"]+)"', html)[0])
    answer = served.client.get(first, follow_redirects=False)
    assert answer.status_code == 302
    assert answer.headers["location"] == "https://maison-test.fr/soldes?x=1&y=2"
    [click] = [r for r in served.rows("engagement") if r["kind"] == "clicked"]
    assert (click["message_id"], click["customer_id"], click["action_id"]) == (
        message_id, "c000", "promo")  # fmt: skip
    assert click["detail"] == "https://maison-test.fr/soldes?x=1&y=2"


def test_a_tampered_or_forged_token_is_refused_and_records_nothing(served: Served) -> None:
    _, html = email_of(served)
    link = path_of(re.findall(r'href="([^"]+/c/[^"]+)"', html)[0])
    body, mac = link.removeprefix("/c/").split(".")
    flipped = body[:-1] + ("A" if body[-1] != "A" else "B")
    for bad in (f"/c/{flipped}.{mac}", f"/c/{body}.{mac[:-2]}", "/c/abc", f"/u/{body}.{mac}"):
        answer = served.client.get(bad, follow_redirects=False)
        assert answer.status_code == 404, bad
    unsubscribe = f"/u/{body}.{mac}"  # a click token is not an unsubscribe token
    assert served.client.post(unsubscribe).status_code == 404
    assert served.rows("engagement") == [] or all(
        r["kind"] == "delivered" for r in served.rows("engagement")
    )
    assert served.rows("suppressions") == []


def test_the_open_pixel_is_a_gif_and_records_an_open(served: Served) -> None:
    message_id, html = email_of(served)
    [pixel] = re.findall(r'<img src="(https://t.example/o/[^"]+)"', html)
    answer = served.client.get(path_of(pixel))
    assert answer.headers["content-type"] == "image/gif" and answer.content.startswith(b"GIF89a")
    assert "no-store" in answer.headers["cache-control"]
    assert [r["message_id"] for r in served.rows("engagement") if r["kind"] == "opened"] == [
        message_id
    ]
    assert served.client.get("/o/forged.token").status_code == 200  # a pixel never breaks a mail
    assert len(served.rows("engagement")) == 1


def test_one_click_unsubscribe_suppresses_at_once_without_a_page_view(served: Served) -> None:
    message_id, html = email_of(served, "c001")
    [link] = re.findall(r'href="(https://t.example/u/[^"]+)"', html)
    page = served.client.get(path_of(link))
    assert page.status_code == 200 and '<form method="post">' in page.text
    assert served.rows("suppressions") == []  # a GET (a link scanner) unsubscribes nobody
    answer = served.client.post(
        path_of(link),
        content="List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 200
    [row] = served.rows("suppressions")
    assert (row["customer_id"], row["channel"], row["reason"], row["active"]) == (
        "c001", "email", "unsubscribed", True)  # fmt: skip
    [event] = [r for r in served.rows("engagement") if r["kind"] == "unsubscribed"]
    assert event["message_id"] == message_id


def test_the_online_view_shows_the_email(served: Served) -> None:
    _, html = email_of(served)
    [link] = re.findall(r'href="(https://t.example/v/[^"]+)"', html) or [None]
    if link is None:  # the test template has no view link: sign one as the renderer would
        message_id, _ = email_of(served)
        link = served.service.tracker.url("v", message_id)
    answer = served.client.get(path_of(link))
    assert answer.status_code == 200 and "Bonjour Client0" in answer.text
