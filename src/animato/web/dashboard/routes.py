"""The dashboard's routes: sign-in, the pages, and the operator's actions.

Every page answers a request without a valid session with a redirect to ``/login``, and every
action with a 401; an action also needs the operator role (403 for a viewer) and the form's
CSRF token (403 without it). Only ``/login`` and the two stylesheets are public.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from html import escape
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qs, quote

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.dataset  # noqa: F401  (at start: the first email shown would pay 0.3 s for it)
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from animato.engine.pauses import paused, set_paused
from animato.engine.state import STATE, State
from animato.measure import page as report_page
from animato.measure.results import Results, compute
from animato.plan import inspect_plan
from animato.plan import model as m
from animato.plan.loader import Inspection
from animato.settings import side_prefix
from animato.sheet.document import Document
from animato.sheet.site import documents
from animato.sheet.site import stylesheet as sheet_css
from animato.sheet.wording import day
from animato.simulate import simulate
from animato.simulate.figures import Figures, target_sizes
from animato.simulate.page import at_cap, pressure_section
from animato.store.store import Store
from animato.web.dashboard import customers as people
from animato.web.dashboard.jobs import Busy, Job, Stopped
from animato.web.dashboard.journeys import STATUSES, StepCounts, recent_decisions, step_counts
from animato.web.dashboard.layout import Html, Viewer, cards, cell, form, link, page, table
from animato.web.dashboard.layout import stylesheet as dashboard_css
from animato.web.dashboard.operations import operations
from animato.web.dashboard.volumes import campaign_volumes, last_simulation, pressure_now
from animato.web.service import Service
from animato.web.sessions import LIFETIME, LOGIN, SESSION, Sessions, same_token

T = TypeVar("T")
# Pages load nothing from elsewhere and run no script; an email shown as sent cannot load its
# open pixel (images only as data: URLs), so looking at it records no open.
_PIXEL = re.compile(r'src="[^"]*/o/[^"]*"')  # the open pixel of a tracked email
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src data:; style-src 'self' "
    "'unsafe-inline'; script-src 'none'; form-action 'self'; frame-ancestors 'none'",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
}
STATUS_LABELS = {
    "in_progress": "in progress",
    "waiting": "waiting",
    "converted": "converted",
    "exited": "exited",
    "completed": "completed",
}


class Pages:
    """What the pages build once or once per tick: the sheet documents, live figures."""

    def __init__(self, service: Service) -> None:
        self.service = service
        plan = service.plan
        found = inspect_plan(plan.folder) if plan.folder is not None else None
        self.inspection = found if found and found.plan else Inspection(Path("."), plan)
        self._docs: dict[int, dict[str, Document]] = {}
        self._cache: dict[str, tuple[object, object]] = {}
        self.docs((self.last_tick() or service.now()).year)  # at start, not at a first view

    def docs(self, year: int) -> dict[str, Document]:
        """The sheet site's documents of a year, by page."""
        if year not in self._docs:
            self._docs[year] = {d.page: d for d in documents(self.inspection, year)}
        return self._docs[year]

    def read(self, work: Callable[[Any], T]) -> T:
        """``work(store)`` on the dashboard's connection."""
        with self.service.reading:
            return work(self.service.reader)

    def last_tick(self) -> datetime | None:
        """The ``now`` of the latest tick."""
        value = self.read(lambda s: s.table("ticks").now.max().to_pyarrow().as_py())
        return value if isinstance(value, datetime) else None

    def cached(self, name: str, key: object, work: Callable[[], T]) -> T:
        """``work()`` computed again only when ``key`` changes (a tick ran, a file changed)."""
        known = self._cache.get(name)
        if known is not None and known[0] == key:
            return known[1]  # type: ignore[return-value]
        value = work()
        self._cache[name] = (key, value)
        return value

    def targets(self, at: datetime) -> dict[str | None, int]:
        """Customers in each target, from the state the last tick left (read, not refreshed:
        the dashboard never writes the engine's tables).
        """

        def work(store: Store) -> dict[str | None, int]:
            if STATE not in store.con.list_tables():
                return {None: store.count("customers")}
            meta = store.table("state_meta").as_of.max().to_pyarrow().as_py() or at
            current = State(store.con.table(STATE), store.table("events"), meta)
            return target_sizes(store, meta, current)

        return self.cached("targets", at, lambda: self.read(work))


