"""Email over SMTP against a real aiosmtpd server: MIME, headers, tracked links, outcomes."""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from animato.delivery import deliver
from animato.settings import Settings, secret_for
from animato.tracking import Signer
from tests.delivery.outboxes import AFTER, Inbox, make_store, rows, smtp_server


@pytest.fixture(autouse=True)
def public_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANIMATO_PUBLIC_URL", "https://t.example")


@pytest.fixture
def smtp() -> Iterator[tuple[Controller, Inbox]]:
    controller, inbox = smtp_server()
    try:
        yield controller, inbox
    finally:
        controller.stop()


def settings_for(controller: Controller) -> Settings:
    return Settings(smtp_host="127.0.0.1", smtp_port=controller.port,
                    public_url="https://t.example")  # fmt: skip


def test_emails_arrive_as_multipart_with_the_headers_and_signed_links(
    tmp_path: Path, smtp: tuple[Controller, Inbox]
) -> None:
    controller, inbox = smtp
    store = make_store(tmp_path / "plan", 3)
    settings = settings_for(controller)
    summary = deliver(store, settings, AFTER)
    assert summary.counts["email"] == {"sent": 3}
    assert len(inbox.messages) == 3
    outbox = {r["message_id"]: r for r in rows(store, "outbox")}
    signer = Signer(secret_for(store.location, settings))
    for mail in inbox.messages:
        message_id = str(mail["X-Animato-Message"])
        assert message_id in outbox
        assert mail["Message-ID"] == f"<{message_id}@maison-test.fr>"
        assert str(mail["From"]) == "Maison Test <bonjour@maison-test.fr>"
        assert str(mail["Reply-To"]) == "service@maison-test.fr"
        assert mail["Subject"].startswith("Bonjour Client")
        assert mail.get_content_type() == "multipart/alternative"
        parts = [p.get_content_type() for p in mail.iter_parts()]
        assert parts == ["text/plain", "text/html"]
        unsubscribe = re.findall(r"<([^>]+)>", str(mail["List-Unsubscribe"]))
        assert unsubscribe[0].startswith("mailto:unsubscribe@maison-test.fr?subject=")
        assert unsubscribe[1].startswith("https://t.example/u/")
        assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        html = mail.get_body(("html",)).get_content()  # type: ignore[union-attr]
        hrefs = [h.replace("&amp;", "&") for h in re.findall(r'href="([^"]+)"', html)]
        assert len(hrefs) == 3 and all(h.startswith("https://t.example/") for h in hrefs)
        tokens = [signer.parse(h.rsplit("/", 1)[1]) for h in hrefs]
        assert [t.kind if t else None for t in tokens] == ["c", "c", "u"]
        assert tokens[0] is not None and tokens[0].url == "https://maison-test.fr/soldes?x=1&y=2"
        assert tokens[1] is not None and tokens[1].url == "https://maison-test.fr/"
        assert all(t is not None and t.message_id == message_id for t in tokens)
        text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        assert "https://maison-test.fr" not in text and "https://t.example/c/" in text
    delivered = {r["message_id"] for r in rows(store, "engagement") if r["kind"] == "delivered"}
    assert delivered == set(outbox)
    assert {r["status"] for r in rows(store, "deliveries")} == {"sent"}
    assert deliver(store, settings, AFTER).total == 0  # nothing is sent twice
    assert len(inbox.messages) == 3


def test_a_hard_bounce_suppresses_and_a_temporary_failure_is_retried_later(
    tmp_path: Path, smtp: tuple[Controller, Inbox]
) -> None:
    controller, inbox = smtp
    inbox.refuse = {"c000@example.fr": "550 5.1.1 no such user", "c001@example.fr": "451 busy"}
    store = make_store(tmp_path / "plan", 3)
    settings = settings_for(controller)
    summary = deliver(store, settings, AFTER)
    assert summary.counts["email"] == {"sent": 1, "failed": 1, "retry": 1}
    [bounce] = [r for r in rows(store, "suppressions")]
    assert (bounce["customer_id"], bounce["channel"], bounce["reason"]) == (
        "c000", "email", "hard_bounce")  # fmt: skip
    assert [r["kind"] for r in rows(store, "engagement") if r["customer_id"] == "c000"] == [
        "bounced"
    ]
    assert deliver(store, settings, AFTER).total == 0  # the retry waits for its time
    inbox.refuse = {}
    later = deliver(store, settings, AFTER.replace(hour=13))
    assert later.counts["email"] == {"sent": 1}
    attempts = [(r["attempt"], r["status"]) for r in rows(store, "delivery_attempts")
                if r["customer_id"] == "c001"]  # fmt: skip
    assert sorted(attempts) == [(1, "started"), (1, "temporary"), (2, "handoff"), (2, "sent"),
                                (2, "started")]  # fmt: skip
    assert sorted(inbox.ids().values()) == [1, 1]


