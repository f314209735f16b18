"""Privacy: what the brand may do with a person's data, and the proof of it.

- :mod:`consent` — the consent ledger read back: a customer's state per channel and purpose (the
  last grant or withdrawal wins) and its history, with source and wording version as proof;
- :mod:`access` — everything animato holds about a customer, as JSON (right of access);
- :mod:`erasure` — a customer's personal data deleted everywhere it lives, KPI rows kept under a
  pseudonym, the email and phone kept as keyed hashes so that a later import stays suppressed;
- :mod:`identities` — those keyed hashes, and the check ingestion makes against them;
- :mod:`retention` — the retention periods of the conventions applied (``animato privacy purge``);
- :mod:`audit` — the log of every access, erasure and purge.

Erasure and purge are the only writes that change rows already stored (the store is otherwise
append-only); their DELETE/UPDATE statements live in :mod:`erasure` and :mod:`retention`.
"""
