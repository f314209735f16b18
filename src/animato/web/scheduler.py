"""The scheduler of ``animato serve``: a tick every N minutes, delivery in between and the
retention purge once a day, in one background thread with its own store connection, stopped
gracefully (the tick or the message in hand is finished first).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from animato.delivery.worker import deliver
from animato.engine import Engine
from animato.privacy import retention
from animato.settings import Settings
from animato.store.store import Store

log = logging.getLogger("animato.scheduler")


@dataclass
class Status:
    """What the scheduler did last (shown by ``/health``)."""

    last_tick: datetime | None = None
    last_delivery: datetime | None = None
    last_purge: datetime | None = None
    delivered: dict[str, dict[str, int]] = field(default_factory=dict)
    error: str = ""


class Scheduler:
    """Runs ``tick(now)`` every ``tick_every`` seconds, delivery every ``deliver_every`` and the
    retention purge every ``purge_every`` (a day), when the plan declares retention periods.
    """

    def __init__(
        self,
        store: Store,
        settings: Settings,
        tick_every: float,
        deliver_every: float,
        purge_every: float = 24 * 3600,
    ) -> None:
        self.store, self.settings = store, settings
        self.tick_every, self.deliver_every = tick_every, deliver_every
        declared = store.plan.conventions.retention.model_dump(exclude_none=True)
        self.purge_every = purge_every if declared and not store.server else 0.0
        self.status = Status()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="animato-scheduler", daemon=True)

    def start(self) -> None:
        """Start the background thread (nothing to do when every period is 0)."""
        if self.tick_every > 0 or self.deliver_every > 0 or self.purge_every > 0:
            self._thread.start()

    def stop(self) -> None:
        """Ask the thread to stop and wait until it has."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        next_tick = next_delivery = next_purge = time.monotonic()
        while not self._stop.is_set():
            moment = time.monotonic()
            if self.tick_every > 0 and moment >= next_tick:
                self._guard(self.tick)
                next_tick = moment + self.tick_every
            if self.purge_every > 0 and moment >= next_purge and not self._stop.is_set():
                self._guard(self.purge)
                next_purge = moment + self.purge_every
            if self.deliver_every > 0 and moment >= next_delivery and not self._stop.is_set():
                self._guard(self.deliver)
                next_delivery = moment + self.deliver_every
            wake = min(t for t, e in ((next_tick, self.tick_every),
                                      (next_delivery, self.deliver_every),
                                      (next_purge, self.purge_every)) if e > 0)  # fmt: skip
            self._stop.wait(max(0.0, wake - time.monotonic()))

    def _guard(self, action: Any) -> None:
        try:
            action()
            self.status.error = ""
        except Exception as exc:  # keep serving; the next period tries again
            log.exception("scheduler: %s failed", action.__name__)
            self.status.error = f"{action.__name__}: {exc}"

    def tick(self) -> None:
        """One tick at the current time."""
        now = datetime.now(UTC).replace(tzinfo=None)
        Engine(self.store).tick(now)
        self.status.last_tick = now

    def purge(self) -> None:
        """Apply the retention periods now (the file is compacted by ``animato privacy purge``
        run with the service stopped).
        """
        now = datetime.now(UTC).replace(tzinfo=None)
        retention.purge(self.store, now, actor="scheduler")
        self.status.last_purge = now

    def deliver(self) -> None:
        """Deliver what is due now."""
        now = datetime.now(UTC).replace(tzinfo=None)
        summary = deliver(self.store, self.settings, now, stop=self._stop)
        self.status.last_delivery = now
        self.status.delivered = {k: dict(v) for k, v in summary.counts.items()}
