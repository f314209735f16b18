"""Simulation: the plan replayed over history before go-live, and two plans compared.

``replay`` runs the production :class:`animato.engine.Engine` tick after tick on a copy of the
store (no second implementation of any rule); ``figures`` reads the copy's logs into tables;
``page`` draws them as an HTML report; ``diff`` replays two plans on the same data and says
what changes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from animato.engine.engagement import Assumption
from animato.plan.model import Plan
from animato.simulate import figures, page
from animato.simulate.replay import Replay, replay
from animato.store import Store


@dataclass
class Simulation:
    """A replay and its report."""

    replay: Replay
    figures: figures.Figures
    report: Path


def simulate(
    plan: Plan,
    source: Path,
    folder: Path,
    start: datetime,
    end: datetime,
    step: timedelta = timedelta(days=1),
    *,
    assume: Assumption | None = None,
    on_tick: Callable[[int, int, datetime], None] | None = None,
) -> Simulation:
    """Replay ``plan`` on the store ``source`` from ``start`` to ``end`` and write the report
    into ``folder`` (``report.html``, ``tables/``, and the replay's own ``store.duckdb``).

    Example: simulate(load_plan("examples/retail"), Path("build/demo.duckdb"),
    Path("build/simulation"), datetime(2026, 1, 1), datetime(2026, 1, 31))
    """
    done = replay(plan, source, folder, start, end, step, assume=assume, on_tick=on_tick)
    store = Store(plan, done.store)
    try:
        found = figures.compute(store, start, end, done.assume)
    finally:
        store.close()
    return Simulation(done, found, page.write(plan, found, folder))


__all__ = ["Simulation", "simulate", "replay"]
