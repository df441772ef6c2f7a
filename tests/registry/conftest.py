"""Registry test fixtures: a fresh SQLite file or a fresh PostgreSQL schema per test.

PostgreSQL tests use the real server on 127.0.0.1:5432 (trust auth, user ``postgres`` or
``root``): one uniquely named database per test run (dropped afterwards) and one schema per
test inside it. They are skipped, with the reason, when no server answers.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

PG_HOST, PG_PORT = "127.0.0.1", 5432
PACK_ID = "nissan_leaf_24kwh"
MODULE_ID = "nissan_leaf_gen1_module"


def _pg_user() -> tuple[str | None, str]:
    try:
        import psycopg
    except ImportError:
        return None, "psycopg is not installed"
    reason = ""
    for user in ("postgres", "root"):
        for dbname in ("postgres", "test"):
            try:
                with psycopg.connect(host=PG_HOST, port=PG_PORT, user=user, dbname=dbname,
                                     connect_timeout=3):
                    return user, ""
            except psycopg.Error as exc:
                reason = str(exc).strip().splitlines()[0]
    return None, f"no PostgreSQL server answers on {PG_HOST}:{PG_PORT} ({reason})"


@pytest.fixture(autouse=True)
def _close_engines() -> Iterator[None]:
    """Dispose of the engines a test opened (their pooled connections) when it ends."""
    yield
    from packlife.registry.db import dispose_engines

    dispose_engines()


@pytest.fixture(scope="session")
def catalog_ids() -> tuple[str, str]:
    """The catalog pack and module ids the tests register batteries with."""
    from packlife.catalog import list_pack_models

    ids = {p.id for p in list_pack_models()}
    missing = [i for i in (PACK_ID, MODULE_ID) if i not in ids]
    if missing:
        pytest.skip(f"catalog entries {missing} are not in src/packlife/catalog/data yet")
    return PACK_ID, MODULE_ID


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A uniquely named PostgreSQL database for this test run; yields its base URL."""
    user, reason = _pg_user()
    if user is None:
        pytest.skip(reason)
    import psycopg

    name = f"packlife_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(host=PG_HOST, port=PG_PORT, user=user, dbname="postgres",
                         autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://{user}@{PG_HOST}:{PG_PORT}/{name}"
    finally:
        from packlife.registry.db import dispose_engines

        dispose_engines()
        with psycopg.connect(host=PG_HOST, port=PG_PORT, user=user, dbname="postgres",
                             autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _pg_schema_url(base: str) -> str:
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:10]}"
    conninfo = base.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    return f"{base}?options=-csearch_path%3D{schema}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty, initialised registry database on SQLite and on PostgreSQL."""
    from packlife.registry.db import init_db

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'registry.sqlite'}"
    else:
        url = _pg_schema_url(request.getfixturevalue("pg_database"))
    init_db(url)
    return url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """An empty, initialised SQLite registry."""
    from packlife.registry.db import init_db

    url = f"sqlite:///{tmp_path / 'registry.sqlite'}"
    init_db(url)
    return url


def write_csv(path: Path, header: str, rows: list[str]) -> Path:
    """Write a CSV file with ``header`` and ``rows`` (no trailing spaces)."""
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path
