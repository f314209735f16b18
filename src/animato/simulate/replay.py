"""Replay a plan over history: the production tick, day after day, on a copy of the store.

The copy keeps the inputs (customers, consents, suppressions, events, recorded engagement) and
none of the engine's logs, so the replay starts as a plan's first day would. Ticks run at
``start + step``, ``start + 2 × step``… up to ``end``, the first covering ``(start, start + step]``:
``animato run --now START+1d --until END`` on a fresh store makes exactly the same decisions.
Nothing is rendered nor delivered (decisions do not depend on content). Each tick is its own
transaction, so an interrupted replay resumes at its next tick when run again with the same plan
and start.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from animato.engine import Engine, TickResult, combine
from animato.engine.engagement import Assumption
from animato.engine.state import HISTORY, SCRATCH, STATE
from animato.errors import AnimatoError
from animato.plan.model import Plan
from animato.store import Store
from animato.store.transfer import INPUTS

META = "simulation.json"


@dataclass
class Replay:
    """A finished (or resumed) replay: where its store is, its period, and what the ticks did."""

    folder: Path
    store: Path
    start: datetime
    end: datetime
    step: timedelta
    assume: Assumption
    result: TickResult
    resumed: int = 0  # ticks found done from an earlier, interrupted run


def moments(start: datetime, end: datetime, step: timedelta) -> list[datetime]:
    """The tick times of a replay: every ``step`` after ``start``, up to ``end``."""
    if step <= timedelta(0):
        raise AnimatoError("the simulation step must be positive, e.g. 1d")
    if end <= start:
        raise AnimatoError(f"nothing to simulate: --to {end} is not after --from {start}")
    out, moment = [], start + step
    while moment <= end:
        out.append(moment)
        moment += step
    return out


def plan_signature(plan: Plan) -> str:
    """A digest of the plan's content (two different plans never share a replay store)."""
    return hashlib.md5(plan.model_dump_json().encode("utf-8")).hexdigest()


def replay(
    plan: Plan,
    source: Path,
    folder: Path,
    start: datetime,
    end: datetime,
    step: timedelta = timedelta(days=1),
    *,
    assume: Assumption | None = None,
    on_tick: Callable[[int, int, datetime], None] | None = None,
) -> Replay:
    """Simulate ``plan`` on the data of the store ``source``; the copy lives in ``folder``.

    ``on_tick(done, total, moment)`` is called after each tick (for a progress bar).
    """
    if not source.exists():
        raise AnimatoError(f"no store at {source}: ingest data first ('animato ingest')")
    assume = assume or Assumption(**plan.simulation.assume.model_dump())
    times = moments(start, end, step)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "store.duckdb"
    meta = {
        "plan": plan_signature(plan),
        "source": str(source.resolve()),
        "inputs": _fingerprint(plan, source),
        "start": start.isoformat(),
        "step_seconds": step.total_seconds(),
        "assume": vars(assume),
    }
    meta_file = folder / META
    if not (target.exists() and _same(meta_file, meta)):
        _copy_inputs(plan, source, target)
    meta_file.write_text(json.dumps({**meta, "end": end.isoformat()}, indent=2) + "\n")
    store = Store(plan, target)
    try:
        engine = Engine(store, assume=assume, rendering=False, state_in=SCRATCH)
        last = engine.last_tick()
        done = [m for m in times if last is not None and m <= last]
        results = []
        for i, moment in enumerate(times):
            if moment in done:
                continue
            results.append(engine.tick(moment, since=start))
            if on_tick is not None:
                on_tick(i + 1, len(times), moment)
    finally:
        store.close()
    empty = TickResult(start, end, ran=False)
    result = combine(results) if results else empty
    return Replay(folder, target, start, end, step, assume, result, resumed=len(done))


def _fingerprint(plan: Plan, source: Path) -> str:
    """What the source's inputs hold: rows and latest load time per table (a re-ingested or
    changed history never resumes an older replay).
    """
    store = Store(plan, source)
    try:
        parts = []
        for name in INPUTS:
            table = store.table(name)
            latest = table._loaded_at.max() if "_loaded_at" in table.columns else table.count()
            parts.append(f"{name}:{store.count(name)}:{latest.to_pyarrow().as_py()}")
    finally:
        store.close()
    return hashlib.md5("|".join(parts).encode("utf-8")).hexdigest()


def _same(meta_file: Path, meta: dict[str, object]) -> bool:
    """Whether the replay in a folder was started with this plan, data, start and step."""
    try:
        known = json.loads(meta_file.read_text())
    except (OSError, ValueError):
        return False
    return all(known.get(k) == v for k, v in meta.items())


def _copy_inputs(plan: Plan, source: Path, target: Path) -> None:
    """A fresh replay store: the source file copied, then every log and cache emptied.

    The events are put in time order unless they are in it already (ingest writes each load in
    time order): the ticks walk through the history a day at a time, and a history in another
    order (an older store's, loaded at once in customer order, say) would make each of their
    filters by time read every event; in time order they skip all but the day's.
    """
    for path in (target, Path(f"{target}.wal")):
        path.unlink(missing_ok=True)
    shutil.rmtree(f"{target}.content", ignore_errors=True)
    shutil.copyfile(source, target)
    store = Store(plan, target)
    try:
        con = store.con
        for name in con.list_tables():
            if name in (STATE, HISTORY):  # the state and its copy of events: made anew
                con.raw_sql(f'DROP TABLE "{name}"')
            elif name not in INPUTS:
                con.raw_sql(f'DELETE FROM "{name}"')
        if not in_time_order(store):
            con.raw_sql(
                'CREATE OR REPLACE TABLE "events" AS SELECT * FROM "events" ORDER BY "time"'
            )
        con.raw_sql("CHECKPOINT")
    finally:
        store.close()


ROW_GROUP = 122_880  # rows of a DuckDB row group, the unit its min/max statistics skip


def in_time_order(store: Store) -> bool:
    """Whether the events of a DuckDB store are in time order, or nearly: blocks of a row
    group's rows whose time ranges add up to at most twice the whole history's.

    In time order they add up to it; in any other order each block spans most of the history.
    """
    ((spans, whole),) = store.con.raw_sql(
        "SELECT sum(hi - lo), max(hi) - min(lo) FROM (SELECT epoch(max(time)) AS hi,"
        f" epoch(min(time)) AS lo FROM events GROUP BY rowid // {ROW_GROUP})"
    ).fetchall()
    return spans is None or spans <= 2 * whole
