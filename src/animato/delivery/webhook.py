"""SMS and push through a provider's HTTP API: a generic JSON webhook adapter.

Each message is one ``POST`` of ``{"message_id", "to", "text", "sender", "encoding",
"segments"}`` with ``Authorization: Bearer <token>`` and ``Idempotency-Key: <message id>``, so
a provider that honours the key drops a second hand-off of the same message: a hand-off whose
outcome is unknown is then sent again. A 2xx is accepted (``id`` of the JSON answer, if any, is
the provider's id); 400, 404 and 422 are permanent (for SMS: the number is invalid, and it is
suppressed); 408, 429, 5xx and network errors are temporary.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx2 as httpx

from animato.delivery.channel import Adapter, Outcome, Outgoing
from animato.delivery.hookspecs import hookimpl
from animato.settings import Settings

E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
PERMANENT = (400, 404, 410, 422)


class Webhook(Adapter):
    """POSTs each message as JSON to a provider URL."""

    idempotent = True

    def __init__(self, channel: str, url: str, token: str, rate: float = 0.0) -> None:
        super().__init__(rate)
        self.channel = channel
        self.provider = f"webhook:{channel}"
        self.url = url
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._client = httpx.Client(headers=headers, timeout=30.0)

    def body(self, message: Outgoing) -> dict[str, object]:
        """The JSON sent for a message."""
        sender = message.sender.name if message.sender else ""
        body: dict[str, object] = {
            "message_id": message.message_id,
            "to": message.address,
            "text": message.text,
            "sender": sender,
        }
        if self.channel == "sms":
            body |= {"encoding": message.sms_encoding, "segments": message.sms_segments}
        else:
            body |= {"title": message.subject or sender}
        return body

    def send_one(self, message: Outgoing, handoff: Callable[[], None]) -> Outcome:
        """One request; an invalid SMS number is refused before any request."""
        if self.channel == "sms" and not E164.match(message.address):
            return Outcome("permanent", f"not an E.164 number: {message.address!r}",
                           suppress="invalid_number")  # fmt: skip
        handoff()
        try:
            answer = self._client.post(
                self.url,
                json=self.body(message),
                headers={"Idempotency-Key": message.message_id},
            )
        except httpx.TimeoutException as exc:
            return Outcome("unknown", f"timeout: {exc}")
        except httpx.HTTPError as exc:
            return Outcome("temporary", f"{type(exc).__name__}: {exc}")
        text = f"{answer.status_code} {answer.text[:300]}"
        if answer.is_success:
            try:
                found = answer.json()
                provider_id = str(found.get("id", "")) if isinstance(found, dict) else ""
            except ValueError:
                provider_id = ""
            return Outcome("sent", text, provider_id=provider_id)
        if answer.status_code in PERMANENT:
            reason = "invalid_number" if self.channel == "sms" else "invalid_address"
            return Outcome("permanent", text, suppress=reason)
        return Outcome("temporary", text)

    def close(self) -> None:
        """Close the HTTP connections."""
        self._client.close()


@hookimpl
def animato_channel_adapters(settings: Settings, files_dir: str) -> list[Adapter]:
    """SMS and push through the webhooks the settings name."""
    found: list[Adapter] = []
    if settings.sms_url:
        found.append(Webhook("sms", settings.sms_url, settings.sms_token, settings.sms_rate))
    if settings.push_url:
        found.append(Webhook("push", settings.push_url, settings.push_token))
    return found
