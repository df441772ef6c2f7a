"""Large-neighbourhood search for the equal objective: valid, never worse than its start."""

from __future__ import annotations

import numpy as np

from packlife.design.assign import Candidates, UnitRules, greedy, unit_values
from packlife.design.lns import improve_equal


def test_search_is_valid_and_not_worse_than_greedy() -> None:
    rng = np.random.default_rng(5)
    n = 60
    c = Candidates(
        energy_kwh=rng.uniform(15, 60, n),
        mass_kg=rng.choice([230.0, 256.0, 280.0, 305.0, 410.0], n),
        power_kw=rng.choice([44.0, 80.0, 125.0], n),
        life_years=np.ones(n),
        chemistry=tuple(rng.choice(["nmc", "lmo_nca"], n)),
    )
    rules = UnitRules(units=6, slots=7, min_power_kw=300.0, objective="equal", time_limit_s=4.0)
    base = greedy(c, rules)
    assert base is not None
    best = improve_equal(c, rules, base)
    # independent re-check of every rule
    flat = [p for u in best.units for p in u]
    assert len(flat) == len(set(flat)) == 42
    for u in best.units:
        assert len(u) == 7
        assert c.mass_kg[u].sum() + 750.0 + 7 * 110.0 <= 3500.0 + 1e-9
        assert c.power_kw[u].sum() >= 300.0
    energy = unit_values(best.units, c)[0]
    assert energy.min() >= base.objective_value - 1e-9
    assert best.objective_value == energy.min()
