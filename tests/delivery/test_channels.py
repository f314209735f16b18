"""The other channels (call lists, postal files, SMS and push webhooks), plugins, and in-doubt
hand-offs settled after a crash.
"""

from __future__ import annotations

import csv
import json
import threading
from collections.abc import Callable, Iterator, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from animato.delivery import Adapter, Outcome, Outgoing, deliver
from animato.delivery.channel import Report
from animato.delivery.files import CsvFiles
from animato.delivery.plugins import adapters, manager
from animato.delivery.webhook import Webhook
from animato.settings import Settings
from tests.delivery.outboxes import AFTER, make_store, rows


class Crash(BaseException):
    """The process dying in the middle of a hand-off."""


class HandsOffThenDies(Adapter):
    """An adapter that reaches the hand-off of its first message and dies there."""

    channel, provider = "email", "test"

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[str] = []

    def send_one(self, message: Outgoing, handoff: Callable[[], None]) -> Outcome:
        handoff()
        if not self.sent:
            self.sent.append(message.message_id)
            raise Crash
        self.sent.append(message.message_id)
        return Outcome("sent")


@pytest.mark.parametrize("policy", ["skip", "resend"])
def test_a_hand_off_without_answer_is_never_sent_twice_unless_resend(
    tmp_path: Path, policy: str
) -> None:
    store = make_store(tmp_path / "plan", 3)
    adapter = HandsOffThenDies()
    with pytest.raises(Crash):
        deliver(store, Settings(in_doubt=policy), AFTER, adapters={"email": adapter})
    [first] = adapter.sent
    summary = deliver(store, Settings(in_doubt=policy), AFTER, adapters={"email": adapter})
    final = {r["message_id"]: r["status"] for r in rows(store, "deliveries")}
    if policy == "skip":
        assert summary.counts["email"] == {"in_doubt": 1, "sent": 2}
        assert final[first] == "in_doubt" and adapter.sent.count(first) == 1
    else:
        assert summary.counts["email"] == {"sent": 3}
        assert adapter.sent.count(first) == 2


def test_call_lists_and_postal_files_one_per_day_and_campaign(tmp_path: Path) -> None:
    out = tmp_path / "files"
    for channel, template in (("call", "appel"), ("postal", "courrier")):
        store = make_store(tmp_path / channel, 3, channel=channel, template=template)
        summary = deliver(store, Settings(files_dir=str(out)), AFTER)
        assert summary.counts[channel] == {"sent": 3}
        [path] = (out / channel).iterdir()
        assert path.name == "2027-03-01_promo.csv"
        with path.open(encoding="utf-8") as file:
            found = list(csv.DictReader(file))
        assert sorted(r["customer_id"] for r in found) == ["c000", "c001", "c002"]
        assert found[0]["text"].startswith(("Appeler Client", "Cher Client"))
        if channel == "postal":
            assert found[0]["city"] == "Lyon" and found[0]["address"].endswith("rue Haute")
        else:
            assert found[0]["phone"].startswith("+336")
        assert not [p for p in (out / channel).iterdir() if p.name.startswith(".")]


def test_files_settle_an_in_doubt_hand_off_exactly(tmp_path: Path) -> None:
    class DiesAfterRename(CsvFiles):
        def send(self, messages: Sequence[Outgoing], report: Report) -> None:
            class Silent:
                def handoff(self, message: Outgoing) -> None:
                    report.handoff(message)

                def done(self, message: Outgoing, outcome: Outcome) -> None:
                    raise Crash

            super().send(messages, Silent())

    store = make_store(tmp_path / "plan", 2, channel="call", template="appel")
    folder = tmp_path / "files"
    with pytest.raises(Crash):
        deliver(store, Settings(), AFTER, adapters={"call": DiesAfterRename("call", folder)})
    summary = deliver(store, Settings(), AFTER, adapters={"call": CsvFiles("call", folder)})
    assert summary.counts["call"] == {"sent": 2}  # found in the file, not written again
    with (folder / "call" / "2027-03-01_promo.csv").open(encoding="utf-8") as file:
        assert len(list(csv.DictReader(file))) == 2


