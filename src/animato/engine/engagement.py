"""Engagement with a journey's earlier steps (``opened``, ``clicked``, ``converted``) for a
step's ``if``.

Production reads what delivery and tracking recorded in the ``engagement`` table, up to the
tick's ``now``. A simulation replays history in which most simulated messages were never sent:
a message sent (in the outbox, send time passed) of which delivery and tracking recorded
nothing then opens and clicks by a declared :class:`Assumption`, drawn from its id, so that the
same message gets the same draw in every run and on every backend.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import ibis
import ibis.expr.types as ir

from animato.engine.compile import ENGAGEMENT
from animato.engine.ids import below
from animato.plan import conditions as c
from animato.store.store import Store

OPENS = ("email",)  # channels whose opens are tracked
CLICKS = ("email", "sms", "push")  # channels whose messages carry tracked links


@dataclass(frozen=True)
class Assumption:
    """Engagement assumed for a simulated message nobody recorded: shares of sent messages."""

    open_rate: float = 0.25
    click_rate: float = 0.04


def recorded(store: Store, now: datetime, among: ir.Table | None = None) -> ir.Table:
    """Per message (of ``among``'s ``message_id``, if given) with any engagement recorded by
    ``now``: whether delivery or tracking said anything of it (``tracked``), whether it was
    opened, clicked (a click implies an open), and converted (credited by attribution).
    """
    log = store.table("engagement")
    log = log.filter(log.time <= now)
    if among is not None:  # the log keeps growing; a tick needs its running journeys' only
        log = log.semi_join(among, "message_id")
    return log.group_by("message_id").aggregate(
        tracked=(log.kind != "converted").any(),
        opened=log.kind.isin(("opened", "clicked")).any(),
        clicked=(log.kind == "clicked").any(),
        converted=(log.kind == "converted").any(),
    )


def reads(text: str | None) -> bool:
    """Whether a step's ``if`` reads engagement with earlier steps."""
    if text is None:
        return False
    for node in c.walk(c.parse(text)):
        if isinstance(node, c.Name) and node.parts[0] in ENGAGEMENT:
            return True
        if isinstance(node, c.Call) and node.func in ENGAGEMENT:
            return True
    return False


def flags(
    store: Store,
    running: ir.Table,
    now: datetime,
    assume: Assumption | None,
    messages: ir.Table,
    outbox: ir.Table,
) -> ir.Table:
    """Per message sent to one of the ``running`` journeys (those whose due step reads it):
    ``enrolment_id``, ``step_id`` and whether it was opened, clicked, converted by ``now``.

    ``messages`` and ``outbox`` are the store's tables, or the part of them that can hold the
    journeys' messages.
    """
    sent = outbox.filter((outbox.send_at <= now) & outbox.error.isnull())
    # computed first, so that their few rows, not the outbox's, make the join's hash table
    messages = store.materialize(
        "tick_read_messages",
        messages.semi_join(running.select("enrolment_id"), "enrolment_id").select(
            "message_id", "enrolment_id", "step_id"
        ),
    )
    mine = store.materialize(
        "tick_read_sent", messages.join(sent.select("message_id", "channel"), "message_id")
    )
    seen = recorded(store, now, among=mine.select("message_id"))
    mine = mine.left_join(seen, "message_id").drop("message_id_right")
    known = mine.tracked.fill_null(False)  # delivery or tracking said something of it
    if assume is None:
        opened, clicked = known & mine.opened, known & mine.clicked
    else:
        salt = store.plan.salt
        drawn = ibis.literal(f"{salt}:engagement:") + mine.message_id
        clicks = mine.channel.isin(CLICKS) & below(drawn, assume.click_rate)
        opens = (mine.channel.isin(OPENS) & below(drawn, assume.open_rate)) | clicks
        opened = ibis.cases((known, mine.opened), else_=opens)
        clicked = ibis.cases((known, mine.clicked), else_=clicks)
    table = mine.select(
        "enrolment_id",
        "step_id",
        opened=opened,
        clicked=clicked,
        converted=mine.converted.fill_null(False),
    )
    return store.materialize("tick_engagement", table)


def attach(context: ir.Table, flags: ir.Table | None, steps: list[str]) -> ir.Table:
    """``context`` (one row per journey, with ``enrolment_id``) with ``<kind>__<step>`` for
    each of ``steps``, from :func:`flags`.

    A message never sent, or not yet, has not been opened; nor has one in production without a
    record.
    """
    if not steps or flags is None:
        return context.mutate(
            **{f"{k}__{s}": ibis.literal(False) for k in ENGAGEMENT for s in steps}
        )
    mine = flags.filter(flags.step_id.isin(steps))
    pivot = mine.group_by("enrolment_id").aggregate(
        **{
            f"{kind}__{step}": (mine[kind] & (mine.step_id == step)).any()
            for kind in ENGAGEMENT
            for step in steps
        }
    )
    context = context.left_join(pivot, "enrolment_id").drop("enrolment_id_right")
    filled = {f"{k}__{s}": context[f"{k}__{s}"].fill_null(False) for k in ENGAGEMENT for s in steps}
    return context.mutate(**filled)
