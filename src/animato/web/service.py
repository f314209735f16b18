"""The parts of ``animato serve`` and their store connections: one DuckDB file, a connection per
role (ingestion writer, tracking recorder, scheduler, privacy requests, dashboard reader), so that
a long tick does not hold back a click or an ingested batch (DuckDB runs concurrent appends in one
process).

The service has a clock: the wall clock, or one started at a given time (``serve --now``: the
demo's history ends in January 2026, and its ticks and deliveries must run then, not today).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from animato.errors import AnimatoError
from animato.plan.model import Plan
from animato.settings import Settings, secret_for
from animato.store.store import Store
from animato.tracking.links import Tracker
from animato.tracking.recorder import Recorder
from animato.web.dashboard.jobs import Jobs
from animato.web.ingestion import Batcher
from animato.web.scheduler import Scheduler, wall_clock
from animato.web.sessions import Sessions
from animato.web.users import Users, users_path


@dataclass
class Service:
    """Everything the HTTP app needs, started and stopped with it."""

    plan: Plan
    location: str
    settings: Settings
    tick_every: float = 0.0  # seconds; 0: no scheduled ticks
    deliver_every: float = 0.0
    purge_every: float = 24 * 3600.0  # the retention purge, when the plan declares periods
    flush_every: float = 0.5
    start_at: datetime | None = None  # the clock's time at start (None: the wall clock)
    _threads: list[threading.Thread] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.location == ":memory:":
            raise AnimatoError("animato serve needs a store file, not an in-memory store")
        self._stores = [Store(self.plan, self.location) for _ in range(5)]
        ingest_store, track_store, engine_store, self.privacy, self.reader = self._stores
        self.privacy_lock = threading.Lock()  # one export or erasure at a time
        self.reading = threading.Lock()  # the dashboard's connection, one query at a time
        self.batcher = Batcher(ingest_store)
        self.recorder = Recorder(track_store)
        self.tracker = Tracker.for_store(self.location, self.settings)
        self._started = time.monotonic()
        self.scheduler = Scheduler(
            engine_store,
            self.settings,
            self.tick_every,
            self.deliver_every,
            self.purge_every,
            clock=self.now,
        )
        self.users = Users(users_path(self.location))
        self.sessions = Sessions(secret_for(self.location, self.settings))
        self.jobs = Jobs()
        self._stop = threading.Event()

    def now(self) -> datetime:
        """The service's clock (naive UTC)."""
        if self.start_at is None:
            return wall_clock()
        return self.start_at + timedelta(seconds=time.monotonic() - self._started)

    def start(self) -> None:
        """Start the ingestion writer, the hit flusher and the scheduler."""
        self.batcher.start()
        flusher = threading.Thread(target=self._flush, name="animato-flush", daemon=True)
        flusher.start()
        self._threads.append(flusher)
        self.scheduler.start()

    def _flush(self) -> None:
        while not self._stop.wait(self.flush_every):
            self.recorder.flush()

    def stop(self) -> None:
        """Finish what is under way (a tick, a delivery batch, queued batches and hits), then
        close the store connections.
        """
        self._stop.set()
        self.jobs.wait()
        self.scheduler.stop()
        self.batcher.stop()
        for thread in self._threads:
            thread.join()
        self.recorder.flush()
        for store in self._stores:
            store.close()
