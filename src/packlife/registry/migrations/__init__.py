"""Alembic migrations of the registry schema (run programmatically by ``registry.db.init_db``)."""
