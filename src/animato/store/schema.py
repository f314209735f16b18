"""The store's tables: inputs (customers, consents, events), quarantine, and the engine's logs.

Timestamps are naive UTC everywhere in the store; local calendar days are computed with the plan's
time zone at the edges. Event properties are typed columns (one per property name across the data
contract), so that engines scan them as columns rather than parse JSON.
"""

from __future__ import annotations

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from animato.plan.checker import BUILTIN_CUSTOMER
from animato.plan.model import Plan

TS = dt.Timestamp()
STRING = dt.String()
INT = dt.Int64()

FIELD_DTYPES: dict[str, dt.DataType] = {
    "string": STRING,
    "category": STRING,
    "email": STRING,
    "phone": STRING,
    "integer": INT,
    "number": dt.Float64(),
    "boolean": dt.Boolean(),
    "date": dt.Date(),
    "timestamp": TS,
}
_BUILTIN_DTYPES = {"string": STRING, "timestamp": TS}


def customer_schema(plan: Plan) -> ibis.Schema:
    """Current customers: one row per customer, built-in fields then the contract's."""
    fields: dict[str, dt.DataType] = {k: _BUILTIN_DTYPES[v] for k, v in BUILTIN_CUSTOMER.items()}
    for name, spec in plan.data.customer.items():
        fields[name] = FIELD_DTYPES[spec.type]
    return ibis.schema({**fields, "_version": STRING, "_loaded_at": TS})


def customer_versions_schema(plan: Plan) -> ibis.Schema:
    """Every version of every customer ever loaded (the log that explains ``customers``)."""
    return customer_schema(plan)


def event_properties(plan: Plan) -> dict[str, dt.DataType]:
    """Property columns of the events table (the union over event types, first type wins)."""
    props: dict[str, dt.DataType] = {}
    for spec in plan.data.events.values():
        for name, field in spec.properties.items():
            props.setdefault(name, FIELD_DTYPES[field.type])
    return props


def event_enums(plan: Plan) -> dict[str, list[str]]:
    """Events columns stored as DuckDB ENUMs: the type, and properties whose every declaration
    lists its values. A small closed set costs a byte a row, and loading it skips the string
    compression that would otherwise dominate an ingest.
    """
    enums: dict[str, list[str]] = {"type": list(plan.data.events)}
    free: set[str] = set()
    for spec in plan.data.events.values():
        for name, field in spec.properties.items():
            if field.type != "category" or not field.values:
                free.add(name)
                continue
            values = enums.setdefault(name, [])
            values.extend(v for v in field.values if v not in values)
    return {name: values for name, values in enums.items() if values and name not in free}


def events_schema(plan: Plan) -> ibis.Schema:
    """Events: id, customer, type, UTC time, then one column per property."""
    base = {"event_id": STRING, "customer_id": STRING, "type": STRING, "time": TS}
    return ibis.schema({**base, **event_properties(plan), "_loaded_at": TS})


CONSENTS = ibis.schema(
    {
        "consent_id": STRING,
        "customer_id": STRING,
        "channel": STRING,
        "purpose": STRING,
        "granted": dt.Boolean(),
        "time": TS,
        "source": STRING,
        "wording_version": STRING,
        "_loaded_at": TS,
    }
)

SUPPRESSIONS = ibis.schema(
    {
        "suppression_id": STRING,
        "customer_id": STRING,
        "channel": STRING,
        "reason": STRING,
        "active": dt.Boolean(),
        "time": TS,
        "source": STRING,
        "_loaded_at": TS,
    }
)

QUARANTINE = ibis.schema(
    {
        "kind": STRING,
        "source": STRING,
        "row_number": INT,
        "record": STRING,
        "reason": STRING,
        "_loaded_at": TS,
    }
)

TICKS = ibis.schema(
    {
        "tick_id": STRING,
        "previous": TS,
        "now": TS,
        "started_at": TS,
        "duration_ms": INT,
        "enrolments": INT,
        "messages": INT,
    }
)

