"""The ``animato`` command line: parse arguments, call the Python API, print the result."""

from __future__ import annotations

import signal
import sys
from contextlib import ExitStack
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Literal

import typer
from rich.console import Console
from rich.progress import Progress

from animato import scaffold
from animato.errors import AnimatoError, excerpt
from animato.plan import Plan, inspect_plan

app = typer.Typer(
    help="Run a relationship-marketing plan as code.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# Piped output (make demo, CI logs) is not cut to 80 columns.
out = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, highlight=False, soft_wrap=True)


@app.command()
def init(
    folder: Path = typer.Argument(..., help="New plan folder (absent or empty)."),
    name: str = typer.Option(None, help="Name of the new plan."),
) -> None:
    """Scaffold a new plan from the demo retail plan.

    Example: animato init my-plan --name "Ma marque"
    """
    try:
        target = scaffold.init(folder, name=name)
    except AnimatoError as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from None
    out.print(
        f"Plan created in [bold]{target}[/]: edit plan.yaml, then run 'animato validate {target}'."
    )


@app.command()
def validate(plan_dir: Path = typer.Argument(..., help="Plan folder.")) -> None:
    """Check a plan folder and report every problem with file, line and column.

    Example: animato validate examples/retail
    """
    result = inspect_plan(plan_dir)
    root = str(plan_dir.resolve().parent)
    for problem in result.problems:
        colour = "red" if problem.severity == "error" else "yellow"
        err.print(f"[{colour}]{problem}[/]")
        if snippet := excerpt(problem, root):
            err.print(snippet, markup=False)
    if result.errors:
        err.print(f"[red]{len(result.errors)} error(s)[/], {len(result.warnings)} warning(s)")
        raise typer.Exit(1)
    plan = result.plan
    assert plan is not None
    out.print(
        f"[green]ok[/] {plan.name}: {len(plan.programs)} programs, "
        f"{len(plan.scenarios)} scenarios, {len(plan.campaigns)} campaigns, "
        f"{len(result.templates)} templates; {len(result.warnings)} warning(s)"
    )


@app.command()
def sheet(
    plan_dir: Path = typer.Argument(..., help="Plan folder."),
    out_dir: Path = typer.Option(Path("build/sheet"), "--out", help="Folder for the site."),
    year: int = typer.Option(date.today().year, help="Year of the campaign calendar."),
) -> None:
    """Write the plan's documentation: overview, scenario sheets, tree, calendar, matrix.

    Example: animato sheet examples/retail --out build/sheet
    """
    from animato.sheet import write_site

    result = inspect_plan(plan_dir)
    if result.plan is None:
        for problem in result.errors:
            err.print(f"[red]{problem}[/]")
        err.print("[red]the plan has errors: run 'animato validate' first[/]")
        raise typer.Exit(1)
    index = write_site(result, out_dir, year=year)
    out.print(f"Sheet site written: [bold]{index}[/] (and Markdown beside it)")


@app.command()
def run(
    plan_dir: Path = typer.Argument(Path("."), help="Plan folder."),
    now: datetime = typer.Option(None, help="Tick time (ISO, UTC if naive); default: now."),
    until: datetime = typer.Option(
        None, help="Tick once a day from --now until this time, and print the total."
    ),
    store_path: Path = typer.Option(None, "--store", help="Store file (default in the plan)."),
    backend: str = typer.Option(
        None,
        envvar="ANIMATO_BACKEND",
        help="Run on a database server instead of the store file: postgres://user@host:port/db.",
    ),
) -> None:
    """Run one tick over (last tick, now] and print enrolments and decisions per scenario.

    Example: animato run examples/retail --now 2026-11-25T06:00
    """
    from animato.engine import Engine, combine
    from animato.report.console import reasons_table, tick_table
    from animato.store import Store, default_path

    plan = _load_or_exit(plan_dir)
    try:
        store = Store(plan, backend or store_path or default_path(plan_dir))
    except AnimatoError as exc:
        err.print(f"[red]{exc}[/]")
        raise typer.Exit(1) from exc
    engine = Engine(store)
    first = now or datetime.now(UTC).replace(tzinfo=None)
    moments = [first]
    while until is not None and moments[-1] + timedelta(days=1) <= until:
        moments.append(moments[-1] + timedelta(days=1))
    results = []
    with Progress(transient=True, console=err) as progress:
        for moment in progress.track(moments, description="ticking"):
            results.append(engine.tick(moment))
    store.close()
    result = results[0] if len(results) == 1 else combine(results)
    out.print(tick_table(plan, result))
    if result.ran and (reasons := reasons_table(result)) is not None:
        out.print(reasons)