def router(service: Service) -> APIRouter:
    """The dashboard routes of a service."""
    r = APIRouter(include_in_schema=False)
    pages = Pages(service)
    sessions: Sessions = service.sessions
    plan = service.plan

    def viewer(request: Request) -> Viewer | None:
        session = sessions.session(request.cookies.get(SESSION))
        if session is None:
            return None
        user = service.users.get(session.name)
        return Viewer(user, session.csrf) if user is not None else None

    def shown(title: str, body: str, who: Viewer, here: str, **kw: Any) -> HTMLResponse:
        html = page(title, body, who, here=here, plan=plan.name, **kw)
        return HTMLResponse(html, headers=HEADERS)

    def refused(status: int, message: str, who: Viewer | None = None) -> HTMLResponse:
        body = f'<h1>{status}</h1><p class="flash bad">{escape(message)}</p>'
        return HTMLResponse(page(str(status), body, who, plan=plan.name), status_code=status)

    def to_login(request: Request) -> RedirectResponse:
        wanted = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(wanted)}", status_code=303)

    async def acting(request: Request) -> tuple[Viewer, dict[str, str]] | HTMLResponse:
        """The operator and the posted form of an action, or the refusal."""
        who = viewer(request)
        if who is None:
            return refused(401, "Sign in first.")
        fields = _form(await request.body())
        if not same_token(fields.get("csrf", ""), who.csrf):
            return refused(403, "This form has expired (CSRF token missing or wrong).", who)
        if not who.user.operator:
            return refused(403, "Viewers may look, not act: this needs the operator role.", who)
        return who, fields

    # -- public -----------------------------------------------------------------------------

    @r.get("/assets/{name}")
    def asset(name: str) -> Response:
        styles = {"sheet.css": sheet_css, "dashboard.css": dashboard_css}
        if name not in styles:
            raise HTTPException(404)
        return Response(
            styles[name](), media_type="text/css", headers={"Cache-Control": "max-age=3600"}
        )

    @r.get("/login")
    def login_page(request: Request, next: str = "/") -> HTMLResponse:
        return _login(sessions, plan.name, _local(next))

    @r.post("/login")
    async def login(request: Request) -> Response:
        fields = _form(await request.body())
        if not sessions.login_ok(request.cookies.get(LOGIN), fields.get("csrf", "")):
            return refused(403, "This sign-in form has expired: load it again.")
        user = service.users.check(fields.get("name", ""), fields.get("password", ""))
        target = _local(fields.get("next", "/"))
        if user is None:
            return _login(sessions, plan.name, target, "Wrong name or password.", 401)
        answer = RedirectResponse(target, status_code=303)
        answer.set_cookie(
            SESSION,
            sessions.issue(user.name),
            max_age=LIFETIME,
            httponly=True,
            samesite="strict",
            path="/",
        )
        answer.delete_cookie(LOGIN, path="/login")
        return answer

    @r.post("/logout")
    async def logout(request: Request) -> Response:
        who = viewer(request)
        fields = _form(await request.body())
        if who is None or not same_token(fields.get("csrf", ""), who.csrf):
            return refused(403, "This form has expired (CSRF token missing or wrong).", who)
        answer = RedirectResponse("/login", status_code=303)
        answer.delete_cookie(SESSION, path="/")
        return answer

    # -- pages ------------------------------------------------------------------------------

    @r.get("/")
    def home(request: Request) -> Response:
        if viewer(request) is None:
            return to_login(request)
        return RedirectResponse("/plan/index.html", status_code=303)

    @r.get("/plan/{name:path}")
    def plan_page(request: Request, name: str) -> Response:
        who = viewer(request)
        if who is None:
            return to_login(request)
        last = pages.last_tick()
        year = (last or service.now()).year
        doc = pages.docs(year).get(name.removesuffix(".html"))
        if doc is None or not name.endswith(".html"):
            return refused(404, f"No page {name} in this plan.", who)
        extra = ""
        if doc.page.startswith("scenarios/"):
            scenario = next(s for s in plan.scenarios if s.id == doc.page.split("/", 1)[1])
            extra = _live(pages, scenario, who, last)
        elif doc.page == "calendar" and last is not None:
            extra = _volumes(pages, year, last)
        kicker = f'<p class="kicker">{escape(doc.kicker)}</p>' if doc.kicker else ""
        body = f"{kicker}<h1>{escape(doc.title)}</h1>{extra}{doc.html()}"
        here = "calendar" if doc.page == "calendar" else "plan"
        return shown(doc.title, body, who, here, base=f"/plan/{doc.page}.html")

    @r.get("/pressure")
    def pressure_page(request: Request) -> Response:
        who = viewer(request)
        if who is None:
            return to_login(request)
        last = pages.last_tick()
        now = (
            pages.cached("pressure", last, lambda: pages.read(lambda s: pressure_now(s, last)))
            if last is not None
            else None
        )
        folder = _simulation_folder(service)
        report = folder / "report.html"  # written last: the tables are complete
        stamp = report.stat().st_mtime if report.exists() else None
        before = pages.cached("simulation", stamp, lambda: last_simulation(plan, folder))
        job = next((j for j in service.jobs.history if j.kind == "simulation"), None)
        body = [
            "<h1>Pressure</h1>",
            '<p class="lead">Messages per customer per week and per '
            "month, against the caps: now (the live outbox) and in the last simulation.</p>",
        ]
        body.append('<div class="two">')
        body.append(_pressure_column("Now", now, "no tick has run yet"))
        body.append(_pressure_column("Last simulation", before, "no simulation yet"))
        body.append("</div>")
        body.append(_simulation_panel(who, job, last or service.now()))
        running = job is not None and job.running
        return shown("Pressure", "".join(body), who, "pressure", refresh=2 if running else None)

    def period(start: str, end: str) -> tuple[datetime, datetime]:
        """The period a results view covers: given as dates, else the 30 days to the last tick."""
        last = pages.last_tick() or service.now()
        try:
            to = datetime.fromisoformat(end) if end else last
            since = datetime.fromisoformat(start) if start else to - timedelta(days=30)
        except ValueError as exc:
            raise HTTPException(400, f"a date is expected (YYYY-MM-DD): {exc}") from None
        if since >= to:
            raise HTTPException(400, "the period must start before it ends")
        return since, to

    def results(since: datetime, to: datetime) -> Results:
        key = (pages.last_tick(), since, to)
        return pages.cached("results", key, lambda: pages.read(lambda s: compute(s, since, to)))

    @r.get("/results")
    def results_page(request: Request, start: str = "", end: str = "") -> Response:
        who = viewer(request)
        if who is None:
            return to_login(request)
        since, to = period(start, end)
        found = results(since, to)
        dates = f"start={since:%Y-%m-%dT%H:%M}&end={to:%Y-%m-%dT%H:%M}"
        downloads = " · ".join(
            link(f"/results.csv?table={quote(name)}&{dates}", name) for name in found.tables
        )
        body = [
            '<form method="get" action="/results" class="filters">'
            f'<label>From <input type="date" name="start" value="{since:%Y-%m-%d}"></label> '
            f'<label>to <input type="date" name="end" value="{to:%Y-%m-%d}"></label> '
            '<button type="submit">Show</button></form>',
            f'<p class="lead">CSV: {downloads}</p>',
            f"<style>{report_page.VERDICT_CSS}</style>",
            *report_page.sections(plan, found),
        ]
        return shown("Results", "".join(body), who, "results")

    @r.get("/results.csv")
    def results_csv(
        request: Request, table: str = "actions", start: str = "", end: str = ""
    ) -> Response:
        who = viewer(request)
        if who is None:
            return to_login(request)
        since, to = period(start, end)
        found = results(since, to)
        if table not in found.tables:
            return refused(404, f"No results table {table}.", who)
        sink = pa.BufferOutputStream()
        pacsv.write_csv(found.tables[table], sink)
        return Response(
            sink.getvalue().to_pybytes(),
            media_type="text/csv; charset=utf-8",
            headers={**HEADERS, "Content-Disposition": f'attachment; filename="{table}.csv"'},
        )

    @r.get("/customers")
    def customers_page(request: Request, q: str = "") -> Response:
        who = viewer(request)
        if who is None:
            return to_login(request)
        found = pages.read(lambda s: people.search(s, q)) if q.strip() else []
        if len(found) == 1 and found[0]["customer_id"] == q.strip():
            return RedirectResponse(f"/customers/{quote(q.strip())}", status_code=303)
        rows = [
            [
                link(f"/customers/{quote(c['customer_id'])}", c["customer_id"]),
                *(c.get(k) for k in ("email", "first_name", "last_name")),
            ]
            for c in found
        ]
        body = (
            "<h1>Customers</h1>"
            '<form method="get" action="/customers" class="panel">'
            f'<input type="search" name="q" value="{escape(q)}" placeholder="customer id or email"'
            ' size="40" autofocus> <button type="submit">Search</button></form>'
            + (
                table(
                    ["customer", "email", "first name", "last name"],
                    rows,
                    empty=f"No customer with id or email « {q} ».",
                )
                if q.strip()
                else ""
            )
        )
        return shown("Customers", body, who, "customers")

    @r.get("/customers/{customer_id}")
    def customer_page(request: Request, customer_id: str) -> Response:
        who = viewer(request)
        if who is None:
            return to_login(request)
        found = pages.read(lambda s: people.customer(s, customer_id))
        if found is None:
            return refused(404, f"No customer {customer_id}.", who)
        return shown(customer_id, _customer(found), who, "customers")

    @r.get("/customers/{customer_id}/messages/{message_id}")
    def message_page(request: Request, customer_id: str, message_id: str) -> Response:
        who = viewer(request)
        if who is None:
            return to_login(request)
        found = pages.read(lambda s: people.message(s, customer_id, message_id))
        if found is None:
            return refused(404, f"No message {message_id} for customer {customer_id}.", who)
        back = link(f"/customers/{quote(customer_id)}", f"Customer {customer_id}")
        body = f'<p class="crumbs">{back}</p>' + _message(found, full=True)
        return shown(message_id, body, who, "customers")

    @r.get("/operations")
    def operations_page(request: Request) -> Response:
        who = viewer(request)
        if who is None:
            return to_login(request)
        now = service.now()
        ops = pages.read(lambda s: operations(s, now))
        status = service.scheduler.status
        job = next((j for j in service.jobs.history if j.kind == "tick"), None)
        last = ops.ticks[0]["now"] if ops.ticks else None
        body = [
            "<h1>Operations</h1>",
            cards(
                [
                    (f"{now:%Y-%m-%d %H:%M}", "service clock (UTC)"),
                    (cell(last) if last else "—", "last tick"),
                    (f"{sum(b['due'] for b in ops.backlog):,}", "messages due, not yet delivered"),
                    (f"{sum(q['rows'] for q in ops.quarantine):,}", "quarantined input rows"),
                ]
            ),
            f'<p class="flash bad">Scheduler: {escape(status.error)}</p>' if status.error else "",
            _tick_panel(who, job, last, now),
            "<h2>Last ticks</h2>",
            table(
                [
                    "tick at",
                    "interval from",
                    "started (wall clock)",
                    "duration ms",
                    "enrolments",
                    "messages",
                ],
                [
                    [
                        t["now"],
                        t["previous"],
                        t["started_at"],
                        t["duration_ms"],
                        t["enrolments"],
                        t["messages"],
                    ]
                    for t in ops.ticks
                ],
                empty="No tick yet.",
                css="ticks",
            ),
            "<h2>Outbox backlog</h2>",
            table(
                ["channel", "due now", "scheduled later", "render errors", "next send"],
                [
                    [b["channel"], b["due"], b["later"], b["error"], b["next_at"]]
                    for b in ops.backlog
                ],
                empty="The outbox is empty: everything went out.",
                css="backlog",
            ),
            "<h2>Delivery errors</h2>",
            table(
                ["time", "message", "channel", "status", "detail"],
                [
                    [f["time"], f["message_id"], f["channel"], f["status"], f["detail"]]
                    for f in ops.failures
                ],
                empty="No delivery error.",
                css="failures",
            ),
            "<h2>Quarantined input rows</h2>",
            table(
                ["kind", "reason", "rows", "last loaded"],
                [[q["kind"], q["reason"], q["rows"], q["last"]] for q in ops.quarantine],
                empty="No quarantined row.",
                css="quarantine",
            ),
            table(
                ["loaded", "kind", "file", "row", "reason", "record"],
                [
                    [
                        q["_loaded_at"],
                        q["kind"],
                        q["source"],
                        q["row_number"],
                        q["reason"],
                        q["record"],
                    ]
                    for q in ops.quarantined
                ],
                empty="",
                css="quarantined",
            ),
        ]
        running = job is not None and job.running
        return shown("Operations", "".join(body), who, "operations", refresh=2 if running else None)

    # -- actions ----------------------------------------------------------------------------

    @r.post("/actions/pause")
    async def pause(request: Request) -> Response:
        return await _pausing(request, True)

    @r.post("/actions/resume")
    async def resume(request: Request) -> Response:
        return await _pausing(request, False)

    async def _pausing(request: Request, on: bool) -> Response:
        got = await acting(request)
        if isinstance(got, HTMLResponse):
            return got
        who, fields = got
        scenario_id = fields.get("scenario", "")
        if scenario_id not in {s.id for s in plan.scenarios}:
            return refused(400, f"No scenario {scenario_id!r} in this plan.", who)
        # an append on the dashboard's connection: a tick under way reads it at its next start
        pages.read(lambda s: set_paused(s, scenario_id, on, who.user.name, service.now()))
        return RedirectResponse(f"/plan/scenarios/{quote(scenario_id)}.html", status_code=303)

    @r.post("/actions/tick")
    async def tick(request: Request) -> Response:
        got = await acting(request)
        if isinstance(got, HTMLResponse):
            return got
        who, fields = got
        try:
            moment = datetime.fromisoformat(fields.get("now", ""))
        except ValueError:
            return refused(400, "Expected the tick's time as YYYY-MM-DDTHH:MM (UTC).", who)

        def work(job: Job) -> str:
            job.total, job.moment = 1, moment
            result = service.scheduler.tick(moment)
            job.done = 1
            if not result.ran:
                return f"nothing to do: the last tick is at or after {moment:%Y-%m-%d %H:%M}"
            return (
                f"tick at {moment:%Y-%m-%d %H:%M}: {sum(result.enrolments.values())} "
                f"enrolments, {result.messages} messages decided in {result.duration_ms} ms"
            )

        return _started(lambda: service.jobs.start("tick", who.user.name, work), "/operations", who)

    @r.post("/actions/simulate")
    async def simulation(request: Request) -> Response:
        got = await acting(request)
        if isinstance(got, HTMLResponse):
            return got
        who, fields = got
        try:
            start = datetime.fromisoformat(fields.get("from", ""))
            end = datetime.fromisoformat(fields.get("to", ""))
            if end <= start:
                raise ValueError
        except ValueError:
            return refused(400, "Expected two dates, the first before the second.", who)

        def work(job: Job) -> str:
            if not service.scheduler.store.server:  # the file copy must hold what is committed
                with service.scheduler.lock:
                    service.scheduler.store.con.raw_sql("CHECKPOINT")

            def ticked(done: int, total: int, moment: datetime) -> None:
                job.done, job.total, job.moment = done, total, moment
                if service.jobs.stopping.is_set():  # the ticks done are kept: it resumes
                    raise Stopped("stopped with the service: start it again to resume")

            done = simulate(
                plan,
                Path(service.location),
                _simulation_folder(service),
                start,
                end,
                on_tick=ticked,
            )
            return f"report written: {done.report}"

        return _started(
            lambda: service.jobs.start("simulation", who.user.name, work), "/pressure", who
        )

    def _started(begin: Callable[[], Job], then: str, who: Viewer) -> Response:
        try:
            begin()
        except Busy as exc:
            return refused(409, str(exc), who)
        return RedirectResponse(then, status_code=303)

    return r


