"""Grading retired packs and modules from test data: estimators, disposition, matching."""