@app.command()
def simulate(
    plan_dir: Path = typer.Argument(Path("."), help="Plan folder."),
    start: datetime = typer.Option(..., "--from", help="Replay from this time (ISO, UTC)."),
    end: datetime = typer.Option(..., "--to", help="Replay up to this time (ISO, UTC)."),
    step: str = typer.Option("1d", help="Time between two ticks: 1d, 12h…"),
    store_path: Path = typer.Option(None, "--store", help="Store with the history."),
    out_dir: Path = typer.Option(None, "--out", help="Report folder (default: beside the store)."),
    open_rate: float = typer.Option(None, help="Assumed open rate (default: the plan's)."),
    click_rate: float = typer.Option(None, help="Assumed click rate (default: the plan's)."),
) -> None:
    """Replay the plan over the history on a copy of the store and write the report.

    Run it again after an interruption: it resumes at the next tick.

    Example: animato simulate examples/retail --from 2026-01-01 --to 2026-03-31
    """
    from animato.engine.engagement import Assumption
    from animato.report.console import reasons_table, tick_table
    from animato.simulate import simulate as run_simulation
    from animato.store import default_path

    plan = _load_or_exit(plan_dir)
    source = store_path or default_path(plan_dir)
    declared = plan.simulation.assume
    assume = Assumption(
        declared.open_rate if open_rate is None else open_rate,
        declared.click_rate if click_rate is None else click_rate,
    )
    delta = _step(step)
    folder = out_dir or Path(f"{source}.simulation")
    with Progress(console=err, transient=True) as progress:
        task = progress.add_task("simulating", total=None)

        # Ctrl-C stops after the tick under way (a second one aborts it): the store's own query
        # interruption would surface as an engine error rather than as an interruption.
        stop: list[bool] = []

        def asked(signum: int, frame: object) -> None:
            stop.append(True)
            signal.signal(signal.SIGINT, signal.default_int_handler)
            err.print("[yellow]stopping after this tick[/] (Ctrl-C again to abort it)")

        def ticked(done: int, total: int, moment: datetime) -> None:
            progress.update(task, completed=done, total=total, description=f"{moment:%Y-%m-%d}")
            if stop:
                raise KeyboardInterrupt

        previous = signal.signal(signal.SIGINT, asked)
        try:
            result = run_simulation(
                plan, source, folder, start, end, delta, assume=assume, on_tick=ticked
            )
        except AnimatoError as exc:
            err.print(f"[red]error:[/] {exc}")
            raise typer.Exit(1) from None
        except KeyboardInterrupt:  # the ticks done are kept; one cut short rolled back
            err.print("[yellow]interrupted[/]: run the same command again to resume.")
            raise typer.Exit(130) from None
        finally:
            signal.signal(signal.SIGINT, previous)
    if result.replay.resumed:
        out.print(f"Resumed: {result.replay.resumed} tick(s) were already done.")
    if result.replay.result.ran:
        out.print(tick_table(plan, result.replay.result))
        if (reasons := reasons_table(result.replay.result)) is not None:
            out.print(reasons)
    out.print(
        f"Simulation report: [bold]{result.report}[/] (tables in {result.report.parent}/tables)"
    )


@app.command()
def report(
    plan_dir: Path = typer.Argument(Path("."), help="Plan folder."),
    start: datetime = typer.Option(
        None, "--from", help="From this time (ISO, UTC); default: 30 days before --to."
    ),
    end: datetime = typer.Option(
        None, "--to", help="Up to this time (ISO, UTC); default: the last tick."
    ),
    store_path: Path = typer.Option(None, "--store", help="Store file (default in the plan)."),
    out_dir: Path = typer.Option(None, "--out", help="Report folder (default: beside the store)."),
) -> None:
    """Write the KPI report: activity, engagement, business, incrementality against the control
    groups with 95 % intervals, the Pareto view and the plan's KPIs (HTML, CSV, Parquet).

    Example: animato report examples/retail --from 2026-01-01 --to 2026-02-01
    """
    from animato.measure import page, results
    from animato.report.console import incrementality_table
    from animato.store import Store, default_path

    plan = _load_or_exit(plan_dir)
    source = store_path or default_path(plan_dir)
    store = Store(plan, source)
    try:
        first, last = results.period(store, start, end)
        computed = results.compute(store, first, last)
    except AnimatoError as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from None
    finally:
        store.close()
    written = page.write(plan, computed, out_dir or Path(f"{source}.report"))
    out.print(incrementality_table(computed))
    out.print(f"KPI report: [bold]{written}[/] (tables in {written.parent}/tables)")


