"""Moving a store's inputs to another store: a DuckDB file to a PostgreSQL database or Spark.

The inputs are what ingestion validated (customers and their versions, events, consents,
suppressions, recorded engagement); the engine's logs are not copied, they are what the target
computes itself. Rows whose key the target already holds are skipped, so a copy can be resumed.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pyarrow as pa

from animato.store.store import Store

INPUTS = ("customers", "customer_versions", "events", "consents", "suppressions", "engagement")
BATCH_ROWS = 200_000


def copy_inputs(source: Store, target: Store) -> dict[str, int]:
    """Append every input table of ``source`` to ``target``; rows added to each."""
    if source.backend == "duckdb" and target.location.startswith("spark://local"):
        return _through_parquet(source, target)
    added: dict[str, int] = {}
    for name in INPUTS:
        table = source.table(name)
        added[name] = 0
        with table.to_pyarrow_batches(chunk_size=BATCH_ROWS) as batches:
            for batch in batches:
                added[name] += target.append(name, pa.Table.from_batches([batch]))
    return added


def _through_parquet(source: Store, target: Store) -> dict[str, int]:
    """Each table written by DuckDB as one Parquet file that local Spark reads in one insert.

    Batches through Arrow cost Spark a job each (and a comparison with the growing table): at a
    million customers, hours instead of minutes.
    """
    folder = Path(tempfile.mkdtemp(prefix="animato-transfer-"))
    try:
        added: dict[str, int] = {}
        for name in INPUTS:
            path = folder / f"{name}.parquet"
            source.con.raw_sql(f"COPY {source.quote(name)} TO '{path}' (FORMAT parquet)")
            # a store's keys are distinct already
            added[name] = target.append(name, target.con.read_parquet(path), unique=True)
        return added
    finally:
        shutil.rmtree(folder, ignore_errors=True)
