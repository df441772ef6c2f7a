"""A store holding a short run (3 packs, 2 EVSEs, an alarm) and the API over it, with one user
per role. Real SQLite file, real FastAPI app through httpx (``TestClient`` runs the lifespan)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="needs the 'api' extra (fastapi)")

from fastapi.testclient import TestClient

from packlife.serve.access import AccessStore
from packlife.serve.api.app import ApiSettings, create_app
from packlife.serve.store import EvseRow, PackRow, RunInfo, TelemetryStore

N_PACKS, N_EVSES, N_CYCLES = 3, 2, 20


@dataclass
class Keys:
    """One API key per role."""

    viewer: str
    operator: str
    admin: str

    def header(self, role: str | None) -> dict[str, str]:
        """Authorization header of ``role`` (none for ``None``)."""
        return {} if role is None else {"Authorization": f"Bearer {getattr(self, role)}"}


def fill_store(url: str, run_id: str = "r1", fresh: bool = True) -> TelemetryStore:
    """A store with a run of ``N_CYCLES`` 1-s cycles ending now (``fresh``) or an hour ago."""
    store = TelemetryStore(url)
    end = datetime.now(UTC) - (timedelta(0) if fresh else timedelta(hours=1))
    start = end - timedelta(seconds=N_CYCLES - 1)
    store.write_run(
        RunInfo(run_id, "test-site", "Europe/London", 1.0, start,
                tuple(f"P{i}" for i in range(N_PACKS)), N_EVSES, ("grid",))
    )
    for c in range(N_CYCLES):
        at = start + timedelta(seconds=c)
        packs = [PackRow(i, f"P{i}", 1000.0 * (i + 1), 1000.0 * (i + 1), 0.5 - 0.01 * c, 0.8,
                         25.0, 0) for i in range(N_PACKS)]
        evses = [EvseRow(0, 6000.0, 6000.0, "s1", 0.3, 20_000.0, 7200.0),
                 EvseRow(1, 0.0, 0.0, None, None, None, None)]
        store.write_cycle(run_id, c, at, float(c), 0.001, 6000.0, 6000.0, {"grid": 0.0},
                          packs, evses)
    store.event(run_id, start, "alarm", "pack[2] P2", "data stale (link lost): limit 0 W")
    return store


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