@app.command()
def deliver(
    plan_dir: Path = typer.Argument(Path("."), help="Plan folder."),
    now: datetime = typer.Option(None, help="Send what is due by then (ISO, UTC); default: now."),
    store_path: Path = typer.Option(None, "--store", help="Store file (default in the plan)."),
    limit: int = typer.Option(None, min=1, help="Send at most this many messages."),
    sink: Path = typer.Option(
        None, help="Send email to a local SMTP sink that keeps each one as a .eml file here."
    ),
) -> None:
    """Send the outbox messages due by --now through their channels, each exactly once.

    Channels are configured by ANIMATO_* variables (ANIMATO_SMTP_HOST, ANIMATO_SMTP_PORT,
    ANIMATO_SMS_URL…); a run killed at any point resumes where it stopped.

    Example: animato deliver examples/retail --store build/demo.duckdb --now 2026-01-03T00:00
    """
    from animato.delivery import deliver as send
    from animato.settings import Settings
    from animato.store import Store, default_path

    plan = _load_or_exit(plan_dir)
    moment = now or datetime.now(UTC).replace(tzinfo=None)
    try:
        settings = Settings.from_env()
        store = Store(plan, store_path or default_path(plan_dir))
    except (AnimatoError, ValueError) as exc:  # a locked store (serve runs), a bad ANIMATO_*
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from None
    try:
        with ExitStack() as stack:
            if sink is not None:
                from animato.delivery.sink import smtp_sink

                port = stack.enter_context(smtp_sink(sink))
                settings = replace(settings, smtp_host="127.0.0.1", smtp_port=port,
                                   smtp_security="none", smtp_user="")  # fmt: skip
            summary = send(store, settings, moment, limit=limit)
    except AnimatoError as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from None
    finally:
        store.close()
    for line in summary.lines() or ["nothing to deliver"]:
        out.print(line)
    if sink is not None:
        out.print(f"Emails kept in [bold]{sink}[/] (.eml files: open them with a mail client)")


@app.command()
def diff(
    old_dir: Path = typer.Argument(..., help="The plan as it is."),
    new_dir: Path = typer.Argument(..., help="The plan as proposed."),
    start: datetime = typer.Option(..., "--from", help="Replay from this time (ISO, UTC)."),
    end: datetime = typer.Option(..., "--to", help="Replay up to this time (ISO, UTC)."),
    step: str = typer.Option("1d", help="Time between two ticks: 1d, 12h…"),
    store_path: Path = typer.Option(None, "--store", help="Store with the history."),
    out_dir: Path = typer.Option(None, "--out", help="Report folder (default: beside the store)."),
) -> None:
    """Simulate two versions of a plan on the same history and show what changes.

    Example: animato diff main-plan/ my-branch-plan/ --from 2026-01-01 --to 2026-03-31
    """
    from animato.report.console import diff_tables
    from animato.simulate.diff import compare, write
    from animato.store import default_path

    old, new = _load_or_exit(old_dir), _load_or_exit(new_dir)
    source = store_path or default_path(old_dir)
    folder = out_dir or Path(f"{source}.diff")
    with Progress(console=err, transient=True) as progress:
        task = progress.add_task("simulating", total=None)

        def ticked(name: str, done: int, total: int, moment: datetime) -> None:
            label = f"{name} plan {moment:%Y-%m-%d}"
            progress.update(task, completed=done, total=total, description=label)

        try:
            result = compare(old, new, source, folder, start, end, _step(step), on_tick=ticked)
        except AnimatoError as exc:
            err.print(f"[red]error:[/] {exc}")
            raise typer.Exit(1) from None
    for table in diff_tables(result):
        out.print(table)
    out.print(f"Plan change report: [bold]{write(result, folder)}[/]")


