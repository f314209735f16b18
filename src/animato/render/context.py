"""What a template sees: plain data for each message, gathered set-based for a batch of messages.

``customer`` (the contract's fields, plus computed ones: ``favourite_category`` and
``favourite_products`` from purchase history, ``loyalty_points`` from the points events),
``event`` (the properties of the event that started the journey), ``anniversary.years``,
``offer`` (with ``valid_until``), ``scenario`` or ``campaign``, ``program``, ``step``,
``sender``, ``links``, ``plan`` and ``message``. Missing values are left out rather than set to
nothing, so that a template using one without a ``default`` fails for that message only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from animato.plan.model import Campaign, Offer, Scenario, Variant
from animato.store.schema import event_properties, trigger_events
from animato.store.store import Store
from animato.tracking.links import Tracker


@dataclass(frozen=True)
class Sources:
    """Where the contexts read events: for the computed fields (``history``) and the journeys'
    trigger events (``triggers``). The store's whole table, or what one tick kept of it for
    the messages it renders, read once instead of once per batch.
    """

    history: ir.Table
    triggers: ir.Table

    @classmethod
    def of(cls, store: Store) -> Sources:
        """The store's events."""
        events = store.table("events")
        return cls(events, events)

    @classmethod
    def prepared(cls, store: Store, messages: ir.Table) -> Sources:
        """The events the contexts of ``messages`` (``customer_id``, ``enrolment_id``) can read,
        kept in temporary tables.
        """
        events = store.table("events")
        props = event_properties(store.plan)
        wanted = [p for p in ("category", "product", "points") if p in props]
        kinds = events.type == "purchase"
        if "points" in props:
            kinds = kinds | events.points.notnull()
        history = events.filter(kinds).select("customer_id", "type", "time", *wanted)
        history = history.semi_join(messages.select("customer_id"), "customer_id")
        enrolments = store.table("enrolments").semi_join(
            messages.select("enrolment_id"), "enrolment_id"
        )
        triggers = trigger_events(events, enrolments.select("event_id", "entered_at"))
        return cls(
            store.materialize("tick_render_history", history),
            store.materialize("tick_render_triggers", triggers),
        )


def template_of(
    action: Scenario | Campaign, step_id: str, channel: str, variant: str | None = None
) -> tuple[str, str | None]:
    """The template (and offer) of a message: the step's or campaign's (as its A/B variant
    changes them), or its fallback's.
    """
    spec: Any = action
    arm = None
    if isinstance(action, Scenario):
        spec = next(s for s in action.steps if s.id == step_id)
        arm = spec.variant(variant)
    template = arm.template if arm is not None and arm.template else spec.template
    offer = arm.offer if arm is not None and arm.offer else spec.offer
    fallback = spec.fallback
    if fallback is not None and channel == fallback.channel and channel != spec.channel:
        return fallback.template or template, offer
    return template, offer


def variant_of(action: Scenario | Campaign, step_id: str, variant: str | None) -> Variant | None:
    """The A/B variant a message carries, if any."""
    if not isinstance(action, Scenario) or variant is None:
        return None
    return next(s for s in action.steps if s.id == step_id).variant(variant)


def contexts(
    store: Store, rows: list[dict[str, Any]], sources: Sources | None = None
) -> list[dict[str, Any]]:
    """The template data of each message row (``message_id``, ``customer_id``, ``action_id``,
    ``step_id``, ``channel``, ``send_at``, ``enrolment_id``), in the same order.
    """
    plan = store.plan
    sources = sources or Sources.of(store)
    who = sorted({r["customer_id"] for r in rows})
    customers = _customers(store, who, sources.history)
    enrolled = [r["enrolment_id"] for r in rows if r.get("enrolment_id")]
    journeys = _journeys(store, enrolled, sources.triggers)
    actions = {a.id: (p, a) for p in plan.programs for a in p.actions}
    offers = {o.id: o for o in plan.offers}
    tracker = Tracker.for_store(store.location)
    out = []
    for row in rows:
        program, action = actions[row["action_id"]]
        channel = row["channel"]
        _, offer_id = template_of(action, row["step_id"], channel, row.get("variant"))
        arm = variant_of(action, row["step_id"], row.get("variant"))
        kind = "scenario" if isinstance(action, Scenario) else "campaign"
        data: dict[str, Any] = {
            "customer": customers.get(row["customer_id"], {"customer_id": row["customer_id"]}),
            kind: {"id": action.id, "name": action.name},
            "program": {"id": program.id, "name": program.name},
            "plan": {"name": plan.name},
            "message": {"id": row["message_id"], "channel": channel},
        }
        sender = program.senders.get(channel) or plan.conventions.senders.get(channel)
        data["links"] = tracker.links(row["message_id"], _site(program, plan))
        if sender is not None:
            data["sender"] = _plain(sender.model_dump())
        if arm is not None and arm.sender:
            data["sender"] = {**data.get("sender", {}), "name": arm.sender}
        if arm is not None:
            data["variant"] = {"id": arm.id}
        if isinstance(action, Scenario):
            step = next(s for s in action.steps if s.id == row["step_id"])
            data["step"] = {"id": step.id, "name": step.name or step.id}
        journey = journeys.get(row.get("enrolment_id") or "")
        if journey:
            data.update(journey)
        if offer_id and offer_id in offers:
            data["offer"] = _offer(offers[offer_id], row["send_at"])
        out.append(data)
    return out


