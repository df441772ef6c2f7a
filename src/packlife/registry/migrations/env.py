"""Alembic environment: runs migrations on the connection handed over by ``init_db``."""

from __future__ import annotations

from alembic import context

from packlife.registry.models import Base

target_metadata = Base.metadata


def run_migrations_online() -> None:
    """Run the migrations on ``config.attributes['connection']`` (no alembic.ini needed)."""
    connection = context.config.attributes.get("connection")
    if connection is None:
        from packlife.registry.db import get_engine

        url = context.config.get_main_option("sqlalchemy.url")
        with get_engine(url).begin() as conn:
            context.configure(connection=conn, target_metadata=target_metadata)
            context.run_migrations()
        return
    context.configure(connection=connection, target_metadata=target_metadata)
    context.run_migrations()


run_migrations_online()
