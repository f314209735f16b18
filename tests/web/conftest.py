"""A served store: the delivery test plan's outbox in a store file, and the app over it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from animato import load_plan
from animato.settings import Settings
from animato.store import Store
from animato.web.app import create_app
from animato.web.service import Service
from tests.delivery.outboxes import make_store

TOKEN = "api-t0ken"


@dataclass
class Served:
    """The app's client, its service, and a way to read the store while it runs."""

    client: TestClient
    service: Service
    location: str

    def rows(self, table: str) -> list[dict[str, object]]:
        """Every row of a table, once buffered hits are written."""
        self.service.recorder.flush()
        store = self.service.recorder.store
        with self.service.recorder.lock:
            return list(store.table(table).to_pyarrow().to_pylist())

    def auth(self) -> dict[str, str]:
        """The API's authorization header."""
        return {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Served]:
    monkeypatch.setenv("ANIMATO_PUBLIC_URL", "https://t.example")
    location = str(tmp_path / "store.duckdb")
    make_store(tmp_path / "plan", 3, location=location).close()
    settings = Settings(api_token=TOKEN, public_url="https://t.example")
    service = Service(load_plan(tmp_path / "plan"), location, settings, flush_every=60)
    with TestClient(create_app(service)) as client:
        yield Served(client, service, location)


__all__ = ["Served", "Store", "TOKEN"]
