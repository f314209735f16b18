"""The store: inputs, quarantine and the engine's logs, in DuckDB by default, through Ibis."""

from animato.store.store import Store, default_path

__all__ = ["Store", "default_path"]
