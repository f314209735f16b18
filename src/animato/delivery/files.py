"""Call lists and postal mail: CSV files for the call centre and the mail house.

One file per channel, day (of the send time, UTC) and campaign or scenario:
``<files>/<channel>/<YYYY-MM-DD>_<action>.csv``. A file is written whole to a temporary name,
synced, then renamed over the old one, so a reader never sees half a file; a later delivery of
the same day and action rewrites it with the rows it already held plus the new ones. Whether an
in-doubt message went out is then known exactly: it did when its row is in the file.
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from animato.delivery.channel import Adapter, Outcome, Outgoing, Report
from animato.delivery.hookspecs import hookimpl
from animato.settings import Settings

BASE = ["message_id", "customer_id", "action_id", "step_id", "send_at", "text"]


class CsvFiles(Adapter):
    """Writes a channel's messages to daily CSV files per action, atomically."""

    def __init__(self, channel: str, folder: Path) -> None:
        super().__init__()
        self.channel = channel
        self.provider = f"files:{channel}"
        self.folder = folder / channel

    def path(self, message: Outgoing) -> Path:
        """The file of a message's day and action."""
        return self.folder / f"{message.send_at.date().isoformat()}_{message.action_id}.csv"

    def send(self, messages: Sequence[Outgoing], report: Report) -> None:
        """Write the messages' rows into their files; each file is one hand-off."""
        groups: dict[Path, list[Outgoing]] = {}
        for message in messages:
            groups.setdefault(self.path(message), []).append(message)
        for path, group in groups.items():
            rows = {r["message_id"]: r for r in _read(path)}
            for message in group:
                rows[message.message_id] = _row(message)
            for message in group:
                report.handoff(message)
            try:
                _write_atomically(path, list(rows.values()))
            except OSError as exc:
                for message in group:
                    report.done(message, Outcome("temporary", f"{type(exc).__name__}: {exc}"))
                continue
            for message in group:
                report.done(message, Outcome("sent", str(path)))

    def resolve(self, messages: Sequence[Outgoing]) -> dict[str, bool]:
        """A message went out when its row is in its file."""
        found: dict[str, bool] = {}
        cache: dict[Path, set[str]] = {}
        for message in messages:
            path = self.path(message)
            if path not in cache:
                cache[path] = {r["message_id"] for r in _read(path)}
            found[message.message_id] = message.message_id in cache[path]
        return found


def _row(message: Outgoing) -> dict[str, Any]:
    row: dict[str, Any] = {
        "message_id": message.message_id,
        "customer_id": message.customer_id,
        "action_id": message.action_id,
        "step_id": message.step_id,
        "send_at": message.send_at.isoformat(),
        "text": message.text,
    }
    for key, value in message.fields.items():
        row.setdefault(key, "" if value is None else value)
    return row


def _read(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


def _write_atomically(path: Path, rows: list[dict[str, Any]]) -> None:
    columns = list(BASE)
    for row in rows:
        columns += [k for k in row if k not in columns]
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as file:
            writer = csv.DictWriter(file, columns, restval="")
            writer.writeheader()
            writer.writerows(rows)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)  # the rename itself survives a power cut
    finally:
        os.close(directory)


@hookimpl
def animato_channel_adapters(settings: Settings, files_dir: str) -> list[Adapter]:
    """Call lists and postal files in the settings' folder (or beside the store)."""
    folder = Path(settings.files_dir or files_dir)
    return [CsvFiles("call", folder), CsvFiles("postal", folder)]