# -- page parts ------------------------------------------------------------------------------


def _form(body: bytes) -> dict[str, str]:
    """A posted form (``application/x-www-form-urlencoded``), one value per name."""
    return {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}


def _local(target: str) -> str:
    """A redirect target kept on this site (no ``//host`` or absolute URL)."""
    return target if target.startswith("/") and not target.startswith("//") else "/"


def _login(
    sessions: Sessions, plan: str, target: str, error: str = "", status: int = 200
) -> HTMLResponse:
    token, cookie = sessions.login_token()
    flash = f'<p class="flash bad">{escape(error)}</p>' if error else ""
    body = (
        f'<div class="login"><h1>Sign in</h1>{flash}<form method="post" action="/login">'
        f'<input type="hidden" name="csrf" value="{escape(token)}">'
        f'<input type="hidden" name="next" value="{escape(target)}">'
        '<label for="name">Name</label><input type="text" id="name" name="name" autofocus>'
        '<label for="password">Password</label>'
        '<input type="password" id="password" name="password">'
        '<p><button type="submit">Sign in</button></p></form></div>'
    )
    answer = HTMLResponse(page("Sign in", body, None, plan=plan), status_code=status)
    answer.set_cookie(LOGIN, cookie, max_age=3600, httponly=True, samesite="strict", path="/login")
    return answer


