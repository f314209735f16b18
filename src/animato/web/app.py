"""The FastAPI application of ``animato serve``: tracking, the API, health, the dashboard, and
the service's threads started and stopped with the app (lifespan).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from animato.web import api, tracking
from animato.web.dashboard import routes as dashboard
from animato.web.service import Service


def create_app(service: Service) -> FastAPI:
    """The app over a service (started at startup, stopped at shutdown)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        service.start()
        try:
            yield
        finally:
            service.stop()

    app = FastAPI(
        title="animato",
        summary="Tracking, ingestion, delivery and the dashboard of a relationship-marketing plan.",
        version="0.1.0",
        lifespan=lifespan,
    )

    @app.get("/health", tags=["service"])
    def health() -> dict[str, Any]:
        """Whether the service runs, and what its scheduler did last."""
        status = service.scheduler.status
        return {
            "status": "ok" if not status.error else "degraded",
            "plan": service.plan.name,
            "last_tick": status.last_tick,
            "last_delivery": status.last_delivery,
            "delivered": status.delivered,
            "error": status.error,
        }

    app.include_router(api.router(service))
    app.include_router(tracking.router(service))
    app.include_router(dashboard.router(service))
    return app
