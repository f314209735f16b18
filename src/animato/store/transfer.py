"""Moving a store's inputs to another store: a DuckDB file to a PostgreSQL database, or back.

The inputs are what ingestion validated (customers and their versions, events, consents,
suppressions, recorded engagement); the engine's logs are not copied, they are what the target
computes itself. Rows whose key the target already holds are skipped, so a copy can be resumed.
"""

from __future__ import annotations

import pyarrow as pa

from animato.store.store import Store

INPUTS = ("customers", "customer_versions", "events", "consents", "suppressions", "engagement")
BATCH_ROWS = 200_000


def copy_inputs(source: Store, target: Store) -> dict[str, int]:
    """Append every input table of ``source`` to ``target``, batch by batch; rows added each."""
    added: dict[str, int] = {}
    for name in INPUTS:
        table = source.table(name)
        added[name] = 0
        with table.to_pyarrow_batches(chunk_size=BATCH_ROWS) as batches:
            for batch in batches:
                added[name] += target.append(name, pa.Table.from_batches([batch]))
    return added
