"""Bisection for the life objective: same optimum as the per-pack MILP, never worse than greedy."""

from __future__ import annotations

import numpy as np
import pytest

from packlife.design.assign import Candidates, UnitRules, greedy, solve_milp
from packlife.design.life import improve_life


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_bisection_matches_the_per_pack_model(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 24
    c = Candidates(
        energy_kwh=rng.uniform(15, 60, n),
        mass_kg=rng.choice([230.0, 280.0, 410.0, 603.0], n),
        power_kw=rng.choice([44.0, 80.0, 125.0], n),
        life_years=np.round(rng.uniform(0.5, 10.0, n), 2),
        chemistry=tuple(rng.choice(["nmc", "lfp"], n)),
    )
    rules = UnitRules(units=3, slots=4, max_mass_kg=3000.0, enclosure_mass_kg=750.0,
                      slot_mass_kg=110.0, min_power_kw=200.0, objective="life",
                      time_limit_s=10.0)
    base = greedy(c, rules)
    exact = solve_milp(c, rules, base)
    bisected = improve_life(c, rules, base)
    assert bisected.objective_value == pytest.approx(exact.objective_value)
    if base is not None:
        assert bisected.objective_value >= base.objective_value
    for u in bisected.units:
        assert len(u) == 4
        assert c.mass_kg[u].sum() + 750.0 + 4 * 110.0 <= 3000.0
        assert c.power_kw[u].sum() >= 200.0
    assert min(c.life_years[p] for u in bisected.units for p in u) == pytest.approx(
        bisected.objective_value)
