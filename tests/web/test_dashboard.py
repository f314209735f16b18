"""The dashboard's access control through the real app: sign-in, sessions, roles, CSRF."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from animato.engine.pauses import paused
from animato.web.dashboard import routes
from animato.web.service import Service
from animato.web.sessions import SESSION
from tests.web.dashboards import NOW, PASSWORDS, csrf_of, dashboard, sign_in

PUBLIC = {"/login", "/assets/{name}"}
SAMPLES = {"name": "index.html", "customer_id": "a", "message_id": "m1"}


@pytest.fixture
def app(tmp_path: Path) -> Iterator[tuple[TestClient, Service]]:
    with dashboard(tmp_path) as served:
        yield served


def dashboard_routes(client: TestClient) -> list[tuple[str, str]]:
    """Every (method, path) of the dashboard, path parameters filled with sample values."""
    found = []
    for route in _flat(client.app.routes):  # type: ignore[attr-defined]
        if isinstance(route, APIRoute) and route.endpoint.__module__ == routes.__name__:
            if route.path in PUBLIC:
                continue
            path = route.path.replace("{name:path}", "{name}").format(**SAMPLES)
            found += [(method, path) for method in sorted(route.methods)]
    return found


def _flat(items: list[Any]) -> Iterator[Any]:
    """Routes, those of included routers among them."""
    for item in items:
        inner = getattr(item, "original_router", None)
        yield from _flat(inner.routes) if inner is not None else [item]


def test_every_page_and_action_is_refused_without_a_session(
    app: tuple[TestClient, Service],
) -> None:
    client, service = app
    checked = dashboard_routes(client)
    assert len(checked) >= 12  # seven pages, four actions, signing out
    for cookie in (None, "forged.0123", _tampered(client)):
        client.cookies.clear()
        if cookie:
            client.cookies.set(SESSION, cookie)
        for method, path in checked:
            answer = client.request(method, path, data={"scenario": "panier", "csrf": "x"})
            if method == "GET":
                assert answer.status_code == 303, (method, path)
                assert answer.headers["location"].startswith("/login?next="), path
            else:
                assert answer.status_code in (401, 403), (method, path)
                assert "Sign out" not in answer.text
    assert paused(service.reader) == []


def _tampered(client: TestClient) -> str:
    """A genuine session cookie with one character of its signed part changed."""
    sign_in(client, "victor")
    cookie = client.cookies[SESSION]
    body, mac = cookie.rsplit(".", 1)
    return f"{body[:-2]}{'A' if body[-2] != 'A' else 'B'}{body[-1]}.{mac}"


def test_signing_in_needs_the_right_password_and_the_form_token(
    app: tuple[TestClient, Service],
) -> None:
    client, _ = app
    form = client.get("/login")
    token = csrf_of(form.text)
    wrong = client.post("/login", data={"csrf": token, "name": "olga", "password": "nope"})
    assert wrong.status_code == 401 and "Wrong name or password" in wrong.text
    assert SESSION not in client.cookies
    token = csrf_of(wrong.text)  # the form shown again, with a token of its own
    unknown = client.post("/login", data={"csrf": token, "name": "zoe", "password": "x"})
    assert unknown.status_code == 401
    token = csrf_of(unknown.text)
    good = {"name": "olga", "password": PASSWORDS["olga"]}
    assert client.post("/login", data={**good, "csrf": "forged"}).status_code == 403
    client.cookies.clear()  # a form posted from elsewhere has no login cookie
    assert client.post("/login", data={**good, "csrf": token}).status_code == 403
    assert SESSION not in client.cookies
    token = csrf_of(client.get("/login").text)
    elsewhere = client.post("/login", data={**good, "csrf": token, "next": "//evil.example/x"})
    assert elsewhere.status_code == 303 and elsewhere.headers["location"] == "/"
    assert client.get("/operations").status_code == 200


def test_an_action_needs_the_session_csrf_token(app: tuple[TestClient, Service]) -> None:
    client, service = app
    csrf = sign_in(client, "olga")
    for token in ("", "not-the-token", csrf_of(client.get("/login").text)):
        answer = client.post("/actions/pause", data={"scenario": "panier", "csrf": token})
        assert answer.status_code == 403 and "CSRF" in answer.text
    assert client.post("/logout", data={"csrf": "x"}).status_code == 403
    assert paused(service.reader) == []
    done = client.post("/actions/pause", data={"scenario": "panier", "csrf": csrf})
    assert done.status_code == 303 and done.headers["location"] == "/plan/scenarios/panier.html"
    assert paused(service.reader) == ["panier"]
    page = client.get("/plan/scenarios/panier.html").text
    assert "paused" in page and ">Resume<" in page
    client.post("/actions/resume", data={"scenario": "panier", "csrf": csrf})
    assert paused(service.reader) == []
    unknown = client.post("/actions/pause", data={"scenario": "nope", "csrf": csrf})
    assert unknown.status_code == 400
    assert client.post("/logout", data={"csrf": csrf}).status_code == 303
    assert client.get("/operations").status_code == 303  # signed out


def test_a_viewer_reads_every_page_but_cannot_act(app: tuple[TestClient, Service]) -> None:
    client, service = app
    csrf = sign_in(client, "victor")
    for method, path in dashboard_routes(client):
        if method == "GET":
            answer = client.get(path)
            # "/" redirects to the plan; the sample message id is nobody's
            assert answer.status_code in (200, 303, 404), path
            assert "/actions/" not in answer.text, path  # no action offered
    for action in ("pause", "resume", "tick", "simulate"):
        data = {"scenario": "panier", "csrf": csrf, "now": "2027-03-02T12:00",
                "from": "2027-02-01T00:00", "to": "2027-03-01T00:00"}  # fmt: skip
        answer = client.post(f"/actions/{action}", data=data)
        assert answer.status_code == 403 and "operator" in answer.text
    assert paused(service.reader) == [] and service.jobs.history == []


def test_an_operator_runs_a_tick_in_the_background(app: tuple[TestClient, Service]) -> None:
    client, service = app
    csrf = sign_in(client, "olga")
    page = client.get("/operations").text
    assert 'name="now" value="2027-03-01T12:00"' in page  # the service's clock, not today
    bad = client.post("/actions/tick", data={"csrf": csrf, "now": "tomorrow"})
    assert bad.status_code == 400 and "YYYY-MM-DD" in bad.text
    answer = client.post("/actions/tick", data={"csrf": csrf, "now": "2027-03-02T12:00"})
    assert answer.status_code == 303
    service.jobs.wait()
    [job] = service.jobs.history
    assert job.error == "" and job.summary.startswith("tick at 2027-03-02 12:00")
    ticks = service.reader.table("ticks").to_pyarrow().to_pylist()
    assert sorted(t["now"] for t in ticks) == [NOW, NOW.replace(day=2)]
    assert "tick by olga: tick at 2027-03-02 12:00" in client.get("/operations").text
