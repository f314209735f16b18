"""The store: a DuckDB file by default, a PostgreSQL database or Spark; always used through Ibis.

What differs between them (registering Arrow batches, temporary tables, transactions, deleting
rows, quoting) is kept here: the engine's expressions are the same on all three.

Writes are appends of whole batches; a row whose key is already present is not inserted again, so
replaying a batch is a no-op. A tick runs inside one transaction: it lands whole or not at all.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import types
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import sqlglot as sg
from ibis.backends import BaseBackend

from animato.errors import StoreError
from animato.plan.model import Plan
from animato.settings import SERVERS, side_prefix
from animato.store import schema

DEFAULT_LOCATION = Path(".animato") / "store.duckdb"
# DuckDB folds its write-ahead log into the file past this size. Every checkpoint compresses
# again the last, partly filled row group of each log a tick appends to: at the default 16 MB,
# each tick of a million customers checkpointed, and spent a second doing it (bench/simulate.py);
# at 128 MB, eight ticks of the 1M replay from day 76 took 51 s, at 256 MB 48.7 s (no better
# beyond: 49.2 s at 1 GB, 48.3 s at 8 GB; bench/replay_ticks.py).
CHECKPOINT = "256MB"
# Ibis merges nested selects before it writes SQL; the databases' planners do it anyway, and a
# tick's hundred statements spent a third of their compile time on it (bench/replay_ticks.py).
ibis.options.sql.fuse_selects = False


def memory_limit() -> str:
    """DuckDB's memory budget: ``ANIMATO_MEMORY_LIMIT`` or 3 GB; past it, work spills to disk."""
    return os.environ.get("ANIMATO_MEMORY_LIMIT", "3GB")


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def is_server(location: str) -> bool:
    """Whether ``location`` names a server (``postgres://…``, ``spark://…``) rather than a file."""
    return location.startswith(SERVERS)


def backend_of(location: str) -> str:
    """``duckdb``, ``postgres`` or ``spark``: which engine a store location runs on."""
    if location.startswith("spark://"):
        return "spark"
    return "postgres" if is_server(location) else "duckdb"


def _spark(location: str) -> BaseBackend:
    """An Ibis connection to Spark: ``spark://local[N]`` in this process, else a cluster's master.

    Tables are Parquet folders in ``<ANIMATO_HOME>/<name>.warehouse``, declared again in each
    session, so that no metastore is needed.
    """
    from pyspark.sql import SparkSession

    rest = location.removeprefix("spark://")
    master = rest if rest.startswith("local") else location
    session = (
        SparkSession.builder.master(master)
        .appName("animato")
        .config("spark.ui.enabled", "false")
        # local mode runs in the driver: its default 1 GB heap is too small past 100k customers
        .config("spark.driver.memory", os.environ.get("ANIMATO_SPARK_MEMORY", "6g"))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", os.environ.get("ANIMATO_SPARK_PARTITIONS", "4"))
        .config("spark.sql.warehouse.dir", str(Path(side_prefix(location) + ".warehouse")))
        .getOrCreate()
    )
    con = ibis.pyspark.connect(session)
    con.to_pyarrow = types.MethodType(_spark_arrow, con)
    con._register_in_memory_table = types.MethodType(_spark_register, con)
    return con


def _spark_register(con: Any, op: Any) -> None:
    """Arrow batches handed to Spark as Arrow (Ibis goes through pandas, where a missing
    string becomes NaN).
    """
    from ibis.backends.pyspark.datatypes import PySparkSchema

    data = op.data.to_pyarrow(op.schema)
    frame = con._session.createDataFrame(data, schema=PySparkSchema.from_ibis(op.schema))
    frame.createOrReplaceTempView(op.name)


