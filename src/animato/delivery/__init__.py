"""Delivery: outbox messages handed to their channels, each exactly once.

- :mod:`channel`: the adapter interface (:class:`Adapter`, :class:`Outgoing`, :class:`Outcome`);
- :mod:`hookspecs`, :mod:`plugins`: adapters come from pluggy plugins, the built-in ones too;
  a provider package adds one through the ``animato`` entry-point group;
- :mod:`email` (SMTP), :mod:`webhook` (SMS and push over a JSON HTTP API), :mod:`files` (call
  lists and postal mail as CSV files);
- :mod:`ledger`: the attempts log and the final outcomes, which make a crash resumable;
- :mod:`worker`: :func:`deliver`, one run over what is due;
- :mod:`sink`: a local SMTP server keeping ``.eml`` files (the demo, trying a plan).

Providers are configured by :class:`animato.settings.Settings` (``ANIMATO_*`` variables).

To add a provider: subclass :class:`Adapter` with ``channel`` and ``provider``, implement
``send_one`` (call ``handoff()`` right before the step that cannot be undone, return an
:class:`Outcome`), and return it from an ``animato_channel_adapters`` hook implementation.
"""

from animato.delivery.channel import Adapter, Outcome, Outgoing
from animato.delivery.worker import DeliverySummary, deliver

__all__ = ["Adapter", "DeliverySummary", "Outcome", "Outgoing", "deliver"]