def _simulation_folder(service: Service) -> Path:
    """Where the service's simulations go: ``<store>.simulation``, as ``animato simulate``."""
    return Path(f"{side_prefix(service.location)}.simulation")


def _live(pages: Pages, scenario: m.Scenario, who: Viewer, last: datetime | None) -> str:
    """The live part of a scenario sheet: paused or running, counts per step, decisions."""
    # what they read changes only with a tick, a delivery or a pause; every scenario at once
    version = pages.read(lambda s: (last, s.count("deliveries"), s.count("pauses")))
    scenarios = pages.service.plan.scenarios

    def figures() -> tuple[list[str], dict[str, list[StepCounts]], dict[str, dict[str, int]]]:
        return pages.read(lambda s: (paused(s), step_counts(s, scenarios), recent_decisions(s)))

    halted_ids, all_counts, all_recent = pages.cached("live", version, figures)
    halted = scenario.id in halted_ids
    counts, recent = all_counts[scenario.id], all_recent.get(scenario.id, {})
    badge = (
        '<span class="badge paused">paused</span>'
        if halted
        else ('<span class="badge">running</span>')
    )
    action = ""
    if who.user.operator:
        verb, label = ("resume", "Resume") if halted else ("pause", "Pause")
        action = form(f"/actions/{verb}", who, "", label, hidden={"scenario": scenario.id})
    since = f" (ticks of the 7 days up to {last:%Y-%m-%d %H:%M} UTC)" if last else ""
    rows = [[c.label, *(c.counts[s] for s in STATUSES)] for c in counts]
    return (
        f'<section class="panel live"><h2>Live {badge} {action}</h2>'
        + table(["step", *(STATUS_LABELS[s] for s in STATUSES)], rows, css="steps")
        + f"<h3>Recent decisions by reason{escape(since)}</h3>"
        + table(
            ["decision", "messages"],
            sorted(map(list, recent.items())),
            css="recent",
            empty="No decision in the last 7 days.",
        )
        + "</section>"
    )


