"""Tracking links: the signed URLs a rendered message carries (clicks, open pixel, unsubscribe,
online view), and the rewriting of a rendered email's links into click redirects.

The engine calls :meth:`Tracker.links` for each message's template data (``links.*``) and
:meth:`Tracker.email` on each rendered email, so that the outbox holds exactly what is sent.
"""

from __future__ import annotations

import html as htmlib
import re
from urllib.parse import quote

from animato.settings import Settings, secret_for
from animato.tracking.tokens import Signer, Token

# links a reader follows (<a>, <area>); a <link> to a stylesheet or font is not a click
_HREF = re.compile(r'(<(?:a|area)\b[^>]*?\bhref\s*=\s*")(https?://[^"]+)(")', re.IGNORECASE)
_URL = re.compile(r"https?://[^\s<>()\"']+")
_BODY_END = re.compile(r"</body\s*>", re.IGNORECASE)


class Tracker:
    """Signs the tracking URLs of messages for one public address."""

    def __init__(self, signer: Signer, public_url: str, shop_url: str = "") -> None:
        self.signer = signer
        self.public_url = public_url.rstrip("/")
        self.shop_url = shop_url

    @classmethod
    def for_store(cls, store_location: str, settings: Settings | None = None) -> Tracker:
        """The tracker of a store: its secret (see :func:`secret_for`) and the public URL."""
        settings = settings or Settings.from_env()
        return cls(
            Signer(secret_for(store_location, settings)), settings.public_url, settings.shop_url
        )

    def url(self, kind: str, message_id: str, target: str = "") -> str:
        """The public URL of one tracked hit: ``/o/`` open, ``/c/`` click, ``/u/``, ``/v/``."""
        return f"{self.public_url}/{kind}/{self.signer.sign(Token(kind, message_id, target))}"

    def links(self, message_id: str, shop_url: str = "") -> dict[str, str]:
        """The ``links`` a template sees: unsubscribe, preferences, view_online, shop."""
        unsubscribe = self.url("u", message_id)
        return {
            "unsubscribe": unsubscribe,
            "preferences": unsubscribe,
            "view_online": self.url("v", message_id),
            "shop": self.url("c", message_id, self.shop_url or shop_url or self.public_url + "/"),
        }

    def mailto(self, message_id: str, address: str) -> str:
        """A ``mailto:`` unsubscribe for ``List-Unsubscribe``: the token in the subject."""
        token = self.signer.sign(Token("u", message_id))
        return f"mailto:{address}?subject={quote('unsubscribe ' + token)}"

    def _is_ours(self, url: str) -> bool:
        return url.startswith(self.public_url + "/")

    def email(self, message_id: str, html: str, text: str) -> tuple[str, str]:
        """An email's HTML and text with every outside link a click redirect and an open pixel
        at the end of the HTML body.
        """

        def href(match: re.Match[str]) -> str:
            target = htmlib.unescape(match.group(2))
            if self._is_ours(target):
                return match.group(0)
            tracked = htmlib.escape(self.url("c", message_id, target), quote=True)
            return f"{match.group(1)}{tracked}{match.group(3)}"

        def plain(match: re.Match[str]) -> str:
            target = match.group(0).rstrip(".,;:!?")
            rest = match.group(0)[len(target) :]
            return (target if self._is_ours(target) else self.url("c", message_id, target)) + rest

        pixel = (
            f'<img src="{self.url("o", message_id)}" width="1" height="1" alt=""'
            ' style="display:block;height:1px;width:1px;border:0" />'
        )
        html = _HREF.sub(href, html)
        html, found = _BODY_END.subn(lambda m: pixel + m.group(0), html, count=1)
        if not found:
            html += pixel
        return html, _URL.sub(plain, text)
