"""Pack-to-unit assignment: validity checked independently, MILP vs brute force and vs greedy."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from packlife.design.assign import (
    Candidates,
    UnitRules,
    check_feasible,
    greedy,
    objective_value,
    solve_milp,
)
from packlife.errors import InfeasibleError


def _independent_problems(units: list[list[int]], c: Candidates, r: UnitRules) -> list[str]:
    """Re-check a solution from first principles (not via the module's own checker)."""
    problems = []
    flat = [p for u in units for p in u]
    if len(flat) != len(set(flat)):
        problems.append("pack reused")
    if len(units) != r.units:
        problems.append("unit count")
    for u in units:
        if len(u) != r.slots:
            problems.append("slots")
        mass = sum(c.mass_kg[p] for p in u) + r.enclosure_mass_kg + r.slots * r.slot_mass_kg
        if mass > r.max_mass_kg + 1e-6:
            problems.append(f"mass {mass}")
        if sum(c.power_kw[p] for p in u) < r.min_power_kw - 1e-6:
            problems.append("power")
        if r.one_chemistry_per_unit and len({c.chemistry[p] for p in u}) != 1:
            problems.append("chemistry")
        if r.target_energy_kwh is not None and sum(c.energy_kwh[p] for p in u) < (
                r.target_energy_kwh - 1e-6):
            problems.append("energy")
    return problems


def _cands(energy: list[float], mass: list[float], power: list[float],
           chem: list[str] | None = None, life: list[float] | None = None) -> Candidates:
    n = len(energy)
    return Candidates(
        energy_kwh=np.array(energy, dtype=float),
        mass_kg=np.array(mass, dtype=float),
        power_kw=np.array(power, dtype=float),
        life_years=np.array(life if life is not None else [1.0] * n, dtype=float),
        chemistry=tuple(chem if chem is not None else ["nmc"] * n),
    )


def _brute_force(c: Candidates, r: UnitRules) -> float:
    """Best objective over every assignment of packs to (unordered) units."""
    best = -np.inf

    def rec(units: list[list[int]], left: list[int]) -> None:
        nonlocal best
        if len(units) == r.units:
            if not _independent_problems(units, c, r):
                best = max(best, objective_value(units, c, r.objective))
            return
        for group in itertools.combinations(left, r.slots):
            if units and list(group) < units[-1]:
                continue  # units are unordered: enumerate them in increasing order
            rec([*units, list(group)], [p for p in left if p not in group])

    rec([], list(range(c.n)))
    return float(best)


@pytest.mark.parametrize("objective", ["energy", "equal", "life"])
def test_milp_matches_brute_force_on_a_tiny_instance(objective: str) -> None:
    # 6 packs, 2 units × 2 slots; mass and power constraints both bind for some pairs
    c = _cands(energy=[30, 28, 25, 20, 18, 10], mass=[400, 300, 250, 300, 200, 150],
               power=[50, 100, 60, 80, 40, 90], life=[2, 5, 3, 4, 6, 1])
    r = UnitRules(units=2, slots=2, max_mass_kg=1000, enclosure_mass_kg=200, slot_mass_kg=50,
                  min_power_kw=120, objective=objective)  # type: ignore[arg-type]
    a = solve_milp(c, r, greedy(c, r))
    assert not _independent_problems(a.units, c, r)
    assert a.objective_value == pytest.approx(_brute_force(c, r), rel=1e-6)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(6, 12),
    units=st.integers(1, 3),
    slots=st.integers(1, 3),
    seed=st.integers(0, 10_000),
    objective=st.sampled_from(["energy", "equal", "life"]),
    one_chem=st.booleans(),
    min_power=st.sampled_from([0.0, 100.0, 200.0]),
)
def test_milp_is_valid_and_never_worse_than_greedy(n: int, units: int, slots: int, seed: int,
                                                    objective: str, one_chem: bool,
                                                    min_power: float) -> None:
    rng = np.random.default_rng(seed)
    c = _cands(energy=list(rng.uniform(10, 60, n)), mass=list(rng.uniform(150, 450, n)),
               power=list(rng.choice([44.0, 80.0, 105.0, 125.0], n)),
               chem=list(rng.choice(["nmc", "lfp"], n)), life=list(rng.uniform(0.5, 12, n)))
    r = UnitRules(units=units, slots=slots, max_mass_kg=900 + 300 * slots,
                  enclosure_mass_kg=500, slot_mass_kg=60, min_power_kw=min_power,
                  one_chemistry_per_unit=one_chem, objective=objective,  # type: ignore[arg-type]
                  time_limit_s=5)
    try:
        check_feasible(c, r, "nmc, lfp")
    except InfeasibleError:
        return
    base = greedy(c, r)
    if base is not None:
        assert not _independent_problems(base.units, c, r)
    try:
        best = solve_milp(c, r, base)
    except InfeasibleError:
        assert base is None  # the MILP may only fail where greedy found nothing either
        return
    assert not _independent_problems(best.units, c, r)
    if base is not None:
        assert best.objective_value >= base.objective_value - 1e-6 * max(1, base.objective_value)


