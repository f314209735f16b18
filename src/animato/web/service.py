"""The parts of ``animato serve`` and their store connections: one DuckDB file, a connection per
role (ingestion writer, tracking recorder, scheduler, privacy requests), so that a long tick does
not hold back a click or an ingested batch (DuckDB runs concurrent appends in one process).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from animato.errors import AnimatoError
from animato.plan.model import Plan
from animato.settings import Settings
from animato.store.store import Store
from animato.tracking.links import Tracker
from animato.tracking.recorder import Recorder
from animato.web.ingestion import Batcher
from animato.web.scheduler import Scheduler


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
    _threads: list[threading.Thread] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.location == ":memory:":
            raise AnimatoError("animato serve needs a store file, not an in-memory store")
        self._stores = [Store(self.plan, self.location) for _ in range(4)]
        ingest_store, track_store, engine_store, self.privacy = self._stores
        self.privacy_lock = threading.Lock()  # one export or erasure at a time
        self.batcher = Batcher(ingest_store)
        self.recorder = Recorder(track_store)
        self.tracker = Tracker.for_store(self.location, self.settings)
        self.scheduler = Scheduler(
            engine_store, self.settings, self.tick_every, self.deliver_every, self.purge_every
        )
        self._stop = threading.Event()

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
        self.scheduler.stop()
        self.batcher.stop()
        for thread in self._threads:
            thread.join()
        self.recorder.flush()
        for store in self._stores:
            store.close()
