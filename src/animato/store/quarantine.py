"""Quarantine: the rows an ingest rejected, each with its reason, kept in two places.

The ``quarantine`` table holds one row per rejected file row (kind, source file, row number, the
raw record as JSON text, reason); re-ingesting the same file does not record the same row twice.
``<input>.quarantine.csv`` beside the input holds the original columns plus ``row_number`` and
``reason``, ready to be fixed and ingested again.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import ibis
import ibis.expr.types as ir

from animato.store.staging import REASON, ROW
from animato.store.store import Store

BAD = "_ingest_bad"


def quarantine_path(path: Path) -> Path:
    """Where the rejected rows of ``path`` are written: ``<input name>.quarantine.csv``."""
    return path.with_name(path.name + ".quarantine.csv")


def forget(path: Path) -> None:
    """Remove the quarantine file of an earlier ingest of ``path``: nothing is rejected now."""
    quarantine_path(path).unlink(missing_ok=True)


def record(
    store: Store,
    kind: str,
    path: Path,
    raw: ir.Table,
    columns: list[str],
    checked: ir.Table,
    loaded_at: datetime,
) -> Path | None:
    """Keep the rows of ``checked`` that have a reason; return the quarantine file, if any.

    ``raw`` is the staged file (``_row``, ``_malformed`` and ``columns``); a stale quarantine file
    from an earlier ingest of the same input is removed when nothing is quarantined now.
    """
    target = quarantine_path(path)
    bad = checked.filter(checked[REASON].notnull()).select(ROW, REASON)
    bad = store.materialize(BAD, bad)
    if not int(bad.count().to_pyarrow().as_py()):
        forget(path)
        return None
    rows = raw.join(bad, ROW)
    as_json = (
        ibis.struct({c: rows[c] for c in columns}).cast("json").cast("string")
        if columns
        else ibis.literal("{}")
    )
    entries = rows.select(
        kind=ibis.literal(kind),
        source=ibis.literal(str(path.resolve())),
        row_number=rows[ROW],
        record=rows._malformed.ifelse(ibis.null("string"), as_json),
        reason=rows[REASON],
    )
    known = store.table("quarantine")
    known = known.select("kind", "source", "row_number", "reason", _same=known.record.fill_null(""))
    entries = entries.mutate(_same=entries.record.fill_null(""))
    same = ["kind", "source", "row_number", "reason", "_same"]
    new = entries.anti_join(known, same).mutate(_loaded_at=ibis.literal(loaded_at))
    store.append("quarantine", new)
    names = {"row_number": _free("row_number", columns), "reason": _free("reason", columns)}
    listing = rows.select(
        *columns, **{names["row_number"]: rows[ROW], names["reason"]: rows[REASON]}
    ).order_by(names["row_number"])
    store.con.to_csv(listing, target)
    return target


def _free(name: str, columns: list[str]) -> str:
    """``name``, prefixed until it does not clash with a column of the input."""
    while name in columns:
        name = "quarantine_" + name
    return name
