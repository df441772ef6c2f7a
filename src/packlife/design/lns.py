"""Large-neighbourhood search for the ``equal`` objective on big inventories.

With P packs and U units the per-pack ``equal`` model has P·U binaries; at 1,000 × 100 HiGHS does
not even finish its root LP within a minute. For such sizes :func:`improve_equal` instead

1. takes the packs of the exact total-energy optimum (the aggregated model, a quarter of the time
   limit) dealt evenly as a start when that beats the given start (greedy), then
2. repeatedly frees a few units — the three weakest, the two strongest and a random one —
   together with the 30 unused packs of most energy, and re-solves that small ``equal``
   sub-problem (smallest unit energy only) with HiGHS
   (warm-started with the current units, so it never gets worse); an improvement of the smallest
   unit energy (or, at equal smallest energy, of the total) is kept.

The result is never worse than the start; it is not proven optimal (no global bound).
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np

from packlife.design.assign import (
    Assignment,
    Candidates,
    UnitRules,
    better,
    energy_seed,
    objective_value,
    solve_milp,
    unit_values,
)
from packlife.errors import InfeasibleError

#: Use the search instead of the per-pack model above this many binaries (packs × units).
LNS_MIN_BINARIES = 2_000
#: Units freed per step: weakest, strongest, random.
N_WEAK, N_STRONG, N_RANDOM = 3, 2, 1
#: Unused packs offered per step (those with most energy).
N_UNUSED = 30
#: Time limit of one sub-problem [s].
SUB_TIME_LIMIT_S = 1.0
#: Stop after this many steps without improvement.
MAX_STALE_STEPS = 40


def _subset(c: Candidates, idx: list[int]) -> Candidates:
    sel = np.asarray(idx, dtype=np.int64)
    return Candidates(c.energy_kwh[sel], c.mass_kg[sel], c.power_kw[sel], c.life_years[sel],
                      tuple(c.chemistry[i] for i in idx))


def _step(c: Candidates, rules: UnitRules, current: Assignment, rng: np.random.Generator,
          time_limit_s: float) -> Assignment | None:
    energy = unit_values(current.units, c)[0]
    order = [int(u) for u in np.argsort(energy, kind="stable")]
    chosen = order[:N_WEAK] + order[::-1][:N_STRONG]
    rest = [u for u in range(rules.units) if u not in chosen]
    chosen += [int(u) for u in rng.choice(rest, size=min(N_RANDOM, len(rest)), replace=False)]
    used = {p for u in current.units for p in u}
    unused = np.array([p for p in range(c.n) if p not in used], dtype=np.int64)
    unused = unused[np.argsort(-c.energy_kwh[unused], kind="stable")][:N_UNUSED]
    free = sorted({p for u in chosen for p in current.units[u]} | {int(p) for p in unused})
    local = {p: k for k, p in enumerate(free)}
    sub_c = _subset(c, free)
    sub_rules = replace(rules, units=len(chosen), time_limit_s=time_limit_s)
    sub_units = [[local[p] for p in current.units[u]] for u in chosen]
    sub_start = Assignment(sub_units, "start", objective_value(sub_units, sub_c, "equal"),
                           float(unit_values(sub_units, sub_c)[0].sum()))
    try:
        sub = solve_milp(sub_c, sub_rules, sub_start, seed=False, second_stage=False)
    except InfeasibleError:
        return None
    units = [list(u) for u in current.units]
    for u, members in zip(chosen, sub.units, strict=True):
        units[u] = [free[k] for k in members]
    e = unit_values(units, c)[0]
    return Assignment(units, "milp-lns", float(e.min()), float(e.sum()))


def improve_equal(c: Candidates, rules: UnitRules, start: Assignment | None,
                  seed: int = 1) -> Assignment:
    """Seed + large-neighbourhood search for ``equal`` (see module docstring).

    Raises
    ------
    InfeasibleError
        If neither a start nor the total-energy seed gives a valid assignment.
    """
    t0 = time.perf_counter()
    deadline = t0 + rules.time_limit_s
    # the seed is the search's start even when its smallest unit is below the greedy one: its
    # packs hold more energy, and the search balances them; the greedy start is the fallback
    seeded = energy_seed(c, rules, start, always=True)
    current = seeded if seeded is not None else start
    if current is None:
        raise InfeasibleError(
            "no assignment found for the equal objective (greedy and the total-energy MILP "
            "both failed); relax the rules")
    rng = np.random.default_rng(seed)
    stale = steps = 0
    while stale < MAX_STALE_STEPS:
        left = deadline - time.perf_counter()
        if left < 0.2:
            break
        found = _step(c, rules, current, rng, min(SUB_TIME_LIMIT_S, left))
        steps += 1
        if found is not None and better(found, current):
            current, stale = found, 0
        else:
            stale += 1
    if start is not None and better(start, current):
        current = start
    method = current.method if current is start else "milp-lns"
    return Assignment(current.units, method, current.objective_value, current.total_energy_kwh,
                      "large-neighbourhood search", None, time.perf_counter() - t0,
                      [*current.notes, f"{steps} neighbourhood MILPs"])