def _volumes(pages: Pages, year: int, last: datetime) -> str:
    """The planned volumes of the year's campaign sends."""
    targets = pages.targets(last)
    planned = pages.read(lambda s: campaign_volumes(s, year, targets))
    rows = []
    for p in planned:
        held = f"{p.send.decision} ({p.send.blackout.id})" if p.send.blackout else ""
        rows.append(
            [
                p.send.campaign.name,
                day(p.send.moment.date()),
                p.send.moment.strftime("%H:%M"),
                held,
                p.made,
                p.accepted,
                p.target,
            ]
        )
    return (
        '<section class="panel volumes"><h2>Planned volumes</h2>'
        '<p class="muted">A send already run: the messages it made (its target after consent, '
        "address and control group) and those accepted into the outbox. A send to come: the "
        f"customers in its target at the last tick ({last:%Y-%m-%d %H:%M} UTC).</p>"
        + table(
            ["campaign", "day", "time", "blackout", "messages made", "accepted", "target now"],
            rows,
            css="volumes",
            empty="No campaign this year.",
        )
        + "</section>"
    )


def _pressure_column(title: str, f: Figures | None, none: str) -> str:
    if f is None:
        return f'<section><h2>{escape(title)}</h2><p class="muted">{escape(none)}</p></section>'
    week = f.tables["pressure_week"]
    cap = f.caps.get("week")
    capped = at_cap(week, cap)
    rows = week.to_pylist()
    weeks = sum(r["customer_weeks"] for r in rows) or 1
    messages = sum(r["messages"] * r["customer_weeks"] for r in rows)
    period = f"{f.start:%Y-%m-%d %H:%M} → {f.end:%Y-%m-%d %H:%M} UTC"
    charts = "".join(pressure_section(f)[1:-1])  # the charts, without their title and note
    return (
        f'<section class="pressure" data-kind="{escape(title)}"><h2>{escape(title)}</h2>'
        f'<p class="muted">{escape(period)}</p>'
        + cards(
            [
                (f"{messages / weeks:.2f}", "messages per customer per week"),
                ("—" if capped is None else f"{capped:.1%}", f"customer-weeks at the cap ({cap})"),
            ]
        )
        + charts
        + "</section>"
    )


