"""The battery registry: every pack and module through its lives, and its EU battery passport.

SQLAlchemy 2 models (:mod:`.models`) with Alembic migrations (:mod:`.migrations`, applied by
:func:`packlife.registry.db.init_db`), an append-only event history from which the current
state is rebuilt (:mod:`.state`), service functions used by the CLI and other layers
(:mod:`.service`, :mod:`.csv_import`) and the passport export (:mod:`.passport`).

This package needs the ``db`` extra (sqlalchemy, alembic, psycopg); importing
``packlife.registry`` itself loads nothing heavy.
"""
