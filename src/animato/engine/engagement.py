"""Engagement with a journey's earlier steps (``opened``, ``clicked``, ``converted``) for a
step's ``if``.

Production reads what delivery and tracking recorded in the ``engagement`` table, up to the
tick's ``now``. A simulation replays history in which most simulated messages were never sent:
a message sent (in the outbox, send time passed) with no engagement recorded at all then opens
and clicks by a declared :class:`Assumption`, drawn from its id, so that the same message gets
the same draw in every run and on every backend.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import ibis
import ibis.expr.types as ir

from animato.engine.compile import ENGAGEMENT
from animato.engine.ids import row_id_expr, unit_hash_expr
from animato.plan import conditions as c
from animato.store.store import Store

OPENS = ("email",)  # channels whose opens are tracked
CLICKS = ("email", "sms", "push")  # channels whose messages carry tracked links


@dataclass(frozen=True)
class Assumption:
    """Engagement assumed for a simulated message nobody recorded: shares of sent messages."""

    open_rate: float = 0.25
    click_rate: float = 0.04


def recorded(store: Store, now: datetime) -> ir.Table:
    """Per message with any engagement recorded by ``now``: whether it was opened, clicked,
    converted (a click implies an open).
    """
    log = store.table("engagement")
    log = log.filter(log.time <= now)
    return log.group_by("message_id").aggregate(
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


def attach(
    store: Store,
    context: ir.Table,
    steps: list[str],
    now: datetime,
    assume: Assumption | None,
) -> ir.Table:
    """``context`` (one row per journey, with ``enrolment_id``) with ``<kind>__<step>`` for
    each earlier step and ``<kind>__previous`` for the last of them.

    A message never sent, or not yet, has not been opened; nor has one in production without a
    record.
    """
    if not steps:
        return context.mutate(**{f"{k}__previous": ibis.literal(False) for k in ENGAGEMENT})
    seen = recorded(store, now)
    outbox = store.table("outbox")
    sent = outbox.filter((outbox.send_at <= now) & outbox.error.isnull()).select(
        "message_id", "channel"
    )
    salt = store.plan.salt
    flags: dict[str, ir.Value] = {}
    for step in steps:
        ids = context.select(
            "enrolment_id", message_id=row_id_expr(context.enrolment_id, ibis.literal(step))
        )
        mine = ids.join(sent, "message_id").left_join(seen, "message_id")
        mine = mine.drop("message_id_right")
        known = mine.opened.notnull()
        if assume is None:
            opened, clicked = known & mine.opened, known & mine.clicked
            converted = known & mine.converted
        else:
            draw = unit_hash_expr(ibis.literal(f"{salt}:engagement:") + mine.message_id)
            clicks = mine.channel.isin(CLICKS) & (draw < assume.click_rate)
            opens = (mine.channel.isin(OPENS) & (draw < assume.open_rate)) | clicks
            opened = ibis.cases((known, mine.opened), else_=opens)
            clicked = ibis.cases((known, mine.clicked), else_=clicks)
            converted = known & mine.converted
        mine = mine.select(
            "enrolment_id",
            **{f"opened__{step}": opened, f"clicked__{step}": clicked},
            **{f"converted__{step}": converted},
        )
        context = context.left_join(mine, "enrolment_id").drop("enrolment_id_right")
        for kind in ENGAGEMENT:
            flags[f"{kind}__{step}"] = context[f"{kind}__{step}"].fill_null(False)
    last = steps[-1]
    context = context.mutate(**flags)
    return context.mutate(**{f"{k}__previous": context[f"{k}__{last}"] for k in ENGAGEMENT})
