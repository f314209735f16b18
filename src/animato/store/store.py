"""The store: a DuckDB file by default, or a PostgreSQL database; always used through Ibis.

Writes are appends of whole batches; a row whose key is already present is not inserted again, so
replaying a batch is a no-op. A tick runs inside one transaction: it lands whole or not at all.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa
from ibis.backends import BaseBackend

from animato.errors import StoreError
from animato.plan.model import Plan
from animato.settings import side_prefix
from animato.store import schema

DEFAULT_LOCATION = Path(".animato") / "store.duckdb"


def memory_limit() -> str:
    """DuckDB's memory budget: ``ANIMATO_MEMORY_LIMIT`` or 3 GB; past it, work spills to disk."""
    return os.environ.get("ANIMATO_MEMORY_LIMIT", "3GB")


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def is_server(location: str) -> bool:
    """Whether ``location`` names a database server (``postgres://…``) rather than a file."""
    return side_prefix(location) != location


def default_path(plan_dir: str | Path) -> Path:
    """Where a plan folder's store lives unless ``--store`` says otherwise."""
    return Path(plan_dir) / DEFAULT_LOCATION


class Store:
    """The tables of one plan: inputs, quarantine and the engine's append-only logs."""

    def __init__(self, plan: Plan, location: str | Path = ":memory:") -> None:
        self.plan = plan
        self.location = str(location)
        self._scratch: Path | None = None
        self.server = is_server(self.location)
        if "://" in self.location and not self.server:
            raise StoreError(
                f"unknown backend {self.location.split('://')[0]}://: expected a store file"
                " or postgres://user@host:port/database"
            )
        try:
            if self.server:
                self.con: BaseBackend = ibis.connect(self.location)
            else:
                if self.location != ":memory:":
                    Path(self.location).parent.mkdir(parents=True, exist_ok=True)
                self.con = ibis.duckdb.connect(self.location, memory_limit=memory_limit())
        except Exception as exc:  # duckdb raises its own IOException for locked files
            raise StoreError(f"cannot open the store {self.location}: {exc}") from exc
        self.keys: dict[str, str] = {}
        self._in_transaction = False
        self._tables: dict[str, ibis.Table] = {}
        self._batches = 0
        self.ensure_tables()

    def ensure_tables(self) -> None:
        """Create missing tables and add columns the plan's contract now declares."""
        self._tables.clear()
        existing = set(self.con.list_tables())
        for name, (table_schema, key) in schema.tables(self.plan).items():
            self.keys[name] = key
            if name not in existing:
                self.con.create_table(name, schema=table_schema)
                continue
            have = self.con.table(name).schema()
            for column, dtype in table_schema.items():
                if column not in have:
                    type_name = self.con.compiler.type_mapper.to_string(dtype)
                    self.con.raw_sql(f'ALTER TABLE "{name}" ADD COLUMN "{column}" {type_name}')
        if not self.server:  # ENUMs are DuckDB's; a server keeps text
            for name, enums in schema.ENUMS.items():
                self._align_enums(name, enums(self.plan))

    def _align_enums(self, table: str, enums: dict[str, list[str]]) -> None:
        """Make the columns of ``enums`` ENUMs of their values and of every value they held
        before (values are only ever added: rows loaded under an older plan keep theirs); an
        ENUM column that the plan no longer closes becomes text again.
        """
        sql = self.con.raw_sql
        current = dict(
            sql(
                "SELECT column_name, data_type FROM duckdb_columns()"
                " WHERE database_name = current_database() AND schema_name = 'main'"
                f" AND table_name = {_quote(table)}"
            ).fetchall()
        )
        for column, kind in current.items():
            if kind.startswith("ENUM(") and column not in enums:
                sql(f'ALTER TABLE "{table}" ALTER COLUMN "{column}" TYPE VARCHAR')
        for column, values in enums.items():
            kind = current[column]
            if kind.startswith("ENUM("):
                (held,) = sql(f"SELECT enum_range(NULL::{kind})").fetchone()
            else:
                held = [v for (v,) in sql(f'SELECT DISTINCT "{column}" FROM "{table}"').fetchall()]
            wanted = [*(v for v in held if v is not None), *(v for v in values if v not in held)]
            if kind.startswith("ENUM(") and len(wanted) == len(held):
                continue
            members = ", ".join(_quote(v) for v in wanted)
            sql(f'ALTER TABLE "{table}" ALTER COLUMN "{column}" TYPE ENUM({members})')

    @property
    def content_dir(self) -> Path:
        """Where the bodies of rendered emails are kept, as Parquet files beside the store (a
        campaign's HTML would otherwise sit in memory until its tick commits).
        """
        if self.location != ":memory:":
            folder = Path(side_prefix(self.location) + ".content")
        else:
            if self._scratch is None:  # an in-memory store keeps its files as long as it lives
                self._scratch = Path(tempfile.mkdtemp(prefix="animato-content-"))
                weakref.finalize(self, shutil.rmtree, self._scratch, ignore_errors=True)
            folder = self._scratch
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def table(self, name: str) -> ibis.Table:
        """An Ibis expression over a store table (looked up once: its schema is fixed)."""
        if name not in self._tables:
            self._tables[name] = self.con.table(name)
        return self._tables[name]

    def count(self, name: str) -> int:
        """Number of rows in a table."""
        return int(self.table(name).count().to_pyarrow().as_py())

    def append(self, name: str, rows: pa.Table | ibis.Table, *, unique: bool = False) -> int:
        """Insert the rows whose key is not in the table yet; return how many were inserted.

        ``unique`` says the rows' keys are already distinct, which saves a pass over them. Rows
        without a ``_loaded_at`` get the current time (the engine's watermark for late data).
        """
        if not isinstance(rows, pa.Table):
            return self._insert(name, rows, unique)
        if rows.num_rows == 0:
            return 0
        if self.server:
            return self._insert(name, ibis.memtable(rows), unique)
        # An Arrow batch is registered for this one insert and released right after (an Ibis
        # memtable would stay registered, holding its memory, as long as its expression lives).
        self._batches += 1
        view = f"_append_{self._batches}"
        raw = self.con.con
        raw.register(view, rows)
        try:
            return self._insert(name, self.con.table(view), unique)
        finally:
            raw.unregister(view)

    def _insert(self, name: str, rows: ibis.Table, unique: bool) -> int:
        key = self.keys[name]
        target = self.table(name)
        if "_loaded_at" in target.columns and "_loaded_at" not in rows.columns:
            rows = rows.mutate(_loaded_at=ibis.literal(datetime.now(UTC).replace(tzinfo=None)))
        rows = rows.select(*[c for c in target.columns if c in rows.columns])
        rows = rows.cast({c: t for c, t in target.schema().items() if c in rows.columns})
        if key:
            if not unique and self.server:  # no FIRST() aggregate there
                first = ibis.row_number().over(group_by=key) == 0
                rows = rows.filter(first)
            elif not unique:
                rows = rows.distinct(on=key, keep="first")
            rows = rows.anti_join(target, key)
        columns = ", ".join(f'"{c}"' for c in rows.columns)
        self.con._run_pre_execute_hooks(rows)  # registers in-memory (arrow) inputs
        select = self.con.compile(rows)
        result = self.con.raw_sql(f'INSERT INTO "{name}" ({columns}) {select}')
        if self.server:
            return int(result.rowcount)
        inserted = result.fetchone()
        return int(inserted[0]) if inserted else 0

    def materialize(self, name: str, expr: ir.Table) -> ir.Table:
        """``expr`` computed once into the temporary table ``name``, which it returns.

        Later expressions read the table instead of recompiling and recomputing ``expr``.
        """
        self.con._run_pre_execute_hooks(expr)  # registers in-memory inputs (arrow tables)
        select = self.con.compile(expr)
        if self.server:
            self.con.raw_sql(f'DROP TABLE IF EXISTS "{name}"')
            self.con.raw_sql(f'CREATE TEMP TABLE "{name}" AS {select}')
        else:
            self.con.raw_sql(f'CREATE OR REPLACE TEMP TABLE "{name}" AS {select}')
        return self.con.table(name)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Everything inside lands together, or nothing does."""
        if self._in_transaction:
            yield
            return
        self.con.raw_sql("BEGIN TRANSACTION")
        self._in_transaction = True
        try:
            yield
        except BaseException:
            self.con.raw_sql("ROLLBACK")
            raise
        else:
            self.con.raw_sql("COMMIT")
        finally:
            self._in_transaction = False

    def execute(self, expr: ibis.Expr) -> Any:
        """Run an expression and return a pyarrow result."""
        return expr.to_pyarrow()

    def close(self) -> None:
        """Release the database file."""
        self.con.disconnect()