def _step(text: str) -> timedelta:
    """A tick step from ``1d``-style text, or exit 2 saying what is expected."""
    from animato.plan.durations import Duration

    try:
        delta = Duration.parse(text).delta()
        if not isinstance(delta, timedelta):
            raise ValueError("a step in months or years is not fixed: use days or hours")
    except ValueError as exc:
        err.print(f"[red]error:[/] --step: {exc}")
        raise typer.Exit(2) from None
    return delta


@app.command()
def serve(
    plan_dir: Path = typer.Argument(Path("."), help="Plan folder."),
    store_path: Path = typer.Option(None, "--store", help="Store file (default in the plan)."),
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    tick_every: float = typer.Option(15, help="Minutes between two ticks (0: no ticks)."),
    deliver_every: float = typer.Option(60, help="Seconds between deliveries (0: none)."),
    purge_every: float = typer.Option(
        24, help="Hours between two retention purges (0: none; the plan declares retention)."
    ),
    now: datetime = typer.Option(
        None,
        help="Start the service's clock at this time (ISO, UTC): ticks and deliveries "
        "run then, not at today's date (for a demo or a replayed history).",
    ),
    sink: Path = typer.Option(
        None, help="Deliver email to a local SMTP sink that keeps each one as a .eml file here."
    ),
) -> None:
    """Serve the dashboard, tracking, the ingestion and privacy API and /health, and run ticks,
    delivery and the retention purge on schedule.

    Settings come from ANIMATO_* variables: ANIMATO_API_TOKEN (the API's bearer token),
    ANIMATO_PUBLIC_URL (of the tracking links), ANIMATO_SECRET, ANIMATO_SMTP_HOST… Dashboard
    users are added with 'animato user'. Stop it with Ctrl-C or SIGTERM: the tick or delivery
    under way is finished first.

    Example: ANIMATO_API_TOKEN=s3cret animato serve examples/retail --port 8000
    """
    from animato.settings import Settings
    from animato.store import default_path
    from animato.web.server import serve as run_server

    plan = _load_or_exit(plan_dir)
    store = store_path or default_path(plan_dir)
    try:
        settings = Settings.from_env()
        with ExitStack() as stack:
            if sink is not None:
                from animato.delivery.sink import smtp_sink

                sink_port = stack.enter_context(smtp_sink(sink))
                settings = replace(settings, smtp_host="127.0.0.1", smtp_port=sink_port,
                                   smtp_security="none", smtp_user="")  # fmt: skip
                err.print(f"Emails go to a local SMTP sink: [bold]{sink}[/] (.eml files)")
            err.print(f"Dashboard: [bold]http://{host}:{port}/[/] (users: animato user --help)")
            run_server(plan, store, settings, host=host, port=port, start_at=now,
                       tick_every=tick_every * 60, deliver_every=deliver_every,
                       purge_every=purge_every * 3600)  # fmt: skip
    except (AnimatoError, ValueError) as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from None


@app.command()
def user(
    name: str = typer.Argument(..., help="User name."),
    role: str = typer.Option("viewer", help="viewer (reads every page) or operator (also acts)."),
    password: str = typer.Option(
        ..., prompt=True, hide_input=True, confirmation_prompt=True, help="Password."
    ),
    plan_dir: Path = typer.Option(Path("."), "--plan", help="Plan folder."),
    store_path: Path = typer.Option(None, "--store", help="Store file (default in the plan)."),
) -> None:
    """Add a dashboard user (or change their password and role); kept beside the store.

    Example: animato user alice --role operator --store build/demo.duckdb
    """
    from animato.store import default_path
    from animato.web.users import Users, users_path

    users = Users(users_path(str(store_path or default_path(plan_dir))))
    try:
        users.add(name, password, role)  # type: ignore[arg-type]  # checked by add
    except AnimatoError as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from None
    out.print(f"User [bold]{name}[/] ({role}) saved in {users.path}")