def _spark_arrow(con: Any, expr: ir.Expr, /, **kwargs: Any) -> Any:
    """Spark's own Arrow results, instead of Ibis' round trip through pandas (where a missing
    string comes back as NaN).
    """
    from ibis.formats.pyarrow import PyArrowData

    table = expr.as_table()
    con._run_pre_execute_hooks(table)
    arrow = con._session.sql(con.compile(table, **kwargs)).toArrow()
    return expr.__pyarrow_result__(PyArrowData.convert_table(arrow, table.schema()))


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
        self.backend = backend_of(self.location)
        if "://" in self.location and not self.server:
            raise StoreError(
                f"unknown backend {self.location.split('://')[0]}://: expected a store file,"
                " postgres://user@host:port/database or spark://local[2] (or a master's URL)"
            )
        try:
            if self.backend == "spark":
                self.con: BaseBackend = _spark(self.location)
            elif self.server:
                self.con = ibis.connect(self.location)
            else:
                if self.location != ":memory:":
                    Path(self.location).parent.mkdir(parents=True, exist_ok=True)
                self.con = ibis.duckdb.connect(
                    self.location, memory_limit=memory_limit(), checkpoint_threshold=CHECKPOINT
                )
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
            if self.backend == "spark":
                self._declare(name, table_schema)
                continue
            if name not in existing:
                self.con.create_table(name, schema=table_schema)
                continue
            have = self.con.table(name).schema()
            for column, dtype in table_schema.items():
                if column not in have:
                    type_name = self.con.compiler.type_mapper.to_string(dtype)
                    self.con.raw_sql(f'ALTER TABLE "{name}" ADD COLUMN "{column}" {type_name}')
        if self.backend == "duckdb":  # ENUMs are DuckDB's; the others keep text
            for name, enums in schema.ENUMS.items():
                self._align_enums(name, enums(self.plan))

    def _declare(self, name: str, table_schema: ibis.Schema) -> None:
        """A Spark table over its Parquet folder (empty the first time)."""
        folder = Path(side_prefix(self.location) + ".warehouse") / name
        folder.mkdir(parents=True, exist_ok=True)
        columns = ", ".join(
            f"{self.quote(c)} {self.con.compiler.type_mapper.to_string(t)}"
            for c, t in table_schema.items()
        )
        # declared again each time (an external table: dropping it keeps its files), over this
        # store's folder even if the session knew the name from another store
        self.con.raw_sql(f"DROP TABLE IF EXISTS {self.quote(name)}")
        self.con.raw_sql(
            f"CREATE TABLE {self.quote(name)} ({columns}) USING parquet"
            f" LOCATION {_quote(folder.resolve().as_uri())}"
        )

    def quote(self, name: str) -> str:
        """``name`` as an identifier in the backend's SQL."""
        return str(sg.to_identifier(name, quoted=True).sql(self.con.dialect))

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

    def append(
        self,
        name: str,
        rows: pa.Table | ibis.Table,
        *,
        unique: bool = False,
        known: ir.Table | None = None,
    ) -> int:
        """Insert the rows whose key is not in the table yet; return how many were inserted.

        ``unique`` says the rows' keys are already distinct, which saves a pass over them.
        ``known`` (a table with the key column) holds every key of the table that one of
        ``rows`` could have, when the keys say where they can be (a key that holds the tick's
        id, a time it implies): only those are looked at, not the whole log, and none when it
        holds no key yet (a tick's first rows). Rows without a
        ``_loaded_at`` get the current time (the engine's watermark for late data).
        """
        if not isinstance(rows, pa.Table):
            return self._insert(name, rows, unique, known)
        if rows.num_rows == 0:
            return 0
        if self.server:
            return self._insert(name, ibis.memtable(rows), unique, known)
        with self._registered(rows) as view:
            return self._insert(name, self.con.table(view), unique, known)

    @contextmanager
    def _registered(self, rows: pa.Table) -> Iterator[str]:
        """A view over Arrow ``rows`` for the statements inside, released right after (an Ibis
        memtable stays registered, holding its rows, until the process exits)."""
        self._batches += 1
        view = f"_arrow_{self._batches}"
        raw = self.con.con
        raw.register(view, rows)
        try:
            yield view
        finally:
            raw.unregister(view)

    def _insert(self, name: str, rows: ibis.Table, unique: bool, known: ir.Table | None) -> int:
        return self.insert(name, self.novel(name, rows, unique=unique, known=known))

    def novel(
        self, name: str, rows: ibis.Table, *, unique: bool = False, known: ir.Table | None = None
    ) -> ir.Table:
        """The rows :meth:`append` would insert, in the table's columns (to keep them at hand
        after they are inserted with :meth:`insert`)."""
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
            # a scope that holds no key yet (a tick's first rows) has nothing to look for
            if known is None or int(known.count().to_pyarrow().as_py()):
                rows = rows.anti_join((target if known is None else known).select(key), key)
        return rows

    def insert(self, name: str, rows: ibis.Table) -> int:
        """``INSERT INTO name SELECT …``, keys unchecked; the number of rows inserted."""
        if name in schema.ORDERED:  # each batch in the table's order (see schema.ORDERED)
            rows = rows.order_by(schema.ORDERED[name])
        columns = ", ".join(self.quote(c) for c in rows.columns)
        self.con._run_pre_execute_hooks(rows)  # registers in-memory (arrow) inputs
        sql = f"INSERT INTO {self.quote(name)} ({columns}) {self.con.compile(rows)}"
        if self.backend == "spark":  # no row count: the table's, before and after
            before = self.count(name)
            self.con.raw_sql(sql)
            return self.count(name) - before
        result = self.con.raw_sql(sql)
        if self.server:
            return int(result.rowcount)
        inserted = result.fetchone()
        return int(inserted[0]) if inserted else 0

    def delete(self, name: str, column: str, among: ibis.Table) -> None:
        """Delete the rows of ``name`` whose ``column`` is in ``among``'s (same name)."""
        if self.backend == "spark":  # Parquet tables: rewritten without them
            target = self.table(name)
            kept = self.materialize(f"_kept_{name}", target.anti_join(among.select(column), column))
            self.con.raw_sql(f"INSERT OVERWRITE TABLE {self.quote(name)} {self.con.compile(kept)}")
            return
        self.con._run_pre_execute_hooks(among)
        ids = self.con.compile(among.select(column))
        self.con.raw_sql(f"DELETE FROM {self.quote(name)} WHERE {self.quote(column)} IN ({ids})")

    def replace(self, name: str, expr: ir.Table) -> ir.Table:
        """The permanent table ``name`` made anew from ``expr`` (a cache rebuilt whole)."""
        self._tables.pop(name, None)
        if self.backend != "spark":
            self.con.create_table(name, expr, overwrite=True)
            return self.con.table(name)
        self.con._run_pre_execute_hooks(expr)
        folder = (Path(side_prefix(self.location) + ".warehouse") / name).resolve().as_uri()
        self.con._session.sql(self.con.compile(expr)).write.mode("overwrite").parquet(folder)
        self.con.raw_sql(f"DROP TABLE IF EXISTS {self.quote(name)}")
        self.con.raw_sql(f"CREATE TABLE {self.quote(name)} USING parquet LOCATION {_quote(folder)}")
        return self.con.table(name)

    def clear(self, name: str) -> None:
        """Delete every row of ``name``."""
        if self.backend == "spark":  # no TRUNCATE of a table over a folder: overwritten empty
            empty = self.con._session.table(self.quote(name)).limit(0).localCheckpoint()
            empty.write.insertInto(self.quote(name), overwrite=True)
        else:
            self.con.raw_sql(f"DELETE FROM {self.quote(name)}")

    def materialize(self, name: str, expr: ir.Table) -> ir.Table:
        """``expr`` computed once into the temporary table ``name``, which it returns.

        Later expressions read the table instead of recompiling and recomputing ``expr``.
        """
        self.con._run_pre_execute_hooks(expr)  # registers in-memory inputs (arrow tables)
        select = self.con.compile(expr)
        if self.backend == "spark":  # computed now, kept by the executors (not a lazy view)
            session = self.con._session
            session.sql(select).localCheckpoint(eager=True).createOrReplaceTempView(name)
        elif self.server:
            self.con.raw_sql(f'DROP TABLE IF EXISTS "{name}"')
            self.con.raw_sql(f'CREATE TEMP TABLE "{name}" AS {select}')
        else:
            self.con.raw_sql(f'CREATE OR REPLACE TEMP TABLE "{name}" AS {select}')
        return self.con.table(name)

    def load(self, name: str, rows: pa.Table) -> ir.Table:
        """Arrow ``rows`` in the temporary table ``name`` (made anew), which it returns.

        For rows made in Python tick after tick, which an Ibis memtable would hold until the
        process exits.
        """
        if self.server:
            return self.materialize(name, ibis.memtable(rows))
        with self._registered(rows) as view:
            self.con.raw_sql(f'CREATE OR REPLACE TEMP TABLE "{name}" AS SELECT * FROM "{view}"')
        return self.con.table(name)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Everything inside lands together, or nothing does."""
        if self._in_transaction or self.backend == "spark":  # Spark has no transactions
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
        """Release the database file (a Spark session is the process's: it ends with it)."""
        if self.backend != "spark":
            self.con.disconnect()
