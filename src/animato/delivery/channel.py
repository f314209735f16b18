"""The channel adapter interface: what a provider plugin implements to deliver one channel.

An adapter gets batches of :class:`Outgoing` messages and tells the :class:`Report` two things
per message: :meth:`Report.handoff` right before the step that cannot be taken back (the final
``.`` of an SMTP ``DATA``, the HTTP request to a provider, the rename of a file), then
:meth:`Report.done` with the provider's answer. Everything else (which messages, retries,
suppressions, the logs) is the worker's.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any, Literal, Protocol

from animato.plan.model import Sender

Status = Literal["sent", "temporary", "permanent", "unknown"]


@dataclass(frozen=True)
class Outgoing:
    """One outbox message ready to go: content, recipient's address, sender, unsubscribe URLs."""

    message_id: str
    customer_id: str
    action_id: str
    step_id: str
    program_id: str
    channel: str
    send_at: datetime
    address: str
    attempt: int = 1
    subject: str = ""
    html: str = ""
    text: str = ""
    sms_encoding: str = ""
    sms_segments: int = 0
    fields: dict[str, Any] = field(default_factory=dict)
    sender: Sender | None = None
    unsubscribe_url: str = ""
    unsubscribe_mailto: str = ""


@dataclass(frozen=True)
class Outcome:
    """A provider's answer. ``permanent`` with ``suppress`` (a reason such as ``hard_bounce``
    or ``invalid_number``) also suppresses the address; ``unknown``: the hand-off was under way
    when the connection failed (in doubt).
    """

    status: Status
    detail: str = ""
    provider_id: str = ""
    suppress: str = ""


class Report(Protocol):
    """Where an adapter says what happened to each message."""

    def handoff(self, message: Outgoing) -> None:
        """The irrevocable step for ``message`` starts now (logged before it is taken)."""

    def done(self, message: Outgoing, outcome: Outcome) -> None:
        """The provider answered for ``message``."""


class Adapter:
    """Base of channel adapters: override :meth:`send_one` (or :meth:`send` for batches)."""

    channel: str = ""
    provider: str = ""
    # the provider drops a second hand-off of the same message id (idempotency key): a hand-off
    # whose outcome is unknown may then be sent again safely
    idempotent: bool = False

    def __init__(self, rate: float = 0.0) -> None:
        self.limit = RateLimit(rate)

    def send(self, messages: Sequence[Outgoing], report: Report) -> None:
        """Deliver a batch: by default one message at a time, within the rate limit."""
        for message in messages:
            self.limit.wait()
            outcome = self.send_one(message, partial(report.handoff, message))
            report.done(message, outcome)

    def send_one(self, message: Outgoing, handoff: Callable[[], None]) -> Outcome:
        """Deliver one message; call ``handoff()`` right before the irrevocable step."""
        raise NotImplementedError

    def resolve(self, messages: Sequence[Outgoing]) -> dict[str, bool]:
        """For hand-offs whose outcome is unknown: which were received (``True``) or not
        (``False``), for those the adapter can tell; by default none.
        """
        return {}

    def close(self) -> None:
        """Release connections."""


class RateLimit:
    """At most ``rate`` calls per second (0: unlimited), spaced evenly; thread-safe."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        """Block until the next call is allowed."""
        if not self.interval:
            return
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + self.interval
        if start > now:
            time.sleep(start - now)
