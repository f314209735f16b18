"""Staging: an input file as a DuckDB relation, its columns read as the data contract says.

DuckDB reads the file (CSV as text, Parquet as typed, JSON Lines one object a line) into a
temporary relation whose ``_row`` is the record's 1-based position in the file, header not
counted. :class:`Rows` then reads each column as a contract type in one set-based pass: every
check is an Ibis expression, and a row's ``_reason`` is its first failed check. Emails, phone
numbers and time zones are checked in Python on distinct values only, then joined back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir
import pyarrow as pa

from animato.errors import StoreError
from animato.store.contacts import normalise_all
from animato.store.schema import FIELD_DTYPES
from animato.store.store import Store

ROW, REASON = "_row", "_reason"
RAW, JSON = "_ingest_raw", "_ingest_json"
FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet", ".jsonl": "jsonl"}
FORMATS |= {".ndjson": "jsonl", ".json": "json"}
TRUE_WORDS = ("true", "1", "yes", "granted")
FALSE_WORDS = ("false", "0", "no", "withdrawn")
BAD = {"integer": "bad_number", "number": "bad_number", "boolean": "bad_boolean"}
BAD |= {"date": "bad_date", "timestamp": "bad_timestamp", "email": "bad_email"}
BAD |= {"phone": "bad_phone", "timezone": "bad_timezone"}
LOOKED_UP = ("email", "phone", "timezone")
OFFSET = r"[0-9]:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?\s*([zZ]|[+-][0-9]{2}(:?[0-9]{2})?)$"
_STRING, _INT, _FLOAT, _TS = dt.String(), dt.Int64(), dt.Float64(), dt.Timestamp()
_UTC = dt.Timestamp(timezone="UTC")
Test = Callable[[ir.Table], ir.BooleanValue]


def stage(store: Store, path: Path) -> Rows:
    """The file as a temporary relation: ``_row``, ``_malformed`` then the file's own columns."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise StoreError(f"cannot ingest {path}: expected a .csv, .parquet or .jsonl file")
    if not path.is_file():
        raise StoreError(f"cannot ingest {path}: no such file")
    source = _literal(str(path))
    try:
        if fmt == "parquet":  # a view: Parquet is cheap to read again, in parallel
            # (file_row_number, unlike WITH ORDINALITY, leaves the scan parallel)
            store.con.raw_sql(
                f"CREATE OR REPLACE TEMP VIEW {RAW} AS SELECT file_row_number + 1 AS {ROW},"
                f" false AS _malformed, * EXCLUDE (file_row_number)"
                f" FROM read_parquet({source}, file_row_number = true)"
            )
        elif fmt == "csv":
            reader = f"read_csv({source}, all_varchar = true, header = true)"
            store.con.raw_sql(
                f"CREATE OR REPLACE TEMP TABLE {RAW} AS SELECT ordinality AS {ROW},"
                f" false AS _malformed, * EXCLUDE (ordinality) FROM {reader} WITH ORDINALITY"
            )
        else:
            _stage_json(store, source, "newline_delimited" if fmt == "jsonl" else "auto")
    except Exception as exc:  # duckdb raises its own errors for unreadable files
        raise StoreError(f"cannot read {path}: {exc}") from exc
    return Rows(store, store.con.table(RAW), trim=fmt != "parquet")


def _stage_json(store: Store, source: str, layout: str) -> None:
    """One row per JSON object, a column per key (as text); a line that is not one is malformed."""
    sql = store.con.raw_sql
    reader = f"read_json_objects({source}, format = '{layout}', ignore_errors = true)"
    sql(
        f"CREATE OR REPLACE TEMP TABLE {JSON} AS"
        f" SELECT ordinality AS {ROW}, json FROM {reader} WITH ORDINALITY"
    )
    keys = [key for (key,) in sql(_JSON_KEYS).fetchall()]
    values = "".join(f", v[{i}] AS {_ident(k)}" for i, k in enumerate(keys, 1))
    paths = ", ".join(_literal(k) for k in keys)
    sql(
        f"CREATE OR REPLACE TEMP TABLE {RAW} AS SELECT {ROW}, json_type(json) IS DISTINCT FROM"
        f" 'OBJECT' AS _malformed{values} FROM (SELECT {ROW}, json,"
        f" json_extract_string(json, [{paths}]::VARCHAR[]) AS v FROM {JSON})"
    )


_JSON_KEYS = (
    f"SELECT k.key FROM {JSON}, unnest(json_keys(json)) WITH ORDINALITY AS k(key, pos)"
    f" WHERE json_type(json) = 'OBJECT' GROUP BY k.key ORDER BY min({ROW}), min(k.pos)"
)