def test_a_suppression_or_withdrawal_after_rendering_stops_the_message(
    tmp_path: Path, smtp: tuple[Controller, Inbox]
) -> None:
    import pyarrow as pa

    controller, inbox = smtp
    store = make_store(tmp_path / "plan", 3)
    store.append("suppressions", pa.Table.from_pylist([
        {"suppression_id": "s", "customer_id": "c000", "channel": "all", "reason": "erased",
         "active": True, "time": AFTER}]))  # fmt: skip
    store.append("consents", pa.Table.from_pylist([
        {"consent_id": "w", "customer_id": "c001", "channel": "email", "purpose": "marketing",
         "granted": False, "time": AFTER}]))  # fmt: skip
    summary = deliver(store, settings_for(controller), AFTER)
    assert summary.counts["email"] == {
        "sent": 1, "withheld:suppressed": 1, "withheld:no_consent": 1}  # fmt: skip
    assert list(inbox.ids()) == [r["message_id"] for r in rows(store, "outbox")
                                 if r["customer_id"] == "c002"]  # fmt: skip


def test_messages_not_due_or_failed_to_render_are_not_sent(
    tmp_path: Path, smtp: tuple[Controller, Inbox]
) -> None:
    controller, inbox = smtp
    store = make_store(tmp_path / "plan", 2)
    store.con.raw_sql("UPDATE outbox SET error = 'template_error: x' WHERE customer_id = 'c000'")
    assert deliver(store, settings_for(controller), AFTER.replace(hour=8)).total == 0
    assert deliver(store, settings_for(controller), AFTER).counts["email"] == {"sent": 1}
    assert len(inbox.messages) == 1


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_dkim_signature_verifies(tmp_path: Path, smtp: tuple[Controller, Inbox]) -> None:
    import dkim

    controller, inbox = smtp
    key = tmp_path / "dkim.pem"
    subprocess.run(["openssl", "genrsa", "-traditional", "-out", str(key), "1024"], check=True,
                   capture_output=True)  # fmt: skip
    public = subprocess.run(["openssl", "rsa", "-in", str(key), "-pubout", "-outform", "DER"],
                            check=True, capture_output=True).stdout  # fmt: skip
    store = make_store(tmp_path / "plan", 1)
    settings = Settings(smtp_host="127.0.0.1", smtp_port=controller.port, dkim_key=str(key),
                        dkim_selector="sel")  # fmt: skip
    deliver(store, settings, AFTER)
    [mail] = inbox.messages
    record = b"v=DKIM1; k=rsa; p=" + base64.b64encode(public)
    assert mail["DKIM-Signature"] is not None
    [raw] = inbox.raw
    assert dkim.verify(raw, dnsfunc=lambda name, timeout=5: record)


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
@pytest.mark.parametrize("security", ["starttls", "tls"])
# aiosmtpd only knows STARTTLS sessions as TLS: on an implicit-TLS port it must be told so
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
def test_tls_and_login(tmp_path: Path, security: str) -> None:
    import ssl

    from aiosmtpd.smtp import AuthResult, LoginPassword

    from tests.delivery.outboxes import free_port

    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)  # fmt: skip
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)

    def authenticator(server: object, session: object, envelope: object, mechanism: str,
                      data: object) -> AuthResult:  # fmt: skip
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"u", b"pw")
        return AuthResult(success=ok)

    inbox = Inbox()
    port = free_port()
    options: dict[str, object] = {"authenticator": authenticator, "auth_required": True}
    if security == "starttls":
        options |= {"tls_context": context, "require_starttls": True}
    else:
        options |= {"ssl_context": context, "auth_require_tls": False}
    controller = Controller(inbox, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        store = make_store(tmp_path / "plan", 2)
        base = Settings(smtp_host="127.0.0.1", smtp_port=port, smtp_security=security,
                        smtp_ca_file=str(cert), smtp_user="u", smtp_timeout=1)  # fmt: skip
        wrong = deliver(store, Settings(**{**vars(base), "smtp_password": "bad"}), AFTER)
        assert wrong.counts["email"] == {"retry": 2} and inbox.messages == []
        later = AFTER.replace(hour=13)
        right = deliver(store, Settings(**{**vars(base), "smtp_password": "pw"}), later)
        assert right.counts["email"] == {"sent": 2} and len(inbox.messages) == 2
    finally:
        controller.stop()


def test_the_rate_limit_spaces_messages(tmp_path: Path, smtp: tuple[Controller, Inbox]) -> None:
    import time

    controller, inbox = smtp
    store = make_store(tmp_path / "plan", 4)
    settings = Settings(smtp_host="127.0.0.1", smtp_port=controller.port, smtp_rate=20)
    start = time.monotonic()
    assert deliver(store, settings, AFTER).counts["email"] == {"sent": 4}
    assert time.monotonic() - start >= 0.15  # 4 messages at 20/s: 3 gaps of 50 ms


def test_several_connections_at_once_send_each_message_once(
    tmp_path: Path, smtp: tuple[Controller, Inbox]
) -> None:
    controller, inbox = smtp
    inbox.refuse = {"c003@example.fr": "550 no such user"}
    store = make_store(tmp_path / "plan", 12)
    settings = Settings(smtp_host="127.0.0.1", smtp_port=controller.port, smtp_connections=4)
    assert deliver(store, settings, AFTER).counts["email"] == {"sent": 11, "failed": 1}
    assert len(inbox.ids()) == 11 and max(inbox.ids().values()) == 1
    attempts = rows(store, "delivery_attempts")
    assert len({r["message_id"] for r in attempts if r["status"] == "handoff"}) == 11
