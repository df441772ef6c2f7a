"""Shared helpers for site tests: short runs of the built-in scenarios."""

from __future__ import annotations

from functools import cache

from packlife.site.run import SiteResult, run_scenario
from packlife.site.scenario import Scenario, load_scenario
from packlife.site.sessions import synthetic_sessions


def shortened(name: str, days: float, step_s: float = 60.0) -> Scenario:
    """A built-in scenario cut to ``days`` at ``step_s``."""
    sc, _ = load_scenario(name)
    sim = sc.simulation.model_copy(
        update={
            "days": days,
            "step_s": step_s,
            "control_interval_s": None,
            "output_interval_s": 900.0,
        }
    )
    return sc.model_copy(update={"simulation": sim})


@cache
def short_run(name: str, days: float = 1.0) -> SiteResult:
    """Run a built-in scenario for ``days`` (cached across tests)."""
    sc = shortened(name, days)
    sessions = (
        synthetic_sessions(sc.vehicles, sc.simulation.days, sc.simulation.seed)
        if sc.vehicles
        else []
    )
    return run_scenario(sc, sessions)
