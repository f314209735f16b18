"""Ingestion: customers, events and consents from CSV, Parquet or JSON Lines files into the store.

Each row is checked against the plan's data contract, set-based (see :mod:`staging`); good rows
load, bad rows go to quarantine with their reason (see :mod:`quarantine`). Keys make a re-ingest
add nothing: the event id (from the file, else the md5 of the event's content), the consent id (md5
of all its fields), the customer version (md5 of the customer's fields). Rows are never lost:
``loaded + duplicates + quarantined == rows read``.

Times with an offset are converted to UTC; times without one are read in the plan's time zone.
Customers: a column the file does not have keeps its current values; an empty value clears one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, get_args

import ibis
import ibis.expr.types as ir

from animato.errors import StoreError
from animato.plan.model import CHANNELS
from animato.privacy import identities
from animato.store import quarantine, staging
from animato.store.schema import FIELD_DTYPES, event_properties
from animato.store.staging import BAD, LOOKED_UP, REASON, ROW, Rows, content_id, is_null, of_types
from animato.store.store import Store

Kind = Literal["customers", "events", "consents", "suppressions"]
KINDS: tuple[str, ...] = get_args(Kind)
TYPED, CUSTOMERS = "_ingest_typed", "_ingest_customers"
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "customers": ("customer_id",),
    "events": ("customer_id", "type", "time"),
    "consents": ("customer_id", "channel", "purpose", "granted", "time"),
    "suppressions": ("customer_id", "reason", "time"),
}
BUILTIN_FIELDS = {
    "customer_id": "string",
    "email": "email",
    "phone": "phone",
    "account_id": "string",
    "role": "string",
    "timezone": "timezone",
    "created_at": "timestamp",
}


@dataclass
class IngestSummary:
    """What one ingest did: every row read was loaded, a duplicate, or quarantined (by reason)."""

    loaded: int
    duplicates: int
    quarantined: dict[str, int] = field(default_factory=dict)
    quarantine_file: Path | None = None

    @property
    def rows(self) -> int:
        """Rows read from the file."""
        return self.loaded + self.duplicates + sum(self.quarantined.values())


def ingest(
    store: Store,
    kind: Kind,
    path: str | Path,
    *,
    progress: bool = False,
    origin: str | None = None,
) -> IngestSummary:
    """Load a file of ``kind`` (customers, events, consents or suppressions) into the store.

    A consent or suppression row without a ``source`` gets ``origin`` (default ``file:<name>``),
    so that every grant says where it came from.

    Good rows load; bad rows are kept in the ``quarantine`` table and in
    ``<input>.quarantine.csv`` (original columns, ``row_number``, ``reason``), which is removed
    when a later ingest of the same file quarantines nothing.
    """
    if kind not in KINDS:
        raise StoreError(f"cannot ingest '{kind}': expected one of {', '.join(KINDS)}")
    path = Path(path)
    loaded_at = datetime.now(UTC).replace(tzinfo=None)
    with _phases(progress, f"{kind} ← {path.name}") as phase, staging.unordered(store):
        try:
            phase("reading")
            rows = staging.stage(store, path)
            rows.origin = origin or f"file:{path.name}"
            missing = [c for c in REQUIRED_COLUMNS[kind] if rows.find(c) is None]
            if missing and rows.columns:  # (JSON without a single object: all rows malformed)
                raise StoreError(
                    f"cannot ingest {path}: no column {', '.join(missing)}"
                    f" (columns: {', '.join(rows.columns) or 'none'})"
                )
            phase("checking")
            raw = rows.t
            typed = _CHECKS[kind](rows)
            if not rows.cheap:  # else each pass recomputes it, which costs less than writing it
                typed = store.materialize(TYPED, typed)
            counts, distinct = _counts(typed, _KEYS.get(kind), _given_keys(rows, kind))
            with store.transaction():
                phase("quarantining")
                target = None
                if set(counts) - {None}:
                    target = quarantine.record(
                        store, kind, path, raw, rows.columns, typed, loaded_at
                    )
                else:
                    quarantine.forget(path)
                phase("loading")
                # no bad row: the checks need not run again while loading
                good = typed if set(counts) == {None} else typed.filter(typed[REASON].isnull())
                good = good.drop(REASON)
                load = _LOADS[kind]
                loaded = load(store, good, loaded_at, distinct) if counts.get(None) else 0
        finally:
            staging.drop(store, CUSTOMERS, quarantine.BAD, TYPED)
    bad = sorted(((str(r), n) for r, n in counts.items() if r), key=lambda p: (-p[1], p[0]))
    return IngestSummary(loaded, counts.get(None, 0) - loaded, dict(bad), target)


def _given_keys(rows: Rows, kind: str) -> ir.StringValue | None:
    """The file's own ids, when a row's key is its id as given (events with an ``event_id``)."""
    column = rows.find("event_id") if kind == "events" else None
    return rows.text(column) if column is not None else None


def _counts(
    typed: ir.Table, key: str | None, given: ir.StringValue | None = None
) -> tuple[dict[str | None, int], bool]:
    """Rows by reason (None: good), and whether the good rows' ``key`` values are all distinct.

    Checking distinctness costs a fraction of keeping the first row of each key, which a file
    without repeated ids (the usual case) can then skip. When the file gives every row its id,
    the check reads that one column instead of the computed keys.
    """
    if given is not None:
        ids = given.as_table()
        only = ids[ids.columns[0]]
        found = ids.aggregate(n=ids.count(), keys=only.nunique()).to_pyarrow().to_pylist()[0]
        if found["keys"] == found["n"]:  # every row has an id, and no two the same
            result = typed.group_by(REASON).agg(n=typed.count()).to_pyarrow().to_pylist()
            return {row[REASON]: int(row["n"]) for row in result}, True
    keys = typed[key].nunique() if key else ibis.literal(0)
    result = typed.group_by(REASON).agg(n=typed.count(), keys=keys).to_pyarrow().to_pylist()
    counts = {row[REASON]: int(row["n"]) for row in result}
    good = next((row for row in result if row[REASON] is None), None)
    return counts, key is not None and good is not None and good["keys"] == good["n"]


# --- the three kinds -----------------------------------------------------------------------


def _customers(rows: Rows) -> ir.Table:
    plan = rows.store.plan
    # The contract may declare a built-in field again (email, phone…): its declaration wins.
    declared: dict[str, tuple[str, str, str, bool, list[str] | None]] = {
        name: (name, kind, name, False, None) for name, kind in BUILTIN_FIELDS.items()
    }
    declared |= {
        name: (name, spec.type, spec.column or name, spec.required, spec.values)
        for name, spec in plan.data.customer.items()
    }
    fields = list(declared.values())
    rows.look_up([(c, k) for _, k, s, _, _ in fields if k in LOOKED_UP if (c := rows.find(s))])
    absent = [name for name, _, source, _, _ in fields if rows.find(source) is None]
    current = rows.store.table("customers")
    current = current.select(
        _cur_id=current.customer_id,
        _cur_version=current._version,
        **{f"_cur_{name}": current[name] for name in absent},
    )
    key = rows.text(rows.find("customer_id"))
    joined = rows.t.left_join(current, key == current._cur_id)
    rows.t = joined.select(*rows.t.columns, *current.columns)
    rows.values["customer_id"] = rows.text(rows.find("customer_id"))
    rows.values["_cur_version"] = rows.t._cur_version
    rows.check(lambda t: t.customer_id.isnull(), "missing_customer_id")
    for name, kind, source, required, allowed in fields[1:]:
        if name in absent:  # a column the file does not have keeps its current values
            rows.values[name] = rows.t[f"_cur_{name}"]
            if required:
                rows.check(is_null(name), f"missing_required:{source}")
            continue
        builtin = name == kind and kind in LOOKED_UP  # bad_email, bad_phone, bad_timezone
        plain = BAD[kind] if builtin else None
        rows.field(
            name, rows.find(source), kind, source, allowed=allowed, required=required, reason=plain
        )

    def outputs(t: ir.Table) -> dict[str, ir.Value]:
        values = {
            name: t[name].cast(FIELD_DTYPES.get(kind, FIELD_DTYPES["string"]))
            for name, kind, *_ in fields
        }
        version = content_id(sorted(values.items()))
        return {**values, "_version": version, "_cur_version": t._cur_version}

    return rows.typed(outputs)


def _events(rows: Rows) -> ir.Table:
    plan = rows.store.plan
    specs = plan.data.events
    groups: dict[str, dict[tuple[str, str, bool, tuple[str, ...]], list[str]]] = {}
    for type_name, spec in specs.items():
        for name, prop in spec.properties.items():
            shape = (prop.column or name, prop.type, prop.required, tuple(prop.values or ()))
            groups.setdefault(name, {}).setdefault(shape, []).append(type_name)
    needs = {
        (c, s[1]) for g in groups.values() for s in g if s[1] in LOOKED_UP if (c := rows.find(s[0]))
    }
    rows.look_up(sorted(needs))
    given = rows.find("event_id")
    rows.values.update(
        customer_id=rows.text(rows.find("customer_id")),
        type=rows.text(rows.find("type")),
        _given_id=rows.text(given),
    )
    customer_types = [t for t, s in specs.items() if s.customer_event]
    rows.check(lambda t: t.type.isnull() | ~t.type.isin(list(specs)), "unknown_event_type")
    rows.check(
        lambda t: t.customer_id.isnull() & t.type.isin(customer_types), "missing_customer_id"
    )
    rows.field(
        "time", rows.find("time"), "timestamp", "time", required=True, reason="bad_timestamp"
    )
    branches: dict[str, list[tuple[list[str], str]]] = {}
    for name, shapes in groups.items():
        for i, ((source, ftype, required, allowed), types) in enumerate(shapes.items()):
            column = f"{name}@{i}"
            rows.field(
                column,
                rows.find(source),
                ftype,
                source,
                allowed=list(allowed),
                required=required,
                when=of_types(types),
            )
            branches.setdefault(name, []).append((types, column))
    dtypes = event_properties(plan)

    def outputs(t: ir.Table) -> dict[str, ir.Value]:
        props = {
            name: ibis.cases(
                *((t.type.isin(types), t[column].cast(dtypes[name])) for types, column in cases),
                else_=ibis.null(dtypes[name]),
            )
            for name, cases in branches.items()
        }
        base = [("customer_id", t.customer_id), ("type", t.type), ("time", t.time)]
        derived = ibis.cases(
            *(
                (t.type == kind, content_id(base + [(p, props[p]) for p in sorted(s.properties)]))
                for kind, s in specs.items()
            ),
            else_=ibis.null("string"),
        )
        event_id = t._given_id.fill_null(derived) if given else derived
        return {
            "event_id": event_id,
            "customer_id": t.customer_id,
            "type": t.type,
            "time": t.time,
            **props,
        }

    return rows.typed(outputs)


def _consents(rows: Rows) -> ir.Table:
    rows.values.update(
        customer_id=rows.text(rows.find("customer_id")),
        channel=rows.text(rows.find("channel")).lower(),
        purpose=rows.text(rows.find("purpose")),
        source=rows.text(rows.find("source")).fill_null(rows.origin),
        wording_version=rows.text(rows.find("wording_version")),
    )
    rows.check(lambda t: t.customer_id.isnull(), "missing_customer_id")
    rows.check(lambda t: t.channel.isnull() | ~t.channel.isin(list(CHANNELS)), "bad_channel")
    rows.check(lambda t: t.purpose.isnull(), "missing_required:purpose")
    rows.field("granted", rows.find("granted"), "boolean", "granted", required=True)
    rows.field(
        "time", rows.find("time"), "timestamp", "time", required=True, reason="bad_timestamp"
    )
    names = ("customer_id", "channel", "purpose", "granted", "time", "source", "wording_version")

    def outputs(t: ir.Table) -> dict[str, ir.Value]:
        values = {name: t[name] for name in names}
        return {"consent_id": content_id(list(values.items())), **values}

    return rows.typed(outputs)


def _suppressions(rows: Rows) -> ir.Table:
    """Suppressions: a customer not to contact on a channel (or ``all``), for a reason (hard
    bounce, do-not-contact, erasure…), until a later row with ``active`` false lifts it.
    """
    rows.values.update(
        customer_id=rows.text(rows.find("customer_id")),
        channel=rows.text(rows.find("channel")).lower().fill_null("all"),
        reason=rows.text(rows.find("reason")),
        source=rows.text(rows.find("source")).fill_null(rows.origin),
    )
    rows.check(lambda t: t.customer_id.isnull(), "missing_customer_id")
    rows.check(lambda t: ~t.channel.isin([*CHANNELS, "all"]), "bad_channel")
    rows.check(lambda t: t.reason.isnull(), "missing_required:reason")
    rows.field("active", rows.find("active"), "boolean", "active")
    rows.field(
        "time", rows.find("time"), "timestamp", "time", required=True, reason="bad_timestamp"
    )
    names = ("customer_id", "channel", "reason", "active", "time", "source")

    def outputs(t: ir.Table) -> dict[str, ir.Value]:
        values = {name: t[name] for name in names}
        values["active"] = t.active.fill_null(True)
        return {"suppression_id": content_id(list(values.items())), **values}

    return rows.typed(outputs)


_CHECKS: dict[str, Callable[[Rows], ir.Table]] = {
    "customers": _customers,
    "events": _events,
    "consents": _consents,
    "suppressions": _suppressions,
}


# --- loading -------------------------------------------------------------------------------


# A loader: (store, good rows, load time, whether the good rows' keys are distinct) → rows loaded.
Loader = Callable[[Store, ir.Table, datetime, bool], int]


def _keyed(table: str, key: str) -> Loader:
    """Loader of a table keyed by ``key``: the first row of each key, if the key is new."""

    def load(store: Store, good: ir.Table, loaded_at: datetime, distinct: bool) -> int:
        first = good
        if not distinct:
            first = good.filter(ibis.row_number().over(group_by=good[key], order_by=good[ROW]) == 0)
        return store.append(table, first.mutate(_loaded_at=ibis.literal(loaded_at)), unique=True)

    return load


def _load_customers(store: Store, good: ir.Table, loaded_at: datetime, distinct: bool) -> int:
    """Append new versions to the log; replace the current row of customers that changed.

    A customer whose id, email or phone was erased before is suppressed on every channel.
    A row changes its customer when it is the file's last row for that customer and differs from
    the current row; a row counts as loaded when it adds a version or changes its customer.
    """
    first = ibis.row_number().over(group_by=good._version, order_by=good[ROW]) == 0
    last = good[ROW] == good[ROW].max().over(group_by=good.customer_id)
    known = good._version.isin(store.table("customer_versions")._version)
    changes = last & (good._cur_version.isnull() | (good._cur_version != good._version))
    marked = good.mutate(_new=first & ~known, _changes=changes, _loaded_at=ibis.literal(loaded_at))
    staged = store.materialize(CUSTOMERS, marked)
    loaded = int(staged.filter(staged._new | staged._changes).count().to_pyarrow().as_py())
    store.append("customer_versions", staged.filter(staged._new), unique=True)
    store.con.raw_sql(
        f"DELETE FROM customers WHERE customer_id IN"
        f" (SELECT customer_id FROM temp.{CUSTOMERS} WHERE _changes)"
    )
    changed = staged.filter(staged._changes)
    store.append("customers", changed, unique=True)
    identities.guard(store, changed, loaded_at)  # an erased person stays suppressed
    return loaded


_KEYS = {"events": "event_id", "consents": "consent_id", "suppressions": "suppression_id"}
_LOADS: dict[str, Loader] = {
    "customers": _load_customers,
    **{kind: _keyed(kind, key) for kind, key in _KEYS.items()},
}


@contextmanager
def _phases(enabled: bool, label: str) -> Iterator[Callable[[str], None]]:
    """A progress bar advancing by phase (reading, checking, quarantining, loading)."""
    if not enabled:
        yield lambda _: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=4)
        done = -1

        def phase(name: str) -> None:
            nonlocal done
            done += 1
            bar.update(task, completed=done, description=f"{label}: {name}")

        yield phase
        bar.update(task, completed=4)