@app.command()
def ingest(
    kind: Literal["customers", "events", "consents", "suppressions"] = typer.Argument(
        ..., help="What it holds."
    ),
    file: Path = typer.Argument(..., help="CSV, Parquet or JSON Lines file."),
    plan_dir: Path = typer.Option(Path("."), "--plan", help="Plan folder."),
    store_path: Path = typer.Option(None, "--store", help="Store file (default in the plan)."),
) -> None:
    """Load customers, events, consents or suppressions; bad rows go to quarantine with a reason.

    Example: animato ingest events exports/events.parquet --plan examples/retail
    """
    from animato.report.console import ingest_table
    from animato.store import Store, default_path
    from animato.store.ingest import ingest as load

    store = Store(_load_or_exit(plan_dir), store_path or default_path(plan_dir))
    try:
        summary = load(store, kind, file, progress=True)
    except AnimatoError as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from None
    finally:
        store.close()
    out.print(ingest_table(file, summary))


@app.command()
def transfer(
    backend: str = typer.Argument(..., help="Target database: postgres://user@host:port/db."),
    plan_dir: Path = typer.Option(Path("."), "--plan", help="Plan folder."),
    store_path: Path = typer.Option(None, "--store", help="Source store (default in the plan)."),
) -> None:
    """Copy a store's validated inputs (customers, events, consents…) to a database server,
    where ``animato run --backend`` then runs the plan; rows already there are skipped.

    Example: animato transfer postgres://crm@db:5432/animato --plan examples/retail
    """
    from animato.store import Store, default_path
    from animato.store.transfer import copy_inputs

    plan = _load_or_exit(plan_dir)
    try:
        source = Store(plan, store_path or default_path(plan_dir))
        target = Store(plan, backend)
    except AnimatoError as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from None
    with err.status("copying the inputs"):
        added = copy_inputs(source, target)
    source.close()
    target.close()
    for name, n in added.items():
        out.print(f"{name}: {n:,} rows added")


@app.command()
def consent(
    customer: str = typer.Argument(..., help="Customer id."),
    plan_dir: Path = typer.Option(Path("."), "--plan", help="Plan folder."),
    store_path: Path = typer.Option(None, "--store", help="Store file (default in the plan)."),
) -> None:
    """Show a customer's consent per channel and purpose, and the history that proves it.

    Example: animato consent C000042 --plan examples/retail --store build/demo.duckdb
    """
    from animato.privacy import consent as ledger
    from animato.report.console import consent_tables
    from animato.store import Store, default_path

    store = Store(_load_or_exit(plan_dir), store_path or default_path(plan_dir))
    try:
        current, history = ledger.state(store, customer), ledger.history(store, customer)
    finally:
        store.close()
    if not history:
        err.print(f"[red]no consent recorded for customer '{customer}'[/]")
        raise typer.Exit(1)
    for table in consent_tables(customer, current, history):
        out.print(table)


privacy = typer.Typer(help="Access, erasure and retention of customers' personal data.")
app.add_typer(privacy, name="privacy")


@privacy.command("export")
def privacy_export(
    customer: str = typer.Argument(..., help="Customer id."),
    file: Path = typer.Option(..., "--out", help="JSON file to write."),
    plan_dir: Path = typer.Option(Path("."), "--plan", help="Plan folder."),
    store_path: Path = typer.Option(None, "--store", help="Store file (default in the plan)."),
) -> None:
    """Write everything animato holds about a customer as JSON (right of access); logged.

    Example: animato privacy export C000042 --out C000042.json --plan examples/retail
    """
    from animato.privacy import access
    from animato.store import Store, default_path

    store = Store(_load_or_exit(plan_dir), store_path or default_path(plan_dir))
    try:
        document = access.export(store, customer)
    except AnimatoError as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from None
    finally:
        store.close()
    access.write(document, file)
    rows = sum(len(r) for r in document["tables"].values())
    out.print(f"Export of {customer}: [bold]{file}[/] ({rows} rows, {len(document['tables'])}"
              f" tables, {len(document['messages'])} messages)")  # fmt: skip


@privacy.command("erase")
def privacy_erase(
    customers: list[str] = typer.Argument(..., help="Customer id(s)."),
    plan_dir: Path = typer.Option(Path("."), "--plan", help="Plan folder."),
    store_path: Path = typer.Option(None, "--store", help="Store file (default in the plan)."),
) -> None:
    """Delete customers' personal data everywhere (store, outbox, files, quarantine, simulation
    copies); KPI rows stay pseudonymised and a later import stays suppressed. Logged.

    Needs the store to itself (stop 'animato serve', or erase through its API).

    Example: animato privacy erase C000042 --plan examples/retail --store build/demo.duckdb
    """
    from animato.privacy.erasure import erase_offline
    from animato.store import default_path

    try:
        done = erase_offline(_load_or_exit(plan_dir), store_path or default_path(plan_dir),
                             customers)  # fmt: skip
    except AnimatoError as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from None
    out.print(f"Erased {len(done.customers)} customer(s): "
              + ", ".join(f"{t} {n:,}" for t, n in sorted(done.rows.items()))
              + f"; {len(done.files)} file(s) rewritten")  # fmt: skip


