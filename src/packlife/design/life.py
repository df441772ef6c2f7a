"""The ``life`` objective on big inventories: bisection on the life threshold + aggregated MILPs.

Maximising the smallest years-to-threshold proxy ``L_p`` of any used pack is a threshold choice:
the best value is the largest ``z`` such that the packs with ``L_p ≥ z`` can still fill every
unit under the rules. So:

1. bisect over the distinct ``L_p`` values; each step asks whether the packs at or above the level
   admit a valid assignment — first the greedy baseline, else a feasibility-only run of the
   exact aggregated model (:func:`packlife.design.assign._build_aggregated` with zero cost, so
   HiGHS stops at its first solution);
2. at the best level found, maximise the total energy with the aggregated model.

Each feasibility run has a share of the time limit; a run that neither finds a solution nor proves
infeasibility counts as infeasible, so the level is a lower bound on the optimum. The greedy start
is kept if better.
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np

from packlife.design.assign import (
    Assignment,
    Candidates,
    UnitRules,
    _build_aggregated,
    _load,
    _read,
    _units_from_counts,
    better,
    greedy,
    solve_milp,
    unit_values,
    violations,
)
from packlife.errors import InfeasibleError

#: Share of the time limit for the bisection (the rest maximises energy at the level found).
BISECTION_TIME_FRACTION = 0.5


def _subset(c: Candidates, idx: np.ndarray) -> Candidates:
    return Candidates(c.energy_kwh[idx], c.mass_kg[idx], c.power_kw[idx], c.life_years[idx],
                      tuple(c.chemistry[int(i)] for i in idx))


def _feasible(c: Candidates, rules: UnitRules, time_limit_s: float) -> list[list[int]] | None:
    """Units of some valid assignment of ``c`` (greedy, else a feasibility MILP), or None."""
    energy_rules = replace(rules, objective="energy", time_limit_s=time_limit_s)
    quick = greedy(c, energy_rules)
    if quick is not None:
        return quick.units
    import highspy

    m = _build_aggregated(c, energy_rules)
    m.cost[:] = 0.0
    h = _load(highspy, m, energy_rules, two_stage=False)
    h.run()
    _, _, x = _read(h)
    if x is None:
        return None
    units = _units_from_counts(x, c, energy_rules, m)
    return None if violations(units, c, energy_rules) else units


def improve_life(c: Candidates, rules: UnitRules, start: Assignment | None) -> Assignment:
    """Bisection + aggregated MILPs for ``life`` (see module docstring).

    Raises
    ------
    InfeasibleError
        If no level (not even the lowest) admits a valid assignment and there is no start.
    """
    t0 = time.perf_counter()
    need = rules.units * rules.slots
    levels = np.unique(c.life_years)
    # the k-th level keeps the packs with L ≥ levels[k]; it needs at least `need` packs
    counts = np.array([(c.life_years >= z).sum() for z in levels])
    hi = int(np.flatnonzero(counts >= need).max()) if (counts >= need).any() else -1
    lo = -1
    if start is not None:
        lo = int(np.searchsorted(levels, start.objective_value, side="right")) - 1
    budget = BISECTION_TIME_FRACTION * rules.time_limit_s
    steps = max(1, int(np.ceil(np.log2(max(hi - lo, 1) + 1))))
    found_units: list[list[int]] | None = None
    found_idx: np.ndarray | None = None
    while lo < hi:
        mid = (lo + hi + 1) // 2
        idx = np.flatnonzero(c.life_years >= levels[mid])
        left = budget - (time.perf_counter() - t0)
        units = _feasible(_subset(c, idx), rules, max(left / steps, 0.2))
        if units is None:
            hi = mid - 1
        else:
            lo, found_units, found_idx = mid, units, idx
    if lo < 0:
        if start is None:
            raise InfeasibleError("no assignment satisfies the rules for the life objective")
        return start
    idx = np.flatnonzero(c.life_years >= levels[lo])
    sub = _subset(c, idx)
    if found_units is None or found_idx is None or not np.array_equal(found_idx, idx):
        assert start is not None  # the level is the start's own: start from its units
        local = {int(p): k for k, p in enumerate(idx)}
        found_units = [[local[p] for p in u] for u in start.units]
    sub_rules = replace(rules, objective="energy",
                        time_limit_s=max(rules.time_limit_s - (time.perf_counter() - t0), 0.2))
    e = unit_values(found_units, sub)[0]
    sub_start = Assignment(found_units, "milp", float(e.sum()), float(e.sum()))
    best_sub = solve_milp(sub, sub_rules, sub_start)
    units = [[int(idx[p]) for p in u] for u in best_sub.units]
    energy = unit_values(units, c)[0]
    life = float(min(c.life_years[p] for u in units for p in u))
    result = Assignment(units, "milp", life, float(energy.sum()), best_sub.status, None,
                        time.perf_counter() - t0,
                        [f"life level {life:.3f} years by bisection; energy stage "
                         f"{best_sub.status}, MIP gap {best_sub.mip_gap}"])
    if start is not None and better(start, result):
        return start
    return result

