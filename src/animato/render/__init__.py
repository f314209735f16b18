"""Pass 6: rendering accepted messages for the outbox (Liquid, MJML, SMS segments)."""

from __future__ import annotations

from typing import Any

from animato.render.context import contexts, template_of
from animato.render.renderer import Rendered, Renderer
from animato.store.store import Store

__all__ = ["Rendered", "Renderer", "render"]


def render(store: Store, messages: list[dict[str, Any]]) -> list[Rendered]:
    """Render accepted messages (outbox rows with their ``enrolment_id``), in order."""
    plan = store.plan
    renderer = Renderer(plan)
    actions = {a.id: a for p in plan.programs for a in p.actions}
    out = []
    for message, data in zip(messages, contexts(store, messages), strict=True):
        template, _ = template_of(
            actions[message["action_id"]], message["step_id"], message["channel"]
        )
        out.append(renderer.render(message["channel"], template, data))
    return out
