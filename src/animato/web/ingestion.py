"""Ingestion over HTTP: records posted to the API go through the same checks and quarantine as
file ingestion (:func:`animato.store.ingest.ingest`).

Requests are gathered by one writer thread (group commit): the batches waiting when it is free
are written together as one JSON Lines file under ``<store>.api/`` and ingested at once, then
each request learns which of its records were rejected and why. A record that is not a JSON
object is rejected as malformed; the others of its batch still load.
"""

from __future__ import annotations

import csv
import json
import queue
import threading
import uuid
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from animato.settings import side_prefix
from animato.store.ingest import REQUIRED_COLUMNS, Kind, ingest
from animato.store.quarantine import quarantine_path
from animato.store.store import Store

MAX_GROUP = 50_000  # records ingested together at most


@dataclass
class Accepted:
    """What became of a posted batch: how many records, and the rejected ones with a reason."""

    received: int
    rejected: list[dict[str, Any]] = field(default_factory=list)

    @property
    def accepted(self) -> int:
        """Records loaded (or already known: a re-post adds nothing)."""
        return self.received - len(self.rejected)


@dataclass
class _Job:
    kind: Kind
    records: Sequence[Any]
    future: Future[Accepted]


class Batcher:
    """The writer thread that ingests posted batches, several at a time."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.folder = Path(side_prefix(store.location) + ".api")
        self._queue: queue.Queue[_Job | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="animato-ingest", daemon=True)
        self._started = False

    def start(self) -> None:
        """Start the writer thread."""
        if not self._started:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._thread.start()
            self._started = True

    def submit(self, kind: Kind, records: Sequence[Any]) -> Future[Accepted]:
        """Queue a batch; the future gives its :class:`Accepted`."""
        future: Future[Accepted] = Future()
        self._queue.put(_Job(kind, records, future))
        return future

    def stop(self) -> None:
        """Ingest what is queued, then stop the thread."""
        if self._started:
            self._queue.put(None)
            self._thread.join()
            self._started = False

    def _run(self) -> None:
        waiting: list[_Job] = []
        stopping = False
        while not (stopping and not waiting):
            if not waiting:
                job = self._queue.get()
                if job is None:
                    break
                waiting.append(job)
            while True:  # everything queued meanwhile joins the group
                try:
                    job = self._queue.get_nowait()
                except queue.Empty:
                    break
                if job is None:
                    stopping = True
                    break
                waiting.append(job)
            kind = waiting[0].kind
            group: list[_Job] = []
            size = 0
            for job in waiting:
                if job.kind == kind and (not group or size + len(job.records) <= MAX_GROUP):
                    group.append(job)
                    size += len(job.records)
            waiting = [job for job in waiting if job not in group]
            self._ingest(kind, group)

    def _ingest(self, kind: Kind, group: list[_Job]) -> None:
        path = self.folder / f"{kind}-{uuid.uuid4().hex}.jsonl"
        try:
            # the columns a kind requires are there even if no record has them: such records
            # are then rejected one by one (as missing), like any other bad record
            needed: dict[str, Any] | None = dict.fromkeys(REQUIRED_COLUMNS[kind])
            with path.open("w", encoding="utf-8") as file:
                for job in group:
                    for record in job.records:
                        if needed is not None and isinstance(record, dict):
                            record, needed = {**needed, **record}, None
                        file.write(json.dumps(record, ensure_ascii=False, default=str))
                        file.write("\n")
            summary = ingest(self.store, kind, path, origin="api")
            reasons = _rejected(summary.quarantine_file)
        except Exception as exc:  # e.g. no record has a required column: the group is refused
            if len(group) > 1:  # one request's mistake must not fail the others: each alone
                for job in group:
                    self._ingest(kind, [job])
            else:
                group[0].future.set_exception(exc)
            return
        finally:
            path.unlink(missing_ok=True)
            quarantine_path(path).unlink(missing_ok=True)
        start = 1
        for job in group:
            rejected = [
                {"index": row - start, "reason": reasons[row]}
                for row in range(start, start + len(job.records))
                if row in reasons
            ]
            job.future.set_result(Accepted(len(job.records), rejected))
            start += len(job.records)


def _rejected(path: Path | None) -> dict[int, str]:
    """Row number → reason, from an ingest's quarantine file."""
    if path is None or not path.exists():
        return {}
    with path.open(newline="", encoding="utf-8") as file:
        reader = csv.DictReader(file)
        *_, number, reason = reader.fieldnames or ["row_number", "reason"]  # the last two
        return {int(r[number]): r[reason] for r in reader}