class Provider(BaseHTTPRequestHandler):
    """A provider's HTTP API: accepts, refuses invalid numbers, or is down."""

    received: list[tuple[dict[str, Any], dict[str, str]]] = []
    status = 200

    def do_POST(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        Provider.received.append((body, dict(self.headers)))
        status = 422 if body["to"].endswith("0000") else Provider.status
        answer = json.dumps({"id": f"p-{len(Provider.received)}"}).encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: Any) -> None:
        return


@pytest.fixture
def provider() -> Iterator[str]:
    Provider.received, Provider.status = [], 200
    server = ThreadingHTTPServer(("127.0.0.1", 0), Provider)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/send"
    finally:
        server.shutdown()
        server.server_close()


def test_sms_through_the_webhook_with_segments_and_invalid_numbers_suppressed(
    tmp_path: Path, provider: str
) -> None:
    store = make_store(tmp_path / "plan", 3, channel="sms", template="sms")
    settings = Settings(sms_url=provider, sms_token="tok")
    summary = deliver(store, settings, AFTER)
    assert summary.counts["sms"] == {"sent": 2, "failed": 1}
    [(body, headers)] = [(b, h) for b, h in Provider.received if b["to"].endswith("0001")]
    assert body["to"] == "+33612340001" and body["text"] == "Bonjour Client1 !"
    assert (body["encoding"], body["segments"], body["sender"]) == ("GSM-7", 1, "MTEST")
    assert headers["Authorization"] == "Bearer tok"
    assert headers["Idempotency-Key"] == body["message_id"]
    [bad] = rows(store, "suppressions")
    assert (bad["customer_id"], bad["channel"], bad["reason"]) == ("c000", "sms", "invalid_number")
    sent = {r["message_id"]: r["provider_id"] for r in rows(store, "deliveries")}
    assert len({v for v in sent.values() if v.startswith("p-")}) == 2


def test_a_provider_down_is_retried(tmp_path: Path, provider: str) -> None:
    Provider.status = 503
    store = make_store(tmp_path / "plan", 2, channel="push", template="sms")
    settings = Settings(push_url=provider)
    assert deliver(store, settings, AFTER).counts["push"] == {"retry": 2}
    Provider.status = 200
    assert deliver(store, settings, AFTER.replace(hour=13)).counts["push"] == {"sent": 2}


def test_builtin_channels_come_through_the_plugin_hook() -> None:
    pm = manager(entry_points=False)
    names = {name for name, _ in pm.list_name_plugin()}
    assert {"animato.delivery.email", "animato.delivery.webhook"} <= names
    found = adapters(Settings(sms_url="http://x"), "/tmp/x", pm)
    assert sorted(found) == ["call", "email", "postal", "sms"]
    assert isinstance(found["sms"], Webhook)


def test_an_installed_provider_replaces_a_builtin_channel_through_its_entry_point(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "acme_mail.py").write_text(
        "from animato.delivery import Adapter, Outcome\n"
        "from animato.delivery.hookspecs import hookimpl\n\n"
        "class Acme(Adapter):\n"
        "    channel, provider = 'email', 'acme'\n\n"
        "    def send_one(self, message, handoff):\n"
        "        handoff()\n"
        "        return Outcome('sent', provider_id='acme-1')\n\n"
        "@hookimpl\n"
        "def animato_channel_adapters(settings, files_dir):\n"
        "    return [Acme()]\n"
    )
    info = tmp_path / "acme_mail-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-mail\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[animato]\nacme = acme_mail\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    found = adapters(Settings(), str(tmp_path / "files"))
    assert found["email"].provider == "acme" and found["call"].provider == "files:call"
    store = make_store(tmp_path / "plan", 1)
    assert deliver(store, Settings(), AFTER).counts["email"] == {"sent": 1}
    [final] = rows(store, "deliveries")
    assert (final["provider"], final["provider_id"]) == ("acme", "acme-1")