ENROLMENTS = ibis.schema(
    {
        "enrolment_id": STRING,
        "customer_id": STRING,
        "scenario_id": STRING,
        "occurrence": STRING,
        "entered_at": TS,
        "control": STRING,
        "anniversary": INT,
        "event_id": STRING,
        "tick_id": STRING,
    }
)


def trigger_events(events: ir.Table, enrolled: ir.Table) -> ir.Table:
    """The events that started some enrolments (a table with ``event_id`` and ``entered_at``).

    An event trigger enrols at its event's time: matching the time as well lets DuckDB skip the
    events of other days (it pushes the entry times' range into the scan of the events).
    """
    keys = [events.event_id == enrolled.event_id, events.time == enrolled.entered_at]
    return events.semi_join(enrolled, keys)


JOURNEY_LOG = ibis.schema(
    {
        "row_id": STRING,
        "enrolment_id": STRING,
        "customer_id": STRING,
        "scenario_id": STRING,
        "kind": STRING,
        "time": TS,
        "reason": STRING,
        "tick_id": STRING,
    }
)

MESSAGES = ibis.schema(
    {
        "message_id": STRING,
        "enrolment_id": STRING,
        "customer_id": STRING,
        "action_id": STRING,
        "step_id": STRING,
        "channel": STRING,
        "due_at": TS,
        "send_at": TS,
        "decision": STRING,
        "tick_id": STRING,
        "variant": STRING,
    }
)

DECISIONS = ibis.schema(
    {
        "row_id": STRING,
        "message_id": STRING,
        "customer_id": STRING,
        "action_id": STRING,
        "channel": STRING,
        "decision": STRING,
        "send_at": TS,
        "retry_at": TS,
        "decided_at": TS,
        "tick_id": STRING,
        "combined_with": STRING,
        "variant": STRING,
    }
)

OUTBOX = ibis.schema(
    {
        "message_id": STRING,
        "customer_id": STRING,
        "action_id": STRING,
        "step_id": STRING,
        "channel": STRING,
        "send_at": TS,
        "tick_id": STRING,
        "subject": STRING,
        "html": STRING,
        "text": STRING,
        "sms_encoding": STRING,
        "sms_segments": INT,
        "fields": STRING,
        "error": STRING,
        "content": STRING,
        "variant": STRING,
    }
)

# A/B tests whose ``auto_winner`` switched all traffic to one variant, from ``decided_at`` on.
VARIANT_WINNERS = ibis.schema(
    {
        "row_id": STRING,
        "scenario_id": STRING,
        "step_id": STRING,
        "variant": STRING,
        "decided_at": TS,
        "tick_id": STRING,
    }
)

# What came back about a message: delivered, bounced, opened, clicked, unsubscribed, complained,
# converted. Tracking and delivery append it; journeys read it for ``opened``/``clicked``
# conditions, reports for rates. ``row_id`` is a hash of (message_id, kind, time, detail).
ENGAGEMENT = ibis.schema(
    {
        "row_id": STRING,
        "message_id": STRING,
        "customer_id": STRING,
        "action_id": STRING,
        "step_id": STRING,
        "kind": STRING,
        "time": TS,
        "detail": STRING,
        "source": STRING,
    }
)

# Delivery: every attempt to hand a message to its provider (append-only), and each message's
# final outcome (one row per message: sent, failed, withheld:*, in_doubt). ``status`` of an
# attempt: started, handoff (the irrevocable step is under way), sent, temporary, permanent.
DELIVERY_ATTEMPTS = ibis.schema(
    {
        "row_id": STRING,
        "message_id": STRING,
        "customer_id": STRING,
        "channel": STRING,
        "provider": STRING,
        "attempt": INT,
        "status": STRING,
        "time": TS,
        "retry_at": TS,
        "detail": STRING,
    }
)