@privacy.command("purge")
def privacy_purge(
    plan_dir: Path = typer.Option(Path("."), "--plan", help="Plan folder."),
    store_path: Path = typer.Option(None, "--store", help="Store file (default in the plan)."),
    now: datetime = typer.Option(None, help="As of this time (ISO, UTC); default: now."),
) -> None:
    """Apply the retention periods of the conventions (events, inactive customers, quarantine).

    Example: animato privacy purge --plan examples/retail --store build/demo.duckdb
    """
    from animato.privacy.retention import purge_offline
    from animato.store import default_path

    done = purge_offline(_load_or_exit(plan_dir), store_path or default_path(plan_dir), now)
    rows = ", ".join(f"{t} {n:,}" for t, n in sorted(done.rows.items())) or "no row"
    out.print(f"Purged: {rows}; {done.customers:,} inactive customer(s) erased")


@app.command()
def demo_data(
    out_dir: Path = typer.Argument(..., help="Folder for the Parquet files."),
    customers: int = typer.Option(10_000, min=1, help="Number of customers."),
    years: int = typer.Option(2, min=1, help="Years of events before --end."),
    end: datetime = typer.Option(
        "2026-11-01", formats=["%Y-%m-%d"], help="The demo's today: no event on or after it."
    ),
    seed: int = typer.Option(42, help="Same seed and size, same files."),
    plan_dir: Path = typer.Option(None, "--plan", help="Plan folder (default: the demo plan)."),
) -> None:
    """Write a synthetic customer base for the demo plan: customers, events and consents.

    Example: animato demo-data build/demo --customers 10000 --plan examples/retail
    """
    from animato.demo import generate

    plan = _load_or_exit(plan_dir or scaffold.DEMO)
    try:
        summary = generate(
            plan,
            out_dir,
            customers=customers,
            years=years,
            end=end.date(),
            seed=seed,
            progress=True,
        )
    except AnimatoError as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from None
    for line in summary.lines():
        out.print(line)


@app.command("demo-check")
def demo_check(
    plan_dir: Path = typer.Argument(Path("."), help="Plan folder (the demo plan)."),
    start: datetime = typer.Option(None, "--from", help="From this time (ISO, UTC)."),
    end: datetime = typer.Option(None, "--to", help="Up to this time (ISO, UTC)."),
    store_path: Path = typer.Option(None, "--store", help="Store with the demo data."),
) -> None:
    """Compare the demo data's planted uplifts with what the KPI report measures; exit 1 when a
    true effect falls outside its 95 % interval.

    Example: animato demo-check examples/retail --store build/demo.duckdb --from 2026-01-01
    """
    from animato.demo.uplift import truth
    from animato.measure import results
    from animato.report.console import truth_table
    from animato.store import Store, default_path

    plan = _load_or_exit(plan_dir)
    store = Store(plan, store_path or default_path(plan_dir))
    try:
        first, last = results.period(store, start, end)
        checks = truth(store, results.compute(store, first, last))
    except AnimatoError as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from None
    finally:
        store.close()
    out.print(truth_table(checks))
    missed = [c.action_id for c in checks if not c.recovered]
    if missed:
        err.print(f"[red]outside their intervals:[/] {', '.join(missed)}")
        raise typer.Exit(1)
    out.print(f"All {len(checks)} planted effects lie within the report's 95 % intervals.")


def _load_or_exit(plan_dir: Path) -> Plan:
    result = inspect_plan(plan_dir)
    if result.plan is None:
        for problem in result.errors:
            err.print(f"[red]{problem}[/]")
        err.print("[red]the plan has errors: run 'animato validate' first[/]")
        raise typer.Exit(1)
    return result.plan


def main() -> None:
    """Entry point of the ``animato`` script."""
    app()
