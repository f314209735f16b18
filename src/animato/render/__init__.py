"""Pass 7: rendering accepted messages for the outbox (Liquid, MJML, SMS segments)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from animato.render.context import Sources, contexts, template_of, variant_of
from animato.render.renderer import Rendered, Renderer
from animato.store.store import Store
from animato.tracking.links import Tracker

__all__ = ["Rendered", "Renderer", "Sources", "render"]


def render(
    store: Store,
    messages: list[dict[str, Any]],
    riders: dict[str, list[dict[str, Any]]] | None = None,
    sources: Sources | None = None,
) -> list[Rendered]:
    """Render accepted messages (outbox rows with their ``enrolment_id``), in order.

    ``riders`` are the scenario steps combined with some of them (by the host's message id):
    each is rendered for the same customer and given to the host's template as ``combined``
    (a list of its ``scenario``, ``step``, ``subject`` and ``text``). ``sources``: where
    the contexts read events (the whole store by default).
    """
    plan = store.plan
    renderer = Renderer(plan)
    actions = {a.id: a for p in plan.programs for a in p.actions}

    def one(message: dict[str, Any], data: dict[str, Any]) -> Rendered:
        action = actions[message["action_id"]]
        variant = message.get("variant")
        template, _ = template_of(action, message["step_id"], message["channel"], variant)
        arm = variant_of(action, message["step_id"], variant)
        subject = arm.subject if arm is not None else None
        return renderer.render(message["channel"], template, data, subject=subject)

    extra: dict[str, list[dict[str, Any]]] = {}
    rows = [rider for hosted in (riders or {}).values() for rider in hosted]
    for rider, data in zip(rows, contexts(store, rows, sources), strict=True):
        part = one(rider, data)
        if part.error is None:
            about: dict[str, Any] = {k: data[k] for k in ("scenario", "step") if k in data}
            extra.setdefault(rider["_host"], []).append(
                {**about, "subject": part.subject or "", "text": part.text or ""}
            )
    out = []
    tracker = Tracker.for_store(store.location)
    for message, data in zip(messages, contexts(store, messages, sources), strict=True):
        if message["message_id"] in extra:
            data["combined"] = extra[message["message_id"]]
        done = one(message, data)
        if done.html is not None and done.error is None:  # every outside link a click redirect
            html, text = tracker.email(message["message_id"], done.html, done.text or "")
            done = replace(done, html=html, text=text)
        out.append(done)
    return out
