"""Volumes of the calendar and pressure pages: campaign sends with what they reached or will
reach, and the pressure customers feel now and in the last simulation.

A campaign send already run shows the messages it made (its target after the hard filters)
and how many went into the outbox; one to come shows the customers in its target at the last
tick (the simulation's own measure of target size).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow.parquet as pq

from animato.plan import model as m
from animato.sheet.calendar import Send, campaign_sends
from animato.simulate import figures
from animato.simulate.replay import META
from animato.store.store import Store

NOW_WEEKS = 4  # the "now" of the pressure page: the four weeks up to the last tick


@dataclass
class Planned:
    """One campaign send of the year and its volume."""

    send: Send
    made: int | None = None  # messages made (None: not run yet)
    accepted: int | None = None
    target: int | None = None  # customers in the target now (sends to come)


def campaign_volumes(store: Store, year: int, targets: dict[str | None, int]) -> list[Planned]:
    """Every campaign send of ``year`` with its volume; ``targets`` from
    :func:`animato.simulate.figures.target_sizes` at the last tick.
    """
    plan = store.plan
    zone = ZoneInfo(plan.timezone)
    ids = [c.id for c in plan.campaigns]
    messages = store.table("messages")
    mine = messages.filter(messages.action_id.isin(ids))
    accepted = mine.message_id.isin(store.table("outbox").message_id)
    counts = mine.group_by("action_id", "due_at").aggregate(
        made=mine.count(), accepted=accepted.cast("int64").sum()
    )
    done: dict[tuple[str, date], tuple[int, int]] = {}
    for row in counts.to_pyarrow().to_pylist():
        local = row["due_at"].replace(tzinfo=UTC).astimezone(zone).date()
        made, took = done.get((row["action_id"], local), (0, 0))
        done[(row["action_id"], local)] = (made + row["made"], took + int(row["accepted"] or 0))
    out = []
    for send in campaign_sends(plan, year):
        key = (send.campaign.id, send.moment.date())
        if key in done:
            out.append(Planned(send, *done[key]))
        else:
            target = send.campaign.target or plan.program_of(send.campaign.id).target
            out.append(Planned(send, target=targets.get(target, targets.get(None))))
    return out


def pressure_now(store: Store, last_tick: datetime) -> figures.Figures:
    """Pressure over the weeks up to the last tick (since the first tick, if later), from the
    live outbox.
    """
    first = store.table("ticks").previous.min().to_pyarrow().as_py()
    start = last_tick - timedelta(weeks=NOW_WEEKS)
    if isinstance(first, datetime) and first > start:
        start = first
    return figures.pressure(store, start, last_tick)


def last_simulation(plan: m.Plan, folder: Path) -> figures.Figures | None:
    """The pressure figures of the simulation report in ``folder``, if one was written."""
    tables = folder / "tables"
    try:
        meta = json.loads((folder / META).read_text(encoding="utf-8"))
        found = figures.Figures(
            datetime.fromisoformat(meta["start"]),
            datetime.fromisoformat(meta["end"]),
            0,
            caps=figures.caps(plan),
        )
        for name in ("pressure_week", "pressure_month"):
            found.tables[name] = pq.read_table(tables / f"{name}.parquet")
    except (OSError, ValueError, KeyError):
        return None
    return found