def _job_text(job: Job | None) -> str:
    if job is None:
        return ""
    who = f"{job.kind} by {escape(job.by)}"
    if job.running:
        where = f", at {job.moment:%Y-%m-%d}" if job.moment else ""
        shown = f"{job.done}/{job.total}" if job.total else "starting"
        return f'<p class="flash job running">{who}: {shown}{where}…</p>'
    if job.error:
        return f'<p class="flash bad job">{who} failed: {escape(job.error)}</p>'
    return f'<p class="flash job done">{who}: {escape(job.summary)}</p>'


def _simulation_panel(who: Viewer, job: Job | None, before: datetime) -> str:
    out = ['<section class="panel"><h2>Simulate</h2>', _job_text(job)]
    if who.user.operator:
        start = (before - timedelta(days=31)).replace(hour=23, minute=0, second=0, microsecond=0)
        end = before.replace(hour=23, minute=0, second=0, microsecond=0)
        fields = (
            f'From <input type="datetime-local" name="from" value="{start:%Y-%m-%dT%H:%M}"> '
            f'to <input type="datetime-local" name="to" value="{end:%Y-%m-%dT%H:%M}"> (UTC) '
        )
        out.append(form("/actions/simulate", who, fields, "Run the simulation"))
        out.append(
            '<p class="muted">The production tick replayed on a copy of the store, '
            "a tick a day; the report replaces the last simulation.</p>"
        )
    out.append("</section>")
    return "".join(out)


