"""Running the app with uvicorn; SIGINT and SIGTERM stop it gracefully (the lifespan finishes
the tick or delivery batch under way, writes pending hits and closes the store).
"""

from __future__ import annotations

from pathlib import Path

import uvicorn

from animato.plan.model import Plan
from animato.settings import Settings
from animato.web.app import create_app
from animato.web.service import Service


def serve(
    plan: Plan,
    store: str | Path,
    settings: Settings,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    tick_every: float = 900.0,
    deliver_every: float = 60.0,
    purge_every: float = 24 * 3600.0,
    log_level: str = "info",
) -> None:
    """Serve until stopped.

    Example: ``serve(load_plan("examples/retail"), "store.duckdb", Settings.from_env())``
    """
    service = Service(plan, str(store), settings, tick_every, deliver_every, purge_every)
    config = uvicorn.Config(
        create_app(service), host=host, port=port, log_level=log_level, access_log=False
    )
    uvicorn.Server(config).run()
