"""Shared pieces of the fuzz suite: bounded hypothesis settings and hostile values.

The number of examples per test is ``base × $PACKLIFE_FUZZ_SCALE`` (default 1: the whole suite
runs a few thousand cases in well under a minute); ``PACKLIFE_FUZZ_SCALE=10`` fuzzes longer.
"""

from __future__ import annotations

import math
import os
from typing import Any

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

SCALE = float(os.environ.get("PACKLIFE_FUZZ_SCALE", "1"))


def fuzz(base: int, shrink: bool = True) -> settings:
    """Settings for one fuzz test: ``base`` examples (scaled), no deadline, no example DB.

    ``shrink=False`` skips shrinking (for slow examples such as a simulation run).
    """
    phases = list(Phase) if shrink else [Phase.explicit, Phase.reuse, Phase.generate]
    return settings(max_examples=max(1, int(base * SCALE)), deadline=None, database=None,
                    phases=phases,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture,
                                           HealthCheck.filter_too_much])


HOSTILE_FLOATS = st.one_of(
    st.sampled_from([math.inf, -math.inf, math.nan, 0.0, -0.0, -1.0, 1e308, -1e308, 5e-324,
                     1e9, 24.0, 25.0, -3.0, 0.5, 1.0]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=-100, max_value=100),
)
HOSTILE_TEXT = st.one_of(
    st.sampled_from(["", " ", "[bold]", "[/red]", "^[a-z0-9_]+$", "a\nb", "a\x00b", "∞", "nan",
                     "inf", "1e400", "-0", "1,5", "𝟙", "\ufeff", "x" * 300]),
    st.text(max_size=40),
)
HOSTILE_VALUE = st.one_of(HOSTILE_FLOATS, HOSTILE_TEXT, st.integers(), st.booleans(),
                          st.lists(HOSTILE_FLOATS, max_size=3), st.none())


def finite_numbers(obj: Any, where: str = "") -> list[str]:
    """Paths of every non-finite float inside nested dicts/lists/models."""
    bad: list[str] = []
    if isinstance(obj, float) and not math.isfinite(obj):
        bad.append(where)
    elif isinstance(obj, dict):
        for k, v in obj.items():
            bad += finite_numbers(v, f"{where}.{k}")
    elif isinstance(obj, list | tuple):
        for i, v in enumerate(obj):
            bad += finite_numbers(v, f"{where}[{i}]")
    return bad