def drop(store: Store, *names: str) -> None:
    """Drop the staging relations and the temporary tables ``names``."""
    for name in (*names, RAW, JSON):
        for relation in ("TABLE", "VIEW"):
            try:
                store.con.raw_sql(f"DROP {relation} IF EXISTS temp.{name}")
            except Exception:  # a view dropped as a table: DuckDB refuses, the other one works
                continue


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@contextmanager
def unordered(store: Store) -> Iterator[None]:
    """Let DuckDB insert in any order while ingesting (faster; ``_row`` keeps the file's order)."""
    (before,) = store.con.raw_sql("SELECT current_setting('preserve_insertion_order')").fetchone()
    store.con.raw_sql("SET preserve_insertion_order = false")
    try:
        yield
    finally:
        store.con.raw_sql(f"SET preserve_insertion_order = {bool(before)}")


def _stub2(zone: Any, time: Any) -> Any:
    """Signature of DuckDB's ``timezone(zone, time)`` (never called in Python)."""


def _stub1(value: Any) -> Any:
    """Signature of a one-argument DuckDB function (never called in Python)."""


# DuckDB's timezone(zone, naive) reads a naive time in ``zone`` and gives an instant; an instant
# becomes naive UTC by arithmetic on its microseconds (faster than a time zone conversion).
_zoned: Callable[..., ir.Value] = ibis.udf.scalar.builtin(
    name="timezone", signature=((_STRING, _TS), _UTC)
)(_stub2)
_epoch_us: Callable[..., ir.Value] = ibis.udf.scalar.builtin(
    name="epoch_us", signature=((_UTC,), _INT)
)(_stub1)
_from_epoch_us: Callable[..., ir.Value] = ibis.udf.scalar.builtin(
    name="make_timestamp", signature=((_INT,), _TS)
)(_stub1)


def _utc(instant: ir.Value) -> ir.Value:
    """An instant (timestamp with time zone) as a naive UTC timestamp."""
    return _from_epoch_us(_epoch_us(instant))


