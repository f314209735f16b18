"""Signed tokens: what a tracking URL says (which message, which kind of hit, where a click goes),
authenticated with HMAC-SHA256 so that nobody can make or alter one without the secret.

A token is ``<payload>.<mac>``, both base64url without padding; the payload is
``<kind>:<message id>[:<url>]`` in UTF-8 and the MAC its first 16 bytes of HMAC (128 bits).
A click token carries its destination: only a URL animato signed, i.e. one the message
contained, can be redirected to (no open redirect). :meth:`Signer.parse` never raises: a forged,
altered, truncated or garbage token is ``None``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass

KINDS = {"o": "open", "c": "click", "u": "unsubscribe", "v": "view"}
MAC_BYTES = 16
MAX_TOKEN = 4096  # characters; a longer one is refused before any work


@dataclass(frozen=True)
class Token:
    """What a valid token says: the kind of hit (see :data:`KINDS`), the message, the URL."""

    kind: str
    message_id: str
    url: str = ""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Signer:
    """Makes and checks tokens with one secret."""

    def __init__(self, secret: str) -> None:
        if not secret:
            raise ValueError("a tracking secret must not be empty")
        self._key = hashlib.sha256(b"animato-tracking:" + secret.encode("utf-8")).digest()

    def _mac(self, payload: bytes) -> bytes:
        return hmac.new(self._key, payload, hashlib.sha256).digest()[:MAC_BYTES]

    def sign(self, token: Token) -> str:
        """The token as URL-safe text."""
        if token.kind not in KINDS or ":" in token.message_id:
            raise ValueError(f"cannot sign {token}")
        text = f"{token.kind}:{token.message_id}"
        if token.url:
            text += f":{token.url}"
        payload = text.encode("utf-8")
        return f"{_b64(payload)}.{_b64(self._mac(payload))}"

    def parse(self, text: str) -> Token | None:
        """The token ``text`` stands for, or ``None`` when it is not one this secret signed."""
        if not text or len(text) > MAX_TOKEN or text.count(".") != 1:
            return None
        body, mac = text.split(".")
        try:
            payload, given = _unb64(body), _unb64(mac)
        except (binascii.Error, ValueError):
            return None
        # re-encoding must give the same text: no second spelling of one token
        if _b64(payload) != body or _b64(given) != mac:
            return None
        if not hmac.compare_digest(given, self._mac(payload)):
            return None
        try:
            kind, message_id, *rest = payload.decode("utf-8").split(":", 2)
        except (UnicodeDecodeError, ValueError):
            return None
        if kind not in KINDS or not message_id:
            return None
        return Token(kind, message_id, rest[0] if rest else "")
