"""The engine: ``tick(now)`` as an ordered tuple of set-based passes over the store.

``triggers`` (candidate enrolments) → ``entry`` (enrolments, control groups) → ``journeys``
(goals, exits, due steps and their hard filters). Conditions compile to Ibis in ``compile``;
event aggregates come from ``aggregates``; ids and control groups from ``ids``.
"""

from animato.engine.tick import Engine, TickResult

__all__ = ["Engine", "TickResult"]