class Rows:
    """The staged rows, with the plan's way of reading each column and the checks so far."""

    def __init__(self, store: Store, raw: ir.Table, *, trim: bool) -> None:
        self.store = store
        self.trim = trim
        self.zone = store.plan.timezone
        self.t: ir.Table = raw
        self.columns = [c for c in raw.columns if c not in (ROW, "_malformed")]
        self.values: dict[str, ir.Value] = {}
        self.checks: list[tuple[Test, str]] = []
        self.lookups: dict[tuple[str, str], str] = {}
        self.origin = ""  # where the rows come from, for rows that do not say (``source``)

    @property
    def cheap(self) -> bool:
        """Whether reading the rows again costs less than keeping them read: a Parquet view, typed
        already, with no values looked up in Python.
        """
        return not self.trim and not self.lookups

    def find(self, name: str) -> str | None:
        """The file's column for ``name``: same name, else the same name in another case."""
        if name in self.columns:
            return name
        folded = [c for c in self.columns if c.lower() == name.lower()]
        return folded[0] if len(folded) == 1 else None

    def text(self, column: str | None) -> ir.StringValue:
        """The column as text, empty as null (trimmed when read from text files)."""
        if column is None:
            return ibis.null(_STRING)
        value = self.t[column]
        if not value.type().is_string():
            return value.cast(_STRING)
        return (value.strip() if self.trim else value).nullif("")

    def present(self, column: str | None) -> ir.BooleanValue:
        """True where the row has a value in ``column``."""
        if column is None:
            return ibis.literal(False)
        value = self.t[column]
        return self.text(column).notnull() if value.type().is_string() else value.notnull()

    def look_up(self, needs: list[tuple[str, str]]) -> None:
        """Check distinct emails, phones or time zones in Python; join the results back."""
        for i, (column, kind) in enumerate(needs):
            key = self.text(column).lower() if kind == "email" else self.text(column)
            found = self.t.select(k=key).filter(lambda t: t.k.notnull()).distinct()
            if kind == "email":  # a cheap set-based pre-filter: no @, not an address
                found = found.filter(found.k.contains("@"))
            values = found.to_pyarrow()["k"].to_pylist()
            table = pa.table(
                {f"_k{i}": pa.array(values, pa.string()), f"_v{i}": normalise_all(values, kind)},
                schema=pa.schema([(f"_k{i}", pa.string()), (f"_v{i}", pa.string())]),
            )
            lookup = ibis.memtable(table)
            self.t = self.t.left_join(lookup, key == lookup[f"_k{i}"]).select(
                *self.t.columns, lookup[f"_v{i}"]
            )
            self.lookups[(column, kind)] = f"_v{i}"

    def field(
        self,
        name: str,
        column: str | None,
        kind: str,
        source: str,
        *,
        allowed: list[str] | None = None,
        required: bool = False,
        when: Test | None = None,
        reason: str | None = None,
    ) -> None:
        """Read ``column`` as ``kind`` into the column ``name`` of the middle relation.

        Its checks, in this order: a bad value (``reason``, by default ``bad_<kind>:<source>``),
        a value not in ``allowed``, a missing value when ``required``; ``when`` limits them to
        some rows (events of the types that have the property).
        """
        value, bad = self.parse(column, kind)
        self.values[name] = value
        tests: list[tuple[Test, str]] = []
        if kind in BAD and column is not None:
            self.values[name + "!"] = bad
            tests.append((lambda t: t[name + "!"], reason or f"{BAD[kind]}:{source}"))
        if allowed:
            tests.append(
                (lambda t: t[name].notnull() & ~t[name].isin(allowed), f"not_allowed:{source}")
            )
        if required:
            tests.append((lambda t: t[name].isnull(), f"missing_required:{source}"))
        for test, code in tests:
            self.check(_guarded(when, test), code)

    def check(self, test: Test, reason: str) -> None:
        """Add a check over the middle relation (its columns are the values read so far)."""
        self.checks.append((test, reason))

    def parse(self, column: str | None, kind: str) -> tuple[ir.Value, ir.BooleanValue]:
        """The column read as a contract type (timestamps in naive UTC), and where it is bad."""
        if column is None:
            return ibis.null(FIELD_DTYPES.get(kind, _STRING)), ibis.literal(False)
        value, text, present = self.t[column], self.text(column), self.present(column)
        source = value.type()
        parsed: ir.Value
        if kind in ("string", "category"):
            return text, ibis.literal(False)
        if (column, kind) in self.lookups:
            parsed = self.t[self.lookups[(column, kind)]]
        elif kind == "integer":
            whole = text.re_search(r"^[+-]?[0-9]+(\.0*)?$")
            parsed = (
                value.cast(_INT) if source.is_integer() else whole.ifelse(text.try_cast(_INT), None)
            )
        elif kind == "number":
            parsed = value.cast(_FLOAT) if source.is_numeric() else text.try_cast(_FLOAT)
            return parsed, present & (parsed.isnull() | parsed.isnan() | parsed.isinf())
        elif kind == "boolean":
            low = text.lower()
            parsed = (
                value
                if source.is_boolean()
                else ibis.cases(
                    (low.isin(TRUE_WORDS), True), (low.isin(FALSE_WORDS), False), else_=None
                )
            )
        elif kind == "date":
            parsed = value.cast(dt.date) if source.is_temporal() else text.try_cast(dt.date)
        elif kind == "timestamp":
            parsed = self._timestamp(value, text)
        else:
            raise AssertionError(f"no reader for {kind} (call look_up first)")
        return parsed, present & parsed.isnull()

    def _timestamp(self, value: ir.Value, text: ir.StringValue) -> ir.Value:
        source = value.type()
        if source.is_timestamp() and source.timezone is not None:
            return _utc(value)
        if source.is_timestamp() or source.is_date():
            return _utc(_zoned(self.zone, value.cast(_TS)))
        offset = text.re_search(OFFSET)
        return _utc(offset.ifelse(text.try_cast(_UTC), _zoned(self.zone, text.try_cast(_TS))))

    def typed(self, outputs: Callable[[ir.Table], dict[str, ir.Value]]) -> ir.Table:
        """``_row``, the first failed check as ``_reason``, then ``outputs`` of the values read.

        Values are read in a middle relation first, so that checks and ids name them instead of
        repeating their expressions.
        """
        mid = self.t.select(self.t[ROW], self.t._malformed, **self.values)
        checks = [(mid._malformed, "bad_json"), *((test(mid), code) for test, code in self.checks)]
        reason = ibis.cases(*checks, else_=ibis.null(_STRING))
        return mid.select(mid[ROW], **{REASON: reason}, **outputs(mid))


def _guarded(when: Test | None, test: Test) -> Test:
    return test if when is None else lambda t: when(t) & test(t)


def is_null(column: str) -> Test:
    """A check that ``column`` of the middle relation is empty."""
    return lambda t: t[column].isnull()


def of_types(types: list[str]) -> Test:
    """A check that the event is of one of ``types``."""
    return lambda t: t.type.isin(types)


def content_id(pairs: list[tuple[str, ir.Value]]) -> ir.StringValue:
    """md5 of ``name=value`` pairs joined by ``|``, nulls left out: a new null column keeps ids."""
    return (
        ibis.literal("|").join([f"{name}=" + v.cast(_STRING) for name, v in pairs]).hexdigest("md5")
    )
