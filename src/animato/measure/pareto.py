"""The Pareto view: which scenarios and campaigns make 80 % of the incremental revenue."""

from __future__ import annotations

from typing import Any

SHARE = 0.8


def pareto(incremental: dict[str, float], share: float = SHARE) -> list[dict[str, Any]]:
    """Actions by incremental revenue (largest first) with their cumulative share of the
    positive total, and whether they are among the few that make ``share`` of it: those up to
    and including the one that reaches it. Actions that lose money are listed last, outside.
    """
    gains = sorted(((v, k) for k, v in incremental.items()), key=lambda p: (-p[0], p[1]))
    total = sum(v for v, _ in gains if v > 0)
    rows: list[dict[str, Any]] = []
    cumulative = 0.0
    reached = False
    for value, action in gains:
        positive = value > 0 and total > 0
        if positive:
            cumulative += value
        rows.append(
            {
                "action_id": action,
                "incremental_revenue": value,
                "share": value / total if positive else 0.0,
                "cumulative_share": cumulative / total if total > 0 else 0.0,
                "core": positive and not reached,
            }
        )
        if positive and cumulative >= share * total - 1e-9:
            reached = True
    return rows
