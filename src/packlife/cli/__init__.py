"""Command-line interface (thin adapters over library functions)."""
