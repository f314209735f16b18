"""The engine: ``tick(now)`` as an ordered tuple of set-based passes over the store.

``triggers`` (candidate enrolments) → ``entry`` (enrolments, control groups) → ``journeys``
(goals, exits, due steps and their hard filters). Conditions compile to Ibis in ``compile``;
event aggregates come from ``aggregates`` and are kept per customer by ``state``; ids and control
groups come from ``ids``.
"""

from animato.engine.tick import Engine, TickResult, combine

__all__ = ["Engine", "TickResult", "combine"]
