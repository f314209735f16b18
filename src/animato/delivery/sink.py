"""A local SMTP sink (aiosmtpd) that keeps every email it receives as an ``.eml`` file: for the
demo and for trying a plan without a real relay.
"""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

_MESSAGE_ID = re.compile(rb"(?im)^Message-ID:\s*<?([^>\r\n]+)")


class _Keep:
    """aiosmtpd handler: each message to ``<folder>/<n>-<Message-ID>.eml``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        data: bytes = envelope.original_content or b""
        found = _MESSAGE_ID.search(data.split(b"\r\n\r\n", 1)[0])
        header = found.group(1).decode("ascii", "replace") if found else ""
        name = re.sub(r"[^A-Za-z0-9]+", "", header.split("@")[0])[:40] or "message"
        with self.lock:
            self.count += 1
            number = self.count
        (self.folder / f"{number:05}-{name}.eml").write_bytes(data)
        return "250 kept"


@contextmanager
def smtp_sink(folder: str | Path, host: str = "127.0.0.1", port: int = 0) -> Iterator[int]:
    """A running sink writing into ``folder``; yields its port (a free one unless given)."""
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    if not port:
        with socket.socket() as probe:
            probe.bind((host, 0))
            port = int(probe.getsockname()[1])
    controller = Controller(_Keep(target), hostname=host, port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()
