"""Telemetry store: SQLite in WAL mode by default, the same tables on PostgreSQL by URL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from packlife.serve.store import PackRow, TelemetryStore


def _rows(n: int) -> list[PackRow]:
    return [PackRow(i, f"P{i}", -1000.0 * i, -1000.0 * i, 0.5, 0.8, 25.0, 0) for i in range(n)]


def _exercise(store: TelemetryStore) -> None:
    at = datetime(2026, 1, 1, 12, tzinfo=UTC)
    store.write_cycle("r1", 0, at, 0.0, 0.001, -3000.0, 0.0, {"grid": 3000.0}, _rows(3))
    store.event("r1", at, "alarm", "pack[1] P1", "data stale")
    rows = store.read_pack_rows("r1")
    assert [r["serial"] for r in rows] == ["P0", "P1", "P2"]
    assert rows[2]["power_w"] == -2000.0
    assert rows[0]["measured_at"].replace(tzinfo=UTC) == at
    assert store.read_events("r1")[0]["kind"] == "alarm"
    with pytest.raises(sa.exc.IntegrityError):  # the same cycle twice is refused, not duplicated
        store.write_cycle("r1", 0, at, 0.0, 0.0, 0.0, 0.0, {}, _rows(3))
    assert len(store.read_pack_rows("r1")) == 3


def test_sqlite_store_uses_wal(tmp_path: Path) -> None:
    store = TelemetryStore(f"sqlite:///{tmp_path / 't.db'}")
    try:
        _exercise(store)
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    finally:
        store.close()


@pytest.fixture
def pg_url() -> Iterator[str]:
    psycopg = pytest.importorskip("psycopg")
    name = f"packlife_serve_{uuid.uuid4().hex[:10]}"
    try:
        admin = psycopg.connect(
            host="127.0.0.1", user="postgres", dbname="postgres", autocommit=True, connect_timeout=3
        )
    except psycopg.Error as exc:
        pytest.skip(f"no PostgreSQL server on 127.0.0.1:5432 ({str(exc).strip()[:80]})")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(
            host="127.0.0.1", user="postgres", dbname="postgres", autocommit=True
        ) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.postgres
def test_postgres_store(pg_url: str) -> None:
    store = TelemetryStore(pg_url)
    try:
        _exercise(store)
    finally:
        store.close()


def test_a_store_of_an_older_packlife_gains_the_isolated_column(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:  # the pack table as packlife 0.1 created it
        conn.exec_driver_sql(
            "CREATE TABLE serve_pack_telemetry (run_id VARCHAR(64), cycle INTEGER, pack_index "
            "INTEGER, serial VARCHAR(128) NOT NULL, measured_at DATETIME NOT NULL, power_w FLOAT, "
            "setpoint_w FLOAT NOT NULL, soc FLOAT, soh FLOAT, temperature_c FLOAT, alarms INTEGER "
            "NOT NULL, PRIMARY KEY (run_id, cycle, pack_index))"
        )
    engine.dispose()
    store = TelemetryStore(url)
    try:
        _exercise(store)
        assert store.read_pack_rows("r1")[0]["isolated"] is False
    finally:
        store.close()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("nonsense", "is not a SQLAlchemy URL"),
        ("sqlite:////nonexistent-dir/x.db", "cannot open the telemetry store"),
    ],
)
def test_a_bad_store_url_is_a_user_error(url: str, expected: str) -> None:
    from packlife.errors import PacklifeError

    with pytest.raises(PacklifeError, match=expected):
        TelemetryStore(url)