def test_milp_beats_greedy_when_mass_binds() -> None:
    # heavy high-energy packs: greedy takes the two best and gets stuck; the MILP mixes them
    c = _cands(energy=[50, 49, 30, 29, 28, 27], mass=[500, 500, 200, 200, 200, 200],
               power=[100] * 6)
    r = UnitRules(units=2, slots=2, max_mass_kg=1000, enclosure_mass_kg=200, slot_mass_kg=50)
    base = greedy(c, r)
    best = solve_milp(c, r, base)
    assert base is not None
    assert best.objective_value == pytest.approx(_brute_force(c, r))
    assert best.objective_value >= base.objective_value


def test_time_limited_milp_keeps_the_greedy_start() -> None:
    rng = np.random.default_rng(3)
    n = 60
    c = _cands(energy=list(rng.uniform(10, 60, n)), mass=list(rng.uniform(200, 320, n)),
               power=list(rng.uniform(40, 130, n)))
    r = UnitRules(units=6, slots=7, objective="equal", time_limit_s=0.01)
    base = greedy(c, r)
    assert base is not None
    best = solve_milp(c, r, base)
    assert not _independent_problems(best.units, c, r)
    assert best.objective_value >= base.objective_value - 1e-9


@pytest.mark.parametrize(
    ("kwargs", "cands", "fragment"),
    [
        ({"units": 3, "slots": 7}, _cands([20] * 10, [280] * 10, [100] * 10),
         "not enough packs of the allowed chemistries (nmc): 10 packs for 3 units × 7 slots"),
        ({"units": 1, "slots": 7}, _cands([20] * 8, [320] * 8, [100] * 8),
         "unit mass 3,760 kg > 3,500 kg with the lightest 7 packs"),
        ({"units": 1, "slots": 7, "min_power_kw": 400}, _cands([20] * 8, [280] * 8, [50] * 8),
         "min power 400 kW > 7 × max pack power (7 × 50 kW = 350 kW)"),
        ({"units": 2, "slots": 2, "one_chemistry_per_unit": True},
         _cands([20] * 4, [100] * 4, [50] * 4, chem=["nmc", "lfp", "nmc", "nmc"]),
         "one chemistry per unit"),
        ({"units": 1, "slots": 2, "target_energy_kwh": 100}, _cands([20] * 4, [100] * 4,
                                                                    [50] * 4),
         "target energy 100.0 kWh > 40.0 kWh"),
    ],
)
def test_infeasible_requests_name_the_binding_constraint(kwargs: dict[str, object],
                                                         cands: Candidates,
                                                         fragment: str) -> None:
    r = UnitRules(**kwargs)  # type: ignore[arg-type]
    with pytest.raises(InfeasibleError) as info:
        check_feasible(cands, r, "nmc")
    assert fragment in str(info.value)


def test_jointly_infeasible_rules_raise_from_the_milp() -> None:
    # one chemistry per unit and ≥ 150 kW each: the LFP unit can only reach 100 kW
    c = _cands(energy=[20] * 5, mass=[100] * 5, power=[100, 100, 50, 50, 50],
               chem=["nmc", "nmc", "lfp", "lfp", "lfp"])
    r = UnitRules(units=2, slots=2, min_power_kw=150, one_chemistry_per_unit=True)
    check_feasible(c, r, "nmc")  # every constraint alone can hold
    assert greedy(c, r) is None
    with pytest.raises(InfeasibleError, match="no assignment satisfies"):
        solve_milp(c, r, None)


def test_life_objective_uses_the_longest_lived_packs() -> None:
    c = _cands(energy=[40, 39, 20, 19], mass=[100] * 4, power=[50] * 4, life=[1, 2, 8, 9])
    r = UnitRules(units=1, slots=2, objective="life")
    a = solve_milp(c, r, greedy(c, r))
    assert sorted(a.units[0]) == [2, 3]
    assert a.objective_value == pytest.approx(8.0)


def test_aggregated_energy_model_equals_the_full_model() -> None:
    # target_energy_kwh=0 forces the per-pack model; both must reach the same optimum
    rng = np.random.default_rng(11)
    n = 14
    c = _cands(energy=list(rng.uniform(10, 60, n)),
               mass=list(rng.choice([230.0, 280.0, 320.0, 410.0], n)),
               power=list(rng.choice([44.0, 105.0], n)), chem=list(rng.choice(["nmc", "lfp"], n)))
    kw = {"units": 2, "slots": 3, "max_mass_kg": 1000 + 3 * 100 + 850,
          "enclosure_mass_kg": 1000, "slot_mass_kg": 100, "min_power_kw": 150}
    agg = solve_milp(c, UnitRules(**kw))  # type: ignore[arg-type]
    full = solve_milp(c, UnitRules(target_energy_kwh=0.0, **kw))  # type: ignore[arg-type]
    assert not _independent_problems(agg.units, c, UnitRules(**kw))  # type: ignore[arg-type]
    assert agg.objective_value == pytest.approx(full.objective_value, rel=1e-6)
    assert agg.objective_value == pytest.approx(_brute_force(c, UnitRules(**kw)), rel=1e-6)  # type: ignore[arg-type]
