"""Tracking: what comes back about a message once it has left.

- :mod:`tokens`: HMAC-signed tokens, the only thing a tracking URL carries (no guessable ids);
- :mod:`links`: the signed URLs of a message, and its links rewritten into click redirects;
- :mod:`recorder`: hits recorded into ``engagement`` (opens and clicks in batches, unsubscribes
  and complaints at once, with a ``suppressions`` row).

The HTTP endpoints that receive the hits are in :mod:`animato.web.tracking`.
"""

from animato.tracking.links import Tracker
from animato.tracking.tokens import Signer, Token

__all__ = ["Signer", "Token", "Tracker"]
