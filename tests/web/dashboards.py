"""A small served store for the dashboard's tests: the engine test plan, two customers, one
tick, an operator and a viewer; and signing in through the real login form.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from fastapi.testclient import TestClient

from animato import load_plan
from animato.engine import Engine
from animato.settings import Settings
from animato.store import Store
from animato.web.app import create_app
from animato.web.service import Service
from animato.web.users import Users, users_path
from tests.engine.engineplan import customers, event, make_store

PASSWORDS = {"olga": "operator-pw", "victor": "viewer-pw"}
NOW = datetime(2027, 3, 1, 12)


@contextmanager
def dashboard(folder: Path) -> Iterator[tuple[TestClient, Service]]:
    """The app over a store with a running cart-abandonment journey (scenario ``panier``)."""
    make_store(folder / "plan").close()
    plan = load_plan(folder / "plan")
    location = str(folder / "store.duckdb")
    store = Store(plan, location)
    customers(store, {"customer_id": "a", "first_name": "Anne", "phone": "+33600000001"})
    event(store, "e1", "a", "cart_abandoned", datetime(2027, 3, 1, 9), cart_value=80.0)
    Engine(store).tick(NOW, since=datetime(2027, 3, 1))
    store.close()
    users = Users(users_path(location))
    users.add("olga", PASSWORDS["olga"], "operator")
    users.add("victor", PASSWORDS["victor"], "viewer")
    service = Service(plan, location, Settings(api_token="t"), start_at=NOW)
    with TestClient(create_app(service), follow_redirects=False) as client:
        yield client, service


def csrf_of(html: str) -> str:
    """The CSRF token of the first form of a page."""
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def sign_in(client: TestClient, name: str) -> str:
    """Sign in with the login form; return the session's CSRF token."""
    form = client.get("/login")
    answer = client.post(
        "/login", data={"csrf": csrf_of(form.text), "name": name, "password": PASSWORDS[name]}
    )
    assert answer.status_code == 303, answer.text
    return csrf_of(client.get("/operations").text)