def _tick_panel(who: Viewer, job: Job | None, last: datetime | None, now: datetime) -> str:
    out = ['<section class="panel"><h2>Run a tick</h2>', _job_text(job)]
    if who.user.operator:
        moment = now if last is None or now > last else last + timedelta(days=1)
        fields = (
            f'At <input type="datetime-local" name="now" value="{moment:%Y-%m-%dT%H:%M}"> '
            "(UTC; the tick covers the time since the last one) "
        )
        out.append(form("/actions/tick", who, fields, "Run a tick"))
    out.append("</section>")
    return "".join(out)


def _customer(found: people.Customer) -> str:
    fields = found.fields
    name = " ".join(str(fields[k]) for k in ("first_name", "last_name") if k in fields)
    facts = "".join(f"<dt>{escape(k)}</dt><dd>{cell(v)}</dd>" for k, v in fields.items())
    rows, css = [], []
    for e in found.timeline:
        what = Html(
            f'<a href="#m-{escape(e.message_id)}">{escape(e.what)}</a>'
            if e.message_id in found.messages and e.kind == "message"
            else escape(e.what)
        )
        rows.append([e.time, e.kind, what, e.detail])
        css.append(f"k-{e.kind}")
    contents = [_message(msg) for msg in found.messages.values()]
    return (
        f'<p class="kicker">Customer</p><h1>{escape(name or fields["customer_id"])}</h1>'
        f'<dl class="facts">{facts}</dl>'
        "<h2>Timeline</h2>"
        + table(["time (UTC)", "kind", "what", "detail"], rows, css="timeline", row_css=css)
        + "<h2>Messages as sent</h2>"
        + ("".join(contents) or '<p class="muted">No message rendered for this customer.</p>')
    )


