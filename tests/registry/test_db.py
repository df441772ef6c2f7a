"""Database URLs, migrations, the append-only event table and UTC timestamps."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from packlife.errors import PacklifeError
from packlife.registry import db
from packlife.registry.models import Base, Event


def test_resolve_url_forms(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(db.ENV_VAR, raising=False)
    assert db.resolve_db_url(str(tmp_path / "r.sqlite")) == f"sqlite:///{tmp_path / 'r.sqlite'}"
    assert db.resolve_db_url("postgresql://u@h:5432/d") == "postgresql+psycopg://u@h:5432/d"
    monkeypatch.setenv(db.ENV_VAR, "postgresql+psycopg://x@y/z")
    assert db.resolve_db_url(None) == "postgresql+psycopg://x@y/z"
    monkeypatch.delenv(db.ENV_VAR)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    default = tmp_path / "xdg" / "packlife" / "registry.sqlite"
    assert db.resolve_db_url(None) == f"sqlite:///{default}"
    with pytest.raises(PacklifeError, match="not supported"):
        db.resolve_db_url("mysql://u@h/d")


def test_uninitialised_database_is_a_clear_error(tmp_path: Path) -> None:
    from packlife.registry.service import show

    url = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    with pytest.raises(PacklifeError, match="not initialised; run `packlife registry init"):
        show(url, "X")


def test_head_revision_matches_migration_scripts() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(db.MIGRATIONS_DIR))
    assert ScriptDirectory.from_config(cfg).get_heads() == [db.HEAD_REVISION]


def test_migrated_schema_equals_the_orm_models(db_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with db.get_engine(db_url).connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diffs == []


def test_init_is_idempotent(db_url: str) -> None:
    db.init_db(db_url)  # second run: already at head
    with db.transaction(db_url) as session:
        assert session.scalar(text("SELECT version_num FROM alembic_version")) == db.HEAD_REVISION


def test_events_are_append_only(db_url: str) -> None:
    with db.transaction(db_url) as session:
        session.add(Event(event_type="unit_created", actor="t", payload={"unit": "U"},
                          occurred_at=dt.datetime.now(dt.UTC)))
    for stmt in ("UPDATE events SET actor = 'mallory'", "DELETE FROM events"):
        with pytest.raises((DatabaseError, PacklifeError), match="append-only"), \
                db.transaction(db_url) as s:
            s.execute(text(stmt))
    with db.transaction(db_url) as session:
        assert session.scalars(select(Event.actor)).all() == ["t"]


def test_timestamps_come_back_timezone_aware_utc(db_url: str) -> None:
    when = dt.datetime(2026, 3, 1, 14, 30, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    with db.transaction(db_url) as session:
        session.add(Event(event_type="unit_created", actor="t", payload={}, occurred_at=when))
    with db.transaction(db_url) as session:
        got = session.scalar(select(Event.occurred_at))
    assert got == when and got.utcoffset() == dt.timedelta(0) and got.hour == 12
