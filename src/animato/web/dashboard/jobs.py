"""Operator jobs started from the dashboard (a tick, a simulation), run in a background thread
one at a time, with their progress for the pages to show.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from animato.errors import AnimatoError

log = logging.getLogger("animato.dashboard")


@dataclass
class Job:
    """One job: what, who, its progress and how it ended."""

    kind: str  # tick | simulation
    by: str
    started: datetime
    done: int = 0
    total: int = 0
    moment: datetime | None = None  # the tick under way
    finished: datetime | None = None
    summary: str = ""
    error: str = ""

    @property
    def running(self) -> bool:
        """Whether it has not finished yet."""
        return self.finished is None


class Busy(AnimatoError):
    """A job is already running."""


class Stopped(AnimatoError):
    """A job stopped because the service stops."""


class Jobs:
    """The job under way and the ones before it (newest first)."""

    def __init__(self) -> None:
        self.history: list[Job] = []
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self.stopping = threading.Event()  # set at shutdown: a long job stops at its next step

    @property
    def current(self) -> Job | None:
        """The running job, if any."""
        return next((j for j in self.history if j.running), None)

    def start(self, kind: str, by: str, work: Callable[[Job], str]) -> Job:
        """Run ``work(job)`` (which returns the summary) in the background; :class:`Busy` if a
        job runs already.
        """
        with self._lock:
            if self.current is not None:
                raise Busy(f"a {self.current.kind} started by {self.current.by} is under way")
            job = Job(kind, by, _now())
            self.history.insert(0, job)
            del self.history[20:]
        thread = threading.Thread(target=self._run, args=(job, work), name=f"animato-{kind}")
        self._threads.append(thread)
        thread.start()
        return job

    def _run(self, job: Job, work: Callable[[Job], str]) -> None:
        try:
            job.summary = work(job)
        except Exception as exc:  # shown on the page; the service keeps serving
            log.exception("dashboard: %s failed", job.kind)
            job.error = str(exc) or type(exc).__name__
        finally:
            job.finished = _now()

    def wait(self) -> None:
        """Ask the jobs under way to stop at their next step, and wait for them (at shutdown)."""
        self.stopping.set()
        for thread in self._threads:
            thread.join()


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
