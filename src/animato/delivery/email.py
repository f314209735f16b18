"""Email over SMTP: a MIME message per outbox row, sent on one kept-open connection.

The message is ``multipart/alternative`` (text, then HTML), with ``Message-ID`` made from the
outbox id, the sender of the program (or the plan's conventions), ``List-Unsubscribe`` with a
``mailto:`` and an HTTPS URL and ``List-Unsubscribe-Post: List-Unsubscribe=One-Click``
(RFC 8058), optionally DKIM-signed. ``DATA`` is written by hand so that the hand-off is logged
right before the final ``.``: a crash before it leaves an incomplete transaction, which the
server discards (RFC 5321 §4.1.1.4), so the message may be sent again; a crash after it is the
only window in which the outcome is unknown.
"""

from __future__ import annotations

import re
import smtplib
import socket
import ssl
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, formataddr
from pathlib import Path

from animato.delivery.channel import Adapter, Outcome, Outgoing, Report
from animato.delivery.hookspecs import hookimpl
from animato.settings import Settings

_DOTS = re.compile(rb"(?m)^\.")
# Header lines up to RFC 5322's hard limit: folding every long header (List-Unsubscribe…) at 78
# columns cost more than the rest of the message.
POLICY = SMTP.clone(max_line_length=998)


def build(message: Outgoing, default_from: str = "animato@localhost") -> EmailMessage:
    """The MIME message of an outgoing email."""
    sender = message.sender
    address = sender.address if sender and sender.address else default_from
    domain = address.rsplit("@", 1)[-1]
    mail = EmailMessage(policy=POLICY)
    mail["From"] = formataddr((sender.name if sender else "", address))
    if sender and sender.reply_to:
        mail["Reply-To"] = sender.reply_to
    mail["To"] = message.address
    mail["Subject"] = message.subject
    mail["Date"] = format_datetime(message.send_at.replace(tzinfo=UTC), usegmt=True)
    mail["Message-ID"] = f"<{message.message_id}@{domain}>"
    unsubscribe = [f"<{u}>" for u in (message.unsubscribe_mailto, message.unsubscribe_url) if u]
    if unsubscribe:
        mail["List-Unsubscribe"] = ", ".join(unsubscribe)
    if message.unsubscribe_url:
        mail["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    mail["X-Animato-Message"] = message.message_id
    mail.set_content(message.text or "", subtype="plain", charset="utf-8")
    if message.html:
        mail.add_alternative(message.html, subtype="html", charset="utf-8")
    return mail


class Smtp(Adapter):
    """Sends email through an SMTP relay (plain, STARTTLS or TLS; optional login and DKIM)."""

    channel = "email"
    provider = "smtp"

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings.smtp_rate)
        self.settings = settings
        self._local = threading.local()  # one connection per sending thread
        self._all: list[smtplib.SMTP] = []
        self._lock = threading.Lock()
        self._dkim: bytes | None = None
        if settings.dkim_key:
            self._dkim = Path(settings.dkim_key).read_bytes()

    @property
    def _conn(self) -> smtplib.SMTP | None:
        conn: smtplib.SMTP | None = getattr(self._local, "conn", None)
        return conn

    def send(self, messages: Sequence[Outgoing], report: Report) -> None:
        """Send on ``ANIMATO_SMTP_CONNECTIONS`` connections at once (each message's records are
        written as it goes, whichever thread sends it).
        """
        lanes = max(1, min(self.settings.smtp_connections, len(messages)))
        if lanes == 1:
            super().send(messages, report)
            return
        safe, one_lane = _Locked(report), super().send
        with ThreadPoolExecutor(lanes, thread_name_prefix="animato-smtp") as pool:
            lanes_done = [pool.submit(one_lane, messages[i::lanes], safe) for i in range(lanes)]
            for done in lanes_done:
                done.result()

    def _connect(self) -> smtplib.SMTP:
        if self._conn is not None:
            return self._conn
        s = self.settings
        context = ssl.create_default_context(cafile=s.smtp_ca_file or None)
        conn: smtplib.SMTP
        if s.smtp_security == "tls":
            conn = smtplib.SMTP_SSL(
                s.smtp_host, s.smtp_port, timeout=s.smtp_timeout, context=context
            )
        else:
            conn = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout)
            if s.smtp_security == "starttls":
                conn.starttls(context=context)
        if conn.sock is not None:  # small commands must not wait behind Nagle's algorithm
            conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn.ehlo_or_helo_if_needed()
        if s.smtp_user:
            conn.login(s.smtp_user, s.smtp_password)
        self._local.conn = conn
        with self._lock:
            self._all.append(conn)
        return conn

    def _drop(self) -> None:
        conn = self._conn
        if conn is not None:
            self._local.conn = None
            with self._lock:
                self._all.remove(conn)
            conn.close()

    def payload(self, message: Outgoing) -> bytes:
        """The bytes sent after ``DATA``: the MIME message, DKIM-signed when a key is set."""
        data = build(message).as_bytes(policy=POLICY)
        if self._dkim is not None:
            import dkim

            sender = message.sender.address if message.sender else ""
            domain = (sender or "localhost").rsplit("@", 1)[-1].encode()
            headers = [b"From", b"To", b"Subject", b"Date", b"Message-ID", b"List-Unsubscribe",
                       b"List-Unsubscribe-Post"]  # fmt: skip
            signature = dkim.sign(
                data,
                self.settings.dkim_selector.encode(),
                domain,
                self._dkim,
                include_headers=headers,
            )
            data = signature + data
        return data

    def send_one(self, message: Outgoing, handoff: Callable[[], None]) -> Outcome:
        """One SMTP transaction: MAIL, RCPT, DATA; the hand-off before the final dot."""
        data = self.payload(message)
        sender = message.sender.address if message.sender and message.sender.address else ""
        try:
            conn = self._connect()
            code, reply = conn.mail(sender or "animato@localhost")
            if code != 250:
                return self._refused(code, reply, "MAIL")
            code, reply = conn.rcpt(message.address)
            if code not in (250, 251):
                outcome = self._refused(code, reply, "RCPT", suppress="hard_bounce")
                conn.rset()
                return outcome
            code, reply = conn.docmd("DATA")
            if code != 354:
                outcome = self._refused(code, reply, "DATA")
                conn.rset()
                return outcome
            body = _DOTS.sub(b"..", data)
            if not body.endswith(b"\r\n"):
                body += b"\r\n"
            conn.send(body)
        except (OSError, smtplib.SMTPException) as exc:
            self._drop()
            return Outcome("temporary", f"{type(exc).__name__}: {exc}")
        handoff()
        try:
            conn.send(b".\r\n")
            code, reply = conn.getreply()
        except (OSError, smtplib.SMTPException) as exc:
            self._drop()
            return Outcome("unknown", f"after the final dot: {type(exc).__name__}: {exc}")
        if code == 250:
            return Outcome("sent", provider_id=reply.decode("utf-8", "replace")[:200])
        return self._refused(code, reply, "end of DATA")

    @staticmethod
    def _refused(code: int, reply: bytes, step: str, suppress: str = "") -> Outcome:
        text = f"{step} {code} {reply.decode('utf-8', 'replace')}"[:500]
        if 500 <= code < 600:
            return Outcome("permanent", text, suppress=suppress)
        return Outcome("temporary", text)

    def close(self) -> None:
        """Say QUIT to the relay on every connection."""
        with self._lock:
            conns, self._all = self._all, []
        for conn in conns:
            try:
                conn.quit()
            except (OSError, smtplib.SMTPException):
                pass
        self._local = threading.local()


class _Locked:
    """A report shared by the sending threads: one record at a time."""

    def __init__(self, report: Report) -> None:
        self.report = report
        self.lock = threading.Lock()

    def handoff(self, message: Outgoing) -> None:
        with self.lock:
            self.report.handoff(message)

    def done(self, message: Outgoing, outcome: Outcome) -> None:
        with self.lock:
            self.report.done(message, outcome)


@hookimpl
def animato_channel_adapters(settings: Settings, files_dir: str) -> list[Adapter]:
    """Email through the SMTP relay of the settings."""
    return [Smtp(settings)] if settings.smtp_host else []
