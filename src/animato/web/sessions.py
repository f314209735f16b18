"""Dashboard sessions: a signed cookie naming the user, and the CSRF token of their forms.

The cookie holds ``name``, the time it was issued and a random CSRF token, signed with HMAC
(the store's secret, as tracking links are); it is ``HttpOnly`` and ``SameSite=Strict``.
Every state-changing form carries the session's token in a hidden field, checked against the
cookie's in constant time. The login form, before any session, gets a token of its own in a
short-lived signed cookie (so that another site cannot sign someone in to its account).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass

SESSION = "animato_session"
LOGIN = "animato_login"
LIFETIME = 12 * 3600  # seconds a session lasts


@dataclass(frozen=True)
class Session:
    """What a valid session cookie says."""

    name: str
    issued: float
    csrf: str


class Sessions:
    """Signs and reads session and login cookies with one secret."""

    def __init__(self, secret: str) -> None:
        self._key = hashlib.sha256(("dashboard:" + secret).encode()).digest()

    def _sign(self, payload: dict[str, object]) -> str:
        body = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")
        mac = hmac.new(self._key, body.encode(), hashlib.sha256).hexdigest()
        return f"{body}.{mac}"

    def _read(self, text: str | None) -> dict[str, object] | None:
        if not text or "." not in text:
            return None
        body, mac = text.rsplit(".", 1)
        wanted = hmac.new(self._key, body.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(mac, wanted):
            return None
        try:
            data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        except ValueError:
            return None
        return data if isinstance(data, dict) else None

    def issue(self, name: str) -> str:
        """A new session cookie for ``name``."""
        return self._sign({"u": name, "t": time.time(), "c": secrets.token_urlsafe(24)})

    def session(self, cookie: str | None) -> Session | None:
        """The session of a cookie, if it is genuine and not expired."""
        data = self._read(cookie)
        if data is None:
            return None
        name, issued, csrf = data.get("u"), data.get("t"), data.get("c")
        if not (isinstance(name, str) and isinstance(issued, float) and isinstance(csrf, str)):
            return None
        if not 0 <= time.time() - issued < LIFETIME:
            return None
        return Session(name, issued, csrf)

    def login_token(self) -> tuple[str, str]:
        """A CSRF token for the login form and the cookie that vouches for it."""
        token = secrets.token_urlsafe(24)
        return token, self._sign({"l": token, "t": time.time()})

    def login_ok(self, cookie: str | None, token: str) -> bool:
        """Whether a posted login form carries the token of its cookie (issued < 1 h ago)."""
        data = self._read(cookie)
        if data is None or not token:
            return False
        issued = data.get("t")
        if not isinstance(issued, float) or not 0 <= time.time() - issued < 3600:
            return False
        return hmac.compare_digest(str(data.get("l", "")), token)


def same_token(given: str, expected: str) -> bool:
    """Constant-time comparison of a posted CSRF token with the session's."""
    return bool(given) and hmac.compare_digest(given.encode(), expected.encode())
