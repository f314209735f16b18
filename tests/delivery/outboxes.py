"""A plan whose campaigns fill the outbox through the real engine, and a real SMTP server."""

from __future__ import annotations

import socket
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pyarrow as pa
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from animato import load_plan
from animato.engine import Engine
from animato.store import Store

AT = datetime(2027, 3, 1, 9)  # the campaigns' time (10:00 in Paris)
AFTER = datetime(2027, 3, 1, 12)
PLAN = """\
name: Delivery test
salt: pepper
timezone: Europe/Paris
data:
  customer:
    first_name: string
    address: string
    city: string
  events:
    purchase: {properties: {amount: number}}
conventions:
  senders:
    email: {name: Maison Test, address: bonjour@maison-test.fr, reply_to: service@maison-test.fr}
    sms: {name: MTEST}
programs:
  - id: p
    name: P
    kpis: [{name: CA, metric: revenue}]
    campaigns:
      - {id: CAMPAIGN, name: Promo, channel: CHANNEL, template: TEMPLATE, at: 2027-03-01T10:00:00}
"""
MAIL = """\
---
subject: Bonjour {{ customer.first_name }}
---
<html><body><p>Bonjour {{ customer.first_name }}, voyez
<a href="https://maison-test.fr/soldes?x=1&y=2">nos soldes</a>.</p>
<p><a href="{{ links.shop }}">La boutique</a> ·
<a href="{{ links.unsubscribe }}">Désinscription</a></p>
</body></html>
"""
TEXTS = {"sms.liquid": "Bonjour {{ customer.first_name }} !\n",
         "appel.txt": "Appeler {{ customer.first_name }}\n",
         "courrier.txt": "Cher {{ customer.first_name }}\n"}  # fmt: skip


def make_store(
    folder: Path,
    count: int,
    *,
    channel: str = "email",
    template: str = "mail",
    campaign: str = "promo",
    location: str | None = None,
) -> Store:
    """A store with ``count`` customers (c000…), consents, and one campaign's outbox at AT."""
    (folder / "templates").mkdir(parents=True, exist_ok=True)
    text = PLAN.replace("CAMPAIGN", campaign).replace("CHANNEL", channel)
    (folder / "plan.yaml").write_text(text.replace("TEMPLATE", template))
    (folder / "templates" / "mail.html").write_text(MAIL)
    for name, body in TEXTS.items():
        (folder / "templates" / name).write_text(body)
    store = Store(load_plan(folder), location or ":memory:")
    people = [
        {"customer_id": f"c{i:03}", "first_name": f"Client{i}", "email": f"c{i:03}@example.fr",
         "phone": f"+3361234{i:04}", "address": f"{i} rue Haute", "city": "Lyon"}
        for i in range(count)
    ]  # fmt: skip
    store.append("customers", pa.Table.from_pylist(people))
    consents = [
        {"consent_id": f"{p['customer_id']}-{ch}", "customer_id": p["customer_id"],
         "channel": ch, "purpose": "marketing", "granted": True, "time": datetime(2020, 1, 1)}
        for p in people
        for ch in ("email", "sms", "call", "postal", "push")
    ]  # fmt: skip
    store.append("consents", pa.Table.from_pylist(consents))
    Engine(store).tick(AFTER, since=datetime(2027, 3, 1))
    return store


def rows(store: Store, table: str) -> list[dict[str, Any]]:
    """Every row of a store table."""
    return list(store.table(table).to_pyarrow().to_pylist())


@dataclass
class Inbox:
    """What the SMTP server received, and how it answers some recipients."""

    messages: list[EmailMessage] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)  # recipient → SMTP reply
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(  # noqa: N802 (aiosmtpd's hook names)
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        parsed = message_from_bytes(envelope.original_content or b"", policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        with self.lock:
            self.messages.append(parsed)
            self.raw.append(envelope.original_content or b"")
        return "250 queued as " + str(len(self.messages))

    def ids(self) -> Counter[str]:
        """Received messages counted by their X-Animato-Message header."""
        with self.lock:
            return Counter(str(m["X-Animato-Message"]) for m in self.messages)


def free_port() -> int:
    """A loopback TCP port nobody listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def smtp_server() -> tuple[Controller, Inbox]:
    """A started aiosmtpd server on a free loopback port."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    return controller, inbox
