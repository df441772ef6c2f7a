"""A store holding a short run (3 packs, 2 EVSEs, an alarm) and the API over it, with one user
per role. Real SQLite file, real FastAPI app through httpx (``TestClient`` runs the lifespan)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="needs the 'api' extra (fastapi)")

from fastapi.testclient import TestClient

from packlife.serve.access import AccessStore
from packlife.serve.api.app import ApiSettings, create_app
from packlife.serve.store import TelemetryStore

from ..conftest import N_CYCLES, N_EVSES, N_PACKS, fill_store

__all__ = ["N_CYCLES", "N_EVSES", "N_PACKS", "Keys", "fill_store"]


@dataclass
class Keys:
    """One API key per role."""

    viewer: str
    operator: str
    admin: str

    def header(self, role: str | None) -> dict[str, str]:
        """Authorization header of ``role`` (none for ``None``)."""
        return {} if role is None else {"Authorization": f"Bearer {getattr(self, role)}"}


@pytest.fixture
def store_url(tmp_path: Path) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'serve.db'}"
    fill_store(url).close()
    yield url


@pytest.fixture
def keys(store_url: str) -> Keys:
    access = AccessStore(TelemetryStore(store_url))
    return Keys(*(access.add_user(r, r) for r in ("viewer", "operator", "admin")))


@pytest.fixture
def client(store_url: str, keys: Keys) -> Iterator[TestClient]:
    app = create_app(ApiSettings(store_url=store_url, poll_interval_s=0.02))
    with TestClient(app) as c:
        app.state.live.poll_once()
        yield c