DELIVERIES = ibis.schema(
    {
        "message_id": STRING,
        "customer_id": STRING,
        "channel": STRING,
        "provider": STRING,
        "status": STRING,
        "time": TS,
        "attempts": INT,
        "provider_id": STRING,
        "detail": STRING,
    }
)

SEGMENT_LOG = ibis.schema(
    {
        "row_id": STRING,
        "customer_id": STRING,
        "segment": STRING,
        "member": dt.Boolean(),
        "time": TS,
        "tick_id": STRING,
    }
)

# BG/NBD fits of the scores that declare ``alive`` (one row per score and fit time).
SCORE_FITS = ibis.schema(
    {
        "fit_id": STRING,
        "score": STRING,
        "event": STRING,
        "r": dt.Float64(),
        "alpha": dt.Float64(),
        "a": dt.Float64(),
        "b": dt.Float64(),
        "customers": INT,
        "as_of": TS,
    }
)

# Privacy: every export, erasure and purge (``customer_id`` is the pseudonym once erased), and
# the keyed hashes (HMAC) of the identifiers of erased customers, which ingestion checks.
PRIVACY_LOG = ibis.schema(
    {
        "row_id": STRING,
        "action": STRING,
        "customer_id": STRING,
        "time": TS,
        "actor": STRING,
        "detail": STRING,
    }
)

ERASED = ibis.schema({"fingerprint": STRING, "kind": STRING, "time": TS})

# Scenarios paused from the dashboard: the latest row per action says whether it is paused.
PAUSES = ibis.schema(
    {
        "row_id": STRING,
        "action_id": STRING,
        "paused": dt.Boolean(),
        "time": TS,
        "who": STRING,
    }
)

STATE_META = ibis.schema({"as_of": TS, "loaded_mark": TS, "signature": STRING})

# The messages postponed and not decided for good yet (their ``messages`` row and latest retry
# time), as of the tick ``waiting_meta`` names: a cache of the decisions log, kept by each tick
# (see animato.engine.outbox.waiting).
WAITING = ibis.schema({**MESSAGES, "retry_at": TS})
WAITING_META = ibis.schema({"as_of": TS})

STATIC_TABLES: dict[str, tuple[ibis.Schema, str]] = {
    "state_meta": (STATE_META, ""),
    "waiting": (WAITING, ""),
    "waiting_meta": (WAITING_META, ""),
    "segment_log": (SEGMENT_LOG, "row_id"),
    "consents": (CONSENTS, "consent_id"),
    "suppressions": (SUPPRESSIONS, "suppression_id"),
    "quarantine": (QUARANTINE, ""),
    "ticks": (TICKS, "tick_id"),
    "enrolments": (ENROLMENTS, "enrolment_id"),
    "journey_log": (JOURNEY_LOG, "row_id"),
    "messages": (MESSAGES, "message_id"),
    "decisions": (DECISIONS, "row_id"),
    "outbox": (OUTBOX, "message_id"),
    "engagement": (ENGAGEMENT, "row_id"),
    "delivery_attempts": (DELIVERY_ATTEMPTS, "row_id"),
    "deliveries": (DELIVERIES, "message_id"),
    "score_fits": (SCORE_FITS, "fit_id"),
    "variant_winners": (VARIANT_WINNERS, "row_id"),
    "privacy_log": (PRIVACY_LOG, "row_id"),
    "erased_identities": (ERASED, "fingerprint"),
    "pauses": (PAUSES, "row_id"),
}


def tables(plan: Plan) -> dict[str, tuple[ibis.Schema, str]]:
    """Every table of the store with its schema and key column ('' for none)."""
    return {
        "customers": (customer_schema(plan), "customer_id"),
        "customer_versions": (customer_versions_schema(plan), "_version"),
        "events": (events_schema(plan), "event_id"),
        **STATIC_TABLES,
    }


ENUMS = {"events": event_enums}

# Tables written in the order of a column, each batch sorted as it is inserted: the ticks read
# the events of a period, and a table in time order lets DuckDB skip row groups by their min/max.
ORDERED = {"events": "time"}
