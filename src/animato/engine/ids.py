"""Deterministic ids and control-group assignment, the same in Python and on every backend.

A row's id is the md5 of its natural key; control groups follow DESIGN.md §4:
``int(md5(salt + ':' + scenario_id + ':' + customer_id)[:8], 16) / 16**8 < share``.
The Ibis versions use only md5, substrings and arithmetic so that DuckDB, Spark and PostgreSQL
agree with Python to the last bit.
"""

from __future__ import annotations

import hashlib
import math

import ibis
import ibis.expr.types as ir


@ibis.udf.scalar.builtin(name="md5")  # type: ignore[untyped-decorator]
def _md5(text: str) -> str:  # type: ignore[empty-body]
    """The backends' own ``md5(text)``: lower-case hex in DuckDB, PostgreSQL and Spark alike."""


def row_id(*parts: object) -> str:
    """The id of a row: md5 of its natural key parts joined by '|'."""
    key = "|".join("" if p is None else str(p) for p in parts)
    return hashlib.md5(key.encode("utf-8")).hexdigest()


def unit_hash(text: str) -> float:
    """A number in [0, 1) from the first 8 hex digits of md5(text)."""
    return int(hashlib.md5(text.encode("utf-8")).hexdigest()[:8], 16) / 16**8


def in_control(salt: str, scope: str, customer_id: str, share: float) -> bool:
    """True when the customer is in the control group of ``scope`` (a scenario id or 'global')."""
    return share > 0 and unit_hash(f"{salt}:{scope}:{customer_id}") < share


def row_id_expr(*parts: ir.Value) -> ir.StringValue:
    """Ibis version of :func:`row_id` (nulls become empty strings, as in Python)."""
    pieces: list[ir.StringValue] = []
    for i, part in enumerate(parts):
        if i:
            pieces.append(ibis.literal("|"))
        pieces.append(part.cast("string").fill_null(""))
    text = pieces[0]
    for piece in pieces[1:]:
        text = text + piece
    return _md5(text)


def unit_hash_expr(text: ir.StringValue) -> ir.FloatingValue:
    """Ibis version of :func:`unit_hash`, built from md5 and digit arithmetic only."""
    digest = _md5(text)
    # in doubles (exact below 2**53); a digit's value from its character code ('0' is 48, 'a'
    # 97): three times faster than looking it up in a string of the sixteen digits
    total: ir.NumericValue = ibis.literal(0.0, type="float64")
    for i in range(8):
        code = digest.substr(i, 1).ascii_str().cast("float64")
        total = total * 16.0 + code - (code > 57.0).ifelse(87.0, 48.0)
    return total / float(16**8)


def below(text: ir.StringValue, share: float) -> ir.BooleanValue:
    """Ibis version of ``unit_hash(text) < share``, with a single md5 per row.

    The first eight hex digits of the digest, compared as a string with those of the smallest
    integer at or above ``share × 16**8``: lower-case hex sorts as its numbers do. (The digit
    arithmetic of :func:`unit_hash_expr` repeats the md5 sixteen times where the engine cannot
    share it, inside a CASE.)
    """
    if share <= 0:
        return ibis.literal(False)
    bound = math.ceil(share * 16**8)  # exact: 16**8 is a power of two
    if bound >= 16**8:
        return text.notnull()
    return _md5(text).substr(0, 8) < f"{bound:08x}"


def in_control_expr(
    salt: str, scope: str, customer_id: ir.StringValue, share: float
) -> ir.BooleanValue:
    """Ibis version of :func:`in_control`."""
    return below(ibis.literal(f"{salt}:{scope}:") + customer_id, share)
