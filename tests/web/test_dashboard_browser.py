"""The dashboard in a real headless Chromium on the demo data, served by a real uvicorn.

A small demo store (1,000 customers, the first days of January 2026 ticked, the first day
delivered to a local SMTP sink, one bad input row quarantined) is built once; the browser signs
in, visits every page, checks the key figures against the store, searches a customer, pauses and
resumes a scenario as operator, runs a simulation, and checks that a viewer cannot act.
Screenshots go to tests/artifacts/dashboard-*.png (git-ignored).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import uvicorn

from animato import load_plan
from animato.delivery import deliver
from animato.delivery.sink import smtp_sink
from animato.demo import generate
from animato.engine import Engine
from animato.settings import Settings
from animato.store import Store
from animato.store.ingest import ingest
from animato.web.app import create_app
from animato.web.service import Service
from animato.web.users import Users, users_path
from tests.conftest import recorded_page
from tests.delivery.outboxes import free_port

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).parent.parent / "artifacts"
RETAIL = Path(__file__).parent.parent.parent / "examples" / "retail"
FIRST, LAST = datetime(2026, 1, 1, 23), datetime(2026, 1, 4, 23)
CLOCK = datetime(2026, 1, 5, 8)
SCENARIO = "bienvenue_newsletter"


@dataclass
class Demo:
    """The served demo store: its address, its service (and store connection) and sink."""

    url: str
    service: Service
    mail: Path

    def sql(self, query: str) -> list[tuple[Any, ...]]:
        """Rows of a query on the store, read apart from the dashboard's own code."""
        with self.service.reading:
            return list(self.service.reader.con.raw_sql(query).fetchall())


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    folder = tmp_path_factory.mktemp("dashboard")
    plan = load_plan(RETAIL)
    generate(plan, folder / "data", customers=1000, years=2, end=datetime(2026, 2, 1).date())
    location = str(folder / "demo.duckdb")
    store = Store(plan, location)
    for kind in ("customers", "consents", "events"):
        ingest(store, kind, folder / "data" / f"{kind}.parquet")
    bad = folder / "late.csv"
    bad.write_text("customer_id,type,time\nc1,teleportation,2026-01-02T10:00:00Z\n")
    ingest(store, "events", bad)
    engine, moment = Engine(store), FIRST
    while moment <= LAST:
        engine.tick(moment)
        moment += timedelta(days=1)
    settings = Settings(public_url="http://127.0.0.1:1")
    with smtp_sink(folder / "mail") as port:
        sink = replace(settings, smtp_host="127.0.0.1", smtp_port=port, smtp_security="none")
        deliver(store, sink, datetime(2026, 1, 3))
    store.close()
    users = Users(users_path(location))
    users.add("olga", "operator-pw", "operator")
    users.add("victor", "viewer-pw", "viewer")
    service = Service(plan, location, settings, start_at=CLOCK, purge_every=0)
    port = free_port()
    config = uvicorn.Config(create_app(service), port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
        time.sleep(0.05)
    try:
        yield Demo(f"http://127.0.0.1:{port}", service, folder / "mail")
    finally:
        server.should_exit = True
        thread.join(timeout=60)


@pytest.fixture
def page(browser: Browser, demo: Demo) -> Iterator[Page]:
    """A fresh browser page that records every URL it requests (all must be the server's)."""
    with recorded_page(browser) as (opened, requested):
        yield opened
    elsewhere = [u for u in requested if not u.startswith((demo.url, "about:", "data:"))]
    assert requested and not elsewhere, elsewhere


def sign_in(page: Page, demo: Demo, name: str, password: str) -> None:
    """Sign in through the login form (from a page that needed it)."""
    page.goto(f"{demo.url}/operations")
    assert page.url.startswith(f"{demo.url}/login?next=")
    page.fill("#name", name)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{demo.url}/operations")


def shot(page: Page, name: str) -> None:
    """A full-page screenshot under tests/artifacts/."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"dashboard-{name}.png"), full_page=True)


def numbers(page: Page, selector: str) -> list[list[str]]:
    """The body cells of a table, as text."""
    rows = page.locator(f"{selector} tbody tr")
    return [rows.nth(i).locator("td").all_inner_texts() for i in range(rows.count())]


def integer(text: str) -> int:
    """A number as the dashboard writes it (narrow spaces between thousands)."""
    return int(text.replace("\u202f", "").replace(",", ""))


def test_an_operator_sees_every_page_with_the_store_s_figures(page: Page, demo: Demo) -> None:
    sign_in(page, demo, "olga", "operator-pw")
    plan = demo.service.plan

    # Operations: the ticks, the backlog, the quarantined row
    shot(page, "operations")
    ticks = numbers(page, "table.ticks")
    assert len(ticks) == demo.sql("select count(*) from ticks")[0][0] == 4
    stored = demo.sql("select now, messages from ticks order by now desc")
    assert [(t[0], integer(t[5])) for t in ticks] == [(f"{n:%Y-%m-%d %H:%M}", m) for n, m in stored]
    quarantine = demo.sql("select kind, reason, count(*) from quarantine group by all")
    shown_q = [(r[0], r[1], integer(r[2])) for r in numbers(page, "table.quarantine")]
    assert sorted(shown_q) == sorted(quarantine)
    assert "teleportation" in page.locator("table.quarantined").inner_text()
    sent = demo.sql("select count(*) from deliveries where status = 'sent'")[0][0]
    assert sent > 0 and len(list(demo.mail.glob("*.eml"))) == sent

    # Plan: programs, tree, a scenario sheet with its diagram and live counts
    page.click("nav >> text=Plan")
    for program in plan.programs:
        assert page.get_by_text(program.name, exact=True).count() >= 1
    shot(page, "plan")
    page.goto(f"{demo.url}/plan/tree.html")
    assert page.locator("figure svg").count() >= 1
    page.goto(f"{demo.url}/plan/scenarios/{SCENARIO}.html")
    assert page.locator("figure svg").first.is_visible()  # the flow diagram
    counts = numbers(page, "table.steps")
    enrolled = demo.sql(f"select count(*) from enrolments where scenario_id = '{SCENARIO}'")
    assert enrolled[0][0] > 0
    assert sum(integer(c) for row in counts for c in row[1:]) == enrolled[0][0]
    recent = {r[0]: integer(r[1]) for r in numbers(page, "table.recent")}
    accepted = demo.sql(
        f"select count(*) from decisions where action_id = '{SCENARIO}' and decision = 'accepted'"
    )[0][0]
    assert recent.get("accepted", 0) == accepted
    shot(page, "scenario")

    # Pause, then resume: the store's log says so, and the sheet shows it
    page.click("section.live button:text('Pause')")
    page.wait_for_selector("section.live .badge.paused")
    assert demo.sql("select paused, who from pauses order by time desc limit 1") == [(True, "olga")]
    page.click("section.live button:text('Resume')")
    page.wait_for_selector("section.live .badge:text('running')")
    assert demo.sql("select paused from pauses order by time desc limit 1") == [(False,)]

    # Calendar: the year's sends with their volumes; a send run shows what it made
    page.click("nav >> text=Calendar")
    volumes = numbers(page, "table.volumes")
    assert len(volumes) > 10
    names = {c.id: c.name for c in plan.campaigns}
    made = {
        names[action]: n
        for action, n in demo.sql("select action_id, count(*) from messages group by all")
        if action in names
    }
    shown: dict[str, int] = {}
    for row in volumes:
        if row[4] != "—":
            shown[row[0]] = shown.get(row[0], 0) + integer(row[4])
    assert shown == made and shown
    shot(page, "calendar")

    # Pressure: now, against the caps; then a simulation started here, with its progress
    page.click("nav >> text=Pressure")
    now = page.locator("section.pressure").first
    assert now.locator("svg").count() == 2
    caps = plan.conventions.pressure.caps["all"]
    assert f"cap: {caps.week} a week" in now.inner_text()  # the charts name the caps
    per_week = float(now.locator(".card b").first.inner_text())
    customers = demo.sql("select count(*) from customers")[0][0]
    messages = demo.sql(
        "select count(*) from outbox where error is null"
        f" and send_at > '{FIRST - timedelta(days=1)}' and send_at <= '{LAST}'"
    )[0][0]
    weeks = 1  # since the first tick (31 Dec 2025 23:00) to 4 Jan 2026: one Monday-Sunday week
    assert per_week == pytest.approx(messages / (customers * weeks), abs=0.005)
    page.fill("input[name=from]", "2026-01-01T23:00")
    page.fill("input[name=to]", "2026-01-03T23:00")
    page.click("button:text('Run the simulation')")
    page.wait_for_selector(".job.done, .job.bad", timeout=120_000)
    assert page.locator(".job.done").count() == 1, page.locator(".job").inner_text()
    before = page.locator("section.pressure").nth(1)
    assert before.locator("svg").count() == 2
    assert "2026-01-01 23:00 → 2026-01-03 23:00" in before.inner_text()
    shot(page, "pressure")

    # Results: the KPI report of the 30 days up to the last tick, its entrants as in the store
    page.click("nav >> text=Results")
    page.wait_for_selector("h1:text('Results:')")
    end = demo.sql("select max(now) from ticks")[0][0]
    start = end - timedelta(days=30)
    campaigns = ", ".join(f"'{c.id}'" for c in plan.campaigns)
    entrants = demo.sql(
        f"select (select count(*) from enrolments where entered_at >= '{start}'"
        f" and entered_at < '{end}') + (select coalesce(sum(n), 0) from (select"
        " count(distinct customer_id) as n from messages where action_id in"
        f" ({campaigns}) and due_at >= '{start}' and due_at < '{end}' group by action_id))"
    )[0][0]
    card = page.locator(".card", has_text="entrants (control groups included)").locator("b")
    assert integer(card.inner_text()) == entrants > 0
    assert page.locator("section svg, figure svg").count() >= 1  # the report's charts
    with page.expect_download() as download:
        page.click("a[href^='/results.csv?table=actions&']")
    rows = download.value.path().read_text(encoding="utf-8").splitlines()
    assert rows[0].startswith('"action_id"') and len(rows) > 1
    shot(page, "results")

    # Customers: search by email, then the timeline with every decision and the content sent
    who, email, subject, mid = demo.sql(
        "select o.customer_id, c.email, o.subject, o.message_id from outbox o"
        " join customers c using (customer_id) where o.subject is not null"
        " order by o.message_id limit 1"
    )[0]
    opened = demo.sql("select count(*) from engagement where kind = 'opened'")[0][0]
    page.click("nav >> text=Customers")
    page.fill("input[name=q]", email.upper())
    page.click("button:text('Search')")
    page.click(f"a:text('{who}')")
    page.wait_for_url(f"{demo.url}/customers/{who}")
    rows = page.locator("table.timeline tbody tr.k-decision").count()
    decided = demo.sql(
        f"select (select count(*) from decisions where customer_id = '{who}')"
        f" + (select count(*) from messages where customer_id = '{who}'"
        " and decision <> 'candidate')"
    )[0][0]
    assert rows == decided > 0
    events = demo.sql(f"select count(*) from events where customer_id = '{who}'")[0][0]
    assert page.locator("table.timeline tr.k-event").count() == events
    assert page.get_by_text(subject).count() >= 1
    page.click(f"a[href='/customers/{who}/messages/{mid}']")  # "The email as sent"
    page.wait_for_url(f"{demo.url}/customers/{who}/messages/{mid}")
    assert page.get_by_text(subject).count() == 1
    email_body = page.frame_locator("iframe.content").first.locator("body")
    assert "MAISON LUMIÈRE" in email_body.inner_text(timeout=10_000)  # the email as sent
    time.sleep(1)  # hits are written every half second: looking at it recorded no open
    assert demo.sql("select count(*) from engagement where kind = 'opened'")[0][0] == opened
    shot(page, "customer")


def test_a_viewer_sees_the_pages_but_cannot_act(page: Page, demo: Demo) -> None:
    sign_in(page, demo, "victor", "viewer-pw")
    page.goto(f"{demo.url}/plan/scenarios/{SCENARIO}.html")
    assert page.locator("section.live").is_visible()
    assert page.locator("section.live button").count() == 0  # no Pause for a viewer
    page.goto(f"{demo.url}/pressure")
    assert page.locator("button:text('Run the simulation')").count() == 0
    token = page.locator("input[name=csrf]").first.get_attribute("value")
    assert token
    pauses = demo.sql("select count(*) from pauses")[0][0]
    answer = page.request.post(
        f"{demo.url}/actions/pause", form={"scenario": SCENARIO, "csrf": token}
    )
    assert answer.status == 403
    assert demo.sql("select count(*) from pauses")[0][0] == pauses
    shot(page, "viewer")