def _site(program: Any, plan: Any) -> str:
    """Where ``links.shop`` leads unless ``ANIMATO_SHOP_URL`` says: the email sender's domain."""
    sender = program.senders.get("email") or plan.conventions.senders.get("email")
    if sender is not None and "@" in sender.address:
        return f"https://{sender.address.rsplit('@', 1)[1]}/"
    return ""


def _offer(offer: Offer, send_at: datetime) -> dict[str, Any]:
    data = _plain(offer.model_dump(exclude={"valid_for", "fallback"}))
    if offer.valid_for is not None:
        data["valid_until"] = offer.valid_for.after(send_at).date().isoformat()
    return data


def _customers(store: Store, who: list[str], history: ir.Table) -> dict[str, dict[str, Any]]:
    """Each customer's fields and computed fields, as plain data."""
    ids = store.load("_render_who", pa.table({"customer_id": pa.array(who, pa.string())}))
    table = store.table("customers")
    found = table.semi_join(ids, "customer_id").drop("_version", "_loaded_at")
    people = {r["customer_id"]: _plain(r) for r in found.to_pyarrow().to_pylist()}
    for customer_id, computed in _computed(store, ids, history).items():
        people.setdefault(customer_id, {"customer_id": customer_id}).update(computed)
    return people


def _computed(store: Store, ids: ibis.Table, history: ir.Table) -> dict[str, dict[str, Any]]:
    """Favourite category and products (most frequent in purchases), loyalty points (sum of the
    ``points`` of the events that carry them), for the customers of ``ids``.
    """
    props = event_properties(store.plan)
    events = history.semi_join(ids, "customer_id")
    out: dict[str, dict[str, Any]] = {}
    purchases = events.filter(events.type == "purchase")
    for prop, name, top in (
        ("category", "favourite_category", 1),
        ("product", "favourite_products", 3),
    ):
        if prop not in props:
            continue
        bought = purchases.filter(purchases[prop].notnull())
        counted = bought.group_by("customer_id", value=bought[prop]).aggregate(
            n=bought.count(), last=bought.time.max()
        )
        rank = ibis.row_number().over(
            group_by="customer_id", order_by=[ibis.desc("n"), ibis.desc("last"), "value"]
        )
        best = counted.mutate(r=rank).filter(ibis._.r < top)
        for row in best.order_by("customer_id", "r").to_pyarrow().to_pylist():
            mine = out.setdefault(row["customer_id"], {})
            if top == 1:
                mine[name] = row["value"]
            else:
                mine.setdefault(name, []).append(row["value"])
    if "points" in props and "loyalty_points" not in store.table("customers").columns:
        earned = events.filter(events.points.notnull())
        totals = earned.group_by("customer_id").aggregate(points=earned.points.sum())
        for row in totals.to_pyarrow().to_pylist():
            out.setdefault(row["customer_id"], {})["loyalty_points"] = int(row["points"])
    return out


def _journeys(
    store: Store, enrolment_ids: list[str], triggers: ir.Table
) -> dict[str, dict[str, Any]]:
    """Per enrolment: its trigger event's properties and its anniversary number."""
    if not enrolment_ids:
        return {}
    ids = store.load(
        "_render_journeys", pa.table({"enrolment_id": pa.array(sorted(set(enrolment_ids)))})
    )
    enrolments = store.table("enrolments").semi_join(ids, "enrolment_id")
    props = list(event_properties(store.plan))
    events = triggers.select("event_id", "type", "time", *props)
    joined = enrolments.select("enrolment_id", "anniversary", "event_id").left_join(
        events, "event_id"
    )
    out: dict[str, dict[str, Any]] = {}
    for row in joined.to_pyarrow().to_pylist():
        data: dict[str, Any] = {}
        if row["anniversary"] is not None:
            data["anniversary"] = {"years": int(row["anniversary"])}
        if row.get("type") is not None:
            data["event"] = _plain({k: row[k] for k in ("type", "time", *props)})
        out[row["enrolment_id"]] = data
    return out


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    """Plain data for Liquid: no missing values; dates and times as ISO text."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if value is None or value == "":
            continue
        if isinstance(value, datetime | date):
            value = value.isoformat()
        out[key] = value
    return out
