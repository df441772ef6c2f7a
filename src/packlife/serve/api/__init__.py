"""The web API and dashboard of ``packlife serve`` (FastAPI; the ``api`` extra)."""
