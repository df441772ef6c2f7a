"""Database URLs, engines, transactions and schema migrations of the registry.

The default database is a SQLite file in the user's data directory; ``--db URL`` or the
environment variable ``PACKLIFE_DB_URL`` select another one, e.g. PostgreSQL through psycopg 3
(``postgresql+psycopg://user@host:5432/dbname``). Every command runs in one transaction
(:func:`transaction`). On SQLite a transaction starts with ``BEGIN IMMEDIATE`` so that two
writers queue on the database lock instead of failing half-way; on PostgreSQL rows that are
read-modified-written are locked with ``SELECT … FOR UPDATE``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.exc import DataError, IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from packlife.errors import PacklifeError
from packlife.redact import mask_secrets

#: Environment variable naming the registry database URL.
ENV_VAR = "PACKLIFE_DB_URL"
#: Alembic revision the code expects (checked against the migration scripts by the tests).
HEAD_REVISION = "0001_initial"
MIGRATIONS_DIR = Path(__file__).parent / "migrations"
#: Seconds a SQLite writer waits for the database lock before giving up.
SQLITE_BUSY_TIMEOUT_S = 60.0


def default_db_url() -> str:
    """The SQLite file ``registry.sqlite`` in ``platformdirs.user_data_dir("packlife")``."""
    import platformdirs

    path = Path(platformdirs.user_data_dir("packlife")) / "registry.sqlite"
    return f"sqlite:///{path}"


def resolve_db_url(db_url: str | None) -> str:
    """Resolve ``--db``: explicit URL or path, else ``$PACKLIFE_DB_URL``, else the default file.

    A bare file path means a SQLite file; ``postgresql://`` is routed to the psycopg 3 driver.
    """
    url = db_url or os.environ.get(ENV_VAR) or default_db_url()
    if "://" not in url:
        url = f"sqlite:///{Path(url).expanduser().resolve()}"
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            url = "postgresql+psycopg://" + url[len(prefix):]
    if not url.startswith(("sqlite://", "postgresql+psycopg://")):
        raise PacklifeError(
            f"database URL {mask_secrets(url)!r} is not supported: use sqlite:///PATH, a file "
            "path or "
            "postgresql+psycopg://USER@HOST:PORT/DBNAME"
        )
    return url


def _sqlite_setup(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA journal_mode=WAL")  # readers do not block the writer
        cur.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def get_engine(db_url: str | None = None) -> Engine:
    """A (cached, per process) engine for ``db_url`` (resolved with :func:`resolve_db_url`)."""
    url = resolve_db_url(db_url)
    with _engines_lock:
        if url not in _engines:
            try:
                _engines[url] = _create_engine(url)
            except (SQLAlchemyError, ValueError) as exc:
                raise PacklifeError(
                    f"database URL {mask_secrets(url)!r} is malformed: {mask_secrets(exc)}"
                ) from None
        return _engines[url]


def dispose_engines() -> None:
    """Close every cached engine's pooled connections and forget the engines."""
    with _engines_lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()
        _checked.clear()


def _create_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.removeprefix("sqlite:///")
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S})
        _sqlite_setup(engine)
    else:
        engine = create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": 10})
    return engine


def _describe(url: str) -> str:
    return mask_secrets(url.split("@")[-1] if "@" in url else url)


def check_initialised(engine: Engine) -> None:
    """Raise a :class:`PacklifeError` unless the schema is at :data:`HEAD_REVISION`."""
    url = engine.url.render_as_string(hide_password=True)
    hint = f"run `packlife registry init --db {url}`"
    try:
        with engine.connect() as conn:
            if not inspect(conn).has_table("alembic_version"):
                raise PacklifeError(
                    f"the registry database {_describe(url)} is not initialised; {hint}")
            rev = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except OperationalError as exc:
        raise PacklifeError(
            f"cannot open the registry database {_describe(url)}: {_first_line(exc)}"
        ) from None
    if rev != HEAD_REVISION:
        raise PacklifeError(
            f"the registry database {_describe(url)} has schema revision {rev!r}, this packlife "
            f"expects {HEAD_REVISION!r}; {hint} to upgrade it"
        )


_checked: set[str] = set()


def _first_line(exc: SQLAlchemyError) -> str:
    """The driver's message, first line only (no SQLAlchemy background links)."""
    text_ = mask_secrets(str(getattr(exc, "orig", None) or exc)).strip()
    return text_.splitlines()[0] if text_ else type(exc).__name__


class RegistryConflictError(PacklifeError):
    """A write refused because another writer changed the same data first (nothing written)."""


@contextmanager
def transaction(db_url: str | None = None) -> Iterator[Session]:
    """One ORM session = one transaction: committed on success, rolled back on any error."""
    engine = get_engine(db_url)
    key = str(engine.url)
    if key not in _checked:
        check_initialised(engine)
        _checked.add(key)
    try:
        with Session(engine, expire_on_commit=False) as session, session.begin():
            yield session
    except IntegrityError as exc:
        raise RegistryConflictError(
            f"the registry refused the change, nothing was written: {_first_line(exc)}"
        ) from None
    except StaleDataError:
        raise RegistryConflictError(
            "another writer changed the same battery meanwhile; nothing was written, retry"
        ) from None
    except OperationalError as exc:
        raise PacklifeError(f"registry database error: {_first_line(exc)}") from None
    except DataError as exc:  # a value the database refuses (no SQL or parameters printed)
        raise PacklifeError(
            f"the registry refused a value, nothing was written: {_first_line(exc)}"
        ) from None


def init_db(db_url: str | None = None) -> str:
    """Create or upgrade the registry schema to the newest migration; return the resolved URL."""
    from alembic import command
    from alembic.config import Config

    engine = get_engine(db_url)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    except SQLAlchemyError as exc:
        raise PacklifeError(
            f"cannot initialise the registry database {_describe(str(engine.url))}: "
            f"{_first_line(exc)}") from None
    _checked.discard(str(engine.url))
    return engine.url.render_as_string(hide_password=True)