def _message(msg: dict[str, Any], *, full: bool = False) -> str:
    """A rendered message: subject, text or call/postal fields; the email itself when ``full``
    (in a sandboxed frame, under the page's policy: its open pixel is not loaded).
    """
    message_id = msg["message_id"]
    page = f"/customers/{quote(msg['customer_id'])}/messages/{quote(message_id)}"
    title = f"{msg['action_id']} {msg['step_id'] or ''} · {msg['channel']} · {cell(msg['send_at'])}"
    parts = [f'<h3 id="m-{escape(message_id)}">{escape(title)}</h3>']
    if msg.get("subject"):
        parts.append(f"<p><strong>{escape(msg['subject'])}</strong></p>")
    if msg.get("error"):
        parts.append(f'<p class="flash bad">{escape(msg["error"])}</p>')
    if full and msg.get("html"):
        # as sent, less its open pixel: looking at it must not record an open (nor, when the
        # security policy is late for a frame, ask the tracking host for it)
        shown_html = _PIXEL.sub('src="data:,"', msg["html"])
        parts.append(f'<iframe class="content" sandbox srcdoc="{escape(shown_html)}"></iframe>')
    elif msg.get("text"):
        parts.append(f'<pre class="content">{escape(msg["text"])}</pre>')
    if msg.get("fields"):
        parts.append(f'<pre class="content">{escape(people.fields_text(msg["fields"]))}</pre>')
    if not full and msg.get("content"):
        parts.append(f"<p>{link(page, 'The email as sent')}</p>")
    return "".join(parts)
