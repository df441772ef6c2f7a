"""Assigning graded packs to BESS units: a MILP (HiGHS) and a greedy baseline.

Decision: binary ``x[p, u] = 1`` if candidate pack ``p`` goes into unit ``u``. Every unit is
built with all its ``slots`` filled; each pack is used at most once. Per unit:

* mass: ``Σ m_p x[p,u] + enclosure_mass_kg + slots × slot_mass_kg ≤ max_mass_kg``,
* power: ``Σ P_p x[p,u] ≥ min_power_kw`` (``P_p`` = catalog discharge power limit),
* energy: ``Σ e_p x[p,u] ≥ target_energy_kwh`` (optional),
* chemistry: only allowed chemistries are candidates; optionally one chemistry per unit
  (binary ``w[c,u]``, ``Σ_{p∈c} x[p,u] ≤ slots·w[c,u]``, ``Σ_c w[c,u] ≤ 1``).

``e_p`` is the pack's usable energy at rated power: catalog usable energy × SoH × the engine
resistance derate (:func:`packlife.design.ratings.resistance_derates`). Objectives:

* ``energy`` – maximise ``Σ_u Σ_p e_p x[p,u]``,
* ``equal`` – maximise the smallest unit energy ``z ≤ Σ_p e_p x[p,u]``, then (second stage, with
  ``z`` fixed at its optimum) the total energy,
* ``life`` – maximise the smallest years-to-threshold proxy ``L_p`` of any used pack (the weakest
  pack of the weakest unit), ``z ≤ L_p + M (1 - Σ_u x[p,u])``, then the total energy.

No symmetry-breaking rows: ordering the units by energy was tried and made HiGHS' incumbents
clearly worse within the time limit (200 packs → 20 units, 10 s: 3,371 vs 3,487 kWh). The greedy
baseline deals packs sorted by the objective's key to the unit with the lowest energy so far that
can still take them. The MILP is warm-started with the greedy solution and, should it stop at its
time limit with anything worse, the greedy assignment is kept: the result is never worse than
greedy. For the ``energy`` objective without a per-unit energy target an exact aggregated model
over pack types is solved instead (:func:`_build_aggregated`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

from packlife._typing import FloatArray
from packlife.control._lp import quiet_highs
from packlife.errors import InfeasibleError

Objective = Literal["energy", "equal", "life"]
OBJECTIVES: tuple[Objective, ...] = ("energy", "equal", "life")

#: Enclosure/trailer mass of a BESS unit [kg] — estimate, see docs/design.md (Allye MAX: < 3.5 t
#: with 7 packs of ~280 kg ≈ 2 t, leaving ~1.5 t for trailer, enclosure, racks and converters).
ENCLOSURE_MASS_KG = 750.0
#: Rack, DC/DC converter, contactors and cabling per pack slot [kg] — estimate, see docs.
SLOT_MASS_KG = 110.0
#: Relative tolerance when comparing objective values.
TOLERANCE = 1e-6
#: Relative slack when checking a solution against the rules (rounding of sums only).
FEASIBILITY_TOLERANCE = 1e-9
#: HiGHS primal heuristic effort (default 0.05): more finds better incumbents on big inventories.
MIP_HEURISTIC_EFFORT = 0.3
#: Share of the time limit spent on the total-energy seed of the ``equal`` objective.
SEED_TIME_FRACTION = 0.25


@dataclass(frozen=True)
class UnitRules:
    """What a BESS unit must satisfy and what to optimise.

    Attributes
    ----------
    units, slots : int
        Number of units to build and pack slots per unit (all filled).
    max_mass_kg : float
        Mass limit of a unit incl. enclosure and per-slot hardware [kg].
    enclosure_mass_kg, slot_mass_kg : float
        Mass estimate of the enclosure/trailer and of each slot's rack + converter [kg].
    min_power_kw : float
        Minimum sum of the packs' discharge power limits per unit [kW].
    target_energy_kwh : float or None
        Minimum usable energy at rated power per unit [kWh].
    chemistries : tuple of str or None
        Allowed chemistries (None = any).
    one_chemistry_per_unit : bool
        Forbid mixing chemistries inside a unit.
    objective : {'energy', 'equal', 'life'}
        See the module docstring.
    time_limit_s, mip_rel_gap : float
        HiGHS limits (the time limit is shared by both stages).
    """

    units: int
    slots: int = 7
    max_mass_kg: float = 3500.0
    enclosure_mass_kg: float = ENCLOSURE_MASS_KG
    slot_mass_kg: float = SLOT_MASS_KG
    min_power_kw: float = 0.0
    target_energy_kwh: float | None = None
    chemistries: tuple[str, ...] | None = None
    one_chemistry_per_unit: bool = False
    objective: Objective = "energy"
    time_limit_s: float = 30.0
    mip_rel_gap: float = 1e-4

    @property
    def overhead_kg(self) -> float:
        """Non-pack mass of a unit [kg]."""
        return self.enclosure_mass_kg + self.slots * self.slot_mass_kg

    @property
    def pack_mass_budget_kg(self) -> float:
        """Mass left for the packs of one unit [kg]."""
        return self.max_mass_kg - self.overhead_kg


@dataclass(frozen=True)
class Candidates:
    """Per-candidate-pack coefficients (arrays of equal length)."""

    energy_kwh: FloatArray
    mass_kg: FloatArray
    power_kw: FloatArray
    life_years: FloatArray
    chemistry: tuple[str, ...]

    @property
    def n(self) -> int:
        return int(self.energy_kwh.size)


@dataclass
class Assignment:
    """A solution: pack indices (into the candidates) per unit and how it was found."""

    units: list[list[int]]
    method: str
    objective_value: float
    total_energy_kwh: float
    status: str = ""
    mip_gap: float | None = None
    solve_time_s: float = 0.0
    notes: list[str] = field(default_factory=list)


# ----------------------------------------------------------------------------- evaluation
def unit_values(units: Sequence[Sequence[int]], c: Candidates) -> tuple[FloatArray, FloatArray,
                                                                        FloatArray]:
    """Energy [kWh], pack mass [kg] and power [kW] of each unit."""
    e = np.array([c.energy_kwh[list(u)].sum() for u in units])
    m = np.array([c.mass_kg[list(u)].sum() for u in units])
    p = np.array([c.power_kw[list(u)].sum() for u in units])
    return e, m, p


def objective_value(units: Sequence[Sequence[int]], c: Candidates, objective: Objective) -> float:
    """Primary objective of an assignment (see module docstring)."""
    energy = unit_values(units, c)[0]
    if objective == "energy":
        return float(energy.sum())
    if objective == "equal":
        return float(energy.min())
    used = [p for u in units for p in u]
    return float(c.life_years[used].min())


def violations(units: Sequence[Sequence[int]], c: Candidates, rules: UnitRules) -> list[str]:
    """Every broken rule of an assignment (empty if it is valid)."""
    out: list[str] = []
    if len(units) != rules.units:
        out.append(f"{len(units)} units instead of {rules.units}")
    used = [p for u in units for p in u]
    if len(set(used)) != len(used):
        out.append("a pack is used twice")
    energy, mass, power = unit_values(units, c)
    for k, u in enumerate(units):
        if len(u) != rules.slots:
            out.append(f"unit {k + 1}: {len(u)} packs in {rules.slots} slots")
        if mass[k] > rules.pack_mass_budget_kg * (1 + FEASIBILITY_TOLERANCE):
            out.append(f"unit {k + 1}: mass {mass[k] + rules.overhead_kg:.0f} kg")
        if power[k] < rules.min_power_kw * (1 - FEASIBILITY_TOLERANCE):
            out.append(f"unit {k + 1}: power {power[k]:.0f} kW")
        if rules.target_energy_kwh is not None and energy[k] < rules.target_energy_kwh * (
                1 - FEASIBILITY_TOLERANCE):
            out.append(f"unit {k + 1}: energy {energy[k]:.1f} kWh")
        if rules.one_chemistry_per_unit and len({c.chemistry[p] for p in u}) > 1:
            out.append(f"unit {k + 1}: mixed chemistries")
    return out


def better(a: Assignment, b: Assignment | None) -> bool:
    """Whether ``a`` beats ``b`` (primary objective, then total energy)."""
    if b is None:
        return True
    scale = max(abs(b.objective_value), 1.0)
    if a.objective_value > b.objective_value + TOLERANCE * scale:
        return True
    if a.objective_value < b.objective_value - TOLERANCE * scale:
        return False
    return a.total_energy_kwh > b.total_energy_kwh + TOLERANCE * max(b.total_energy_kwh, 1.0)


def _make(units: list[list[int]], c: Candidates, rules: UnitRules, method: str) -> Assignment:
    energy = unit_values(units, c)[0]
    order = np.argsort(-energy, kind="stable")
    units = [sorted(units[k]) for k in order]
    return Assignment(units, method, objective_value(units, c, rules.objective),
                      float(energy.sum()))


# ----------------------------------------------------------------------------- checks
def check_feasible(c: Candidates, rules: UnitRules, allowed: str) -> None:
    """Raise :class:`InfeasibleError` naming the binding constraint of an impossible request.

    ``allowed`` names the allowed chemistries in the message.
    """
    need = rules.units * rules.slots
    if c.n < need:
        raise InfeasibleError(
            f"not enough packs of the allowed chemistries ({allowed}): {c.n} packs for "
            f"{rules.units} units × {rules.slots} slots = {need}")
    if rules.one_chemistry_per_unit:
        counts = {ch: c.chemistry.count(ch) for ch in sorted(set(c.chemistry))}
        possible = sum(n // rules.slots for n in counts.values())
        if possible < rules.units:
            listing = ", ".join(f"{ch} {n}" for ch, n in counts.items())
            raise InfeasibleError(
                f"one chemistry per unit: the packs ({listing}) fill only {possible} units of "
                f"{rules.slots} for the {rules.units} requested")
    light = np.sort(c.mass_kg)
    lightest = float(light[: rules.slots].sum())
    if lightest > rules.pack_mass_budget_kg:
        raise InfeasibleError(
            f"unit mass {lightest + rules.overhead_kg:,.0f} kg > {rules.max_mass_kg:,.0f} kg with "
            f"the lightest {rules.slots} packs ({lightest:,.0f} kg of packs + "
            f"{rules.enclosure_mass_kg:,.0f} kg enclosure + {rules.slots} × "
            f"{rules.slot_mass_kg:,.0f} kg racks/converters)")
    if float(light[:need].sum()) > rules.units * rules.pack_mass_budget_kg:
        raise InfeasibleError(
            f"the lightest {need} packs weigh {float(light[:need].sum()):,.0f} kg, more than "
            f"{rules.units} units × {rules.pack_mass_budget_kg:,.0f} kg of pack mass allowance")
    p_max = float(c.power_kw.max())
    if rules.slots * p_max < rules.min_power_kw:
        raise InfeasibleError(
            f"min power {rules.min_power_kw:,.0f} kW > {rules.slots} × max pack power "
            f"({rules.slots} × {p_max:,.0f} kW = {rules.slots * p_max:,.0f} kW)")
    if float(np.sort(c.power_kw)[::-1][:need].sum()) < rules.units * rules.min_power_kw:
        raise InfeasibleError(
            f"min power {rules.min_power_kw:,.0f} kW per unit: the {need} most powerful packs "
            f"give only {float(np.sort(c.power_kw)[::-1][:need].sum()):,.0f} kW for "
            f"{rules.units} units")
    if rules.target_energy_kwh is not None:
        top = float(np.sort(c.energy_kwh)[::-1][: rules.slots].sum())
        if top < rules.target_energy_kwh:
            raise InfeasibleError(
                f"target energy {rules.target_energy_kwh:,.1f} kWh > {top:,.1f} kWh of the "
                f"{rules.slots} packs with most usable energy")
        top_all = float(np.sort(c.energy_kwh)[::-1][:need].sum())
        if top_all < rules.units * rules.target_energy_kwh:
            raise InfeasibleError(
                f"target energy {rules.target_energy_kwh:,.1f} kWh per unit: the best {need} "
                f"packs hold only {top_all:,.1f} kWh for {rules.units} units")


# ----------------------------------------------------------------------------- greedy
#: At most this many pack-mass caps are tried by the greedy baseline.
GREEDY_MASS_CAPS = 12


def greedy(c: Candidates, rules: UnitRules) -> Assignment | None:
    """Greedy baseline; ``None`` when it cannot satisfy every rule.

    One pass takes the packs in order of the objective's key (energy; life, then energy) and
    deals each to the unit with the lowest energy so far that can still be completed: its mass
    with the lightest, and its power with the most powerful, of the packs not yet dealt must fit.
    Where mass binds, heavy packs early in the order can block the units, so passes are repeated
    with packs above a mass cap left out (up to :data:`GREEDY_MASS_CAPS` caps, from no cap down
    to the lightest masses) and the best valid pass is returned.
    """
    if c.n < rules.units * rules.slots:
        return None
    if rules.objective == "life":
        order = np.lexsort((-c.energy_kwh, -c.life_years))
    else:
        order = np.argsort(-c.energy_kwh, kind="stable")
    masses = np.unique(c.mass_kg)[::-1]
    if masses.size > GREEDY_MASS_CAPS:
        masses = np.unique(np.quantile(c.mass_kg, np.linspace(1.0, 0.0, GREEDY_MASS_CAPS),
                                       method="higher"))[::-1]
    best: Assignment | None = None
    for cap in masses:
        sub = order[c.mass_kg[order] <= cap]
        if sub.size < rules.units * rules.slots:
            break
        for fair in (False, True):
            found = _greedy_pass(c, rules, sub, fair)
            if found is not None and better(found, best):
                best = found
    return best


def _greedy_pass(c: Candidates, rules: UnitRules, order: NDArray[Any], fair: bool
                 ) -> Assignment | None:
    budget = rules.pack_mass_budget_kg  # exact: HiGHS rejects starts beyond its 1e-7 tolerance
    members: list[list[int]] = [[] for _ in range(rules.units)]
    mass = np.zeros(rules.units)
    power = np.zeros(rules.units)
    energy = np.zeros(rules.units)
    chem: list[str | None] = [None] * rules.units
    free = rules.units * rules.slots
    for i, p in enumerate(order):
        later = order[i + 1:]
        light = np.concatenate(([0.0], np.cumsum(np.sort(c.mass_kg[later])[:free])))
        strong = np.concatenate(([0.0], np.cumsum(np.sort(c.power_kw[later])[::-1][:free])))
        if light.size < free or (budget * rules.units - mass.sum() - c.mass_kg[p]
                                 < light[free - 1]):
            continue
        mean_light = light[free - 1] / (free - 1) if free > 1 else 0.0
        best = -1
        for u in range(rules.units):
            left = rules.slots - len(members[u])
            if left == 0 or (rules.one_chemistry_per_unit and chem[u] not in (None,
                                                                             c.chemistry[p])):
                continue
            reserve = (left - 1) * mean_light if fair else light[left - 1]
            if mass[u] + c.mass_kg[p] + reserve > budget:
                continue
            if power[u] + c.power_kw[p] + strong[left - 1] < rules.min_power_kw:
                continue
            if best < 0 or energy[u] < energy[best]:
                best = u
        if best < 0:
            continue
        members[best].append(int(p))
        mass[best] += c.mass_kg[p]
        power[best] += c.power_kw[p]
        energy[best] += c.energy_kwh[p]
        chem[best] = c.chemistry[p]
        free -= 1
        if free == 0:
            break
    if free or violations(members, c, rules):
        return None
    return _make(members, c, rules, "greedy")


# ----------------------------------------------------------------------------- MILP
@dataclass
class _Model:
    matrix: sparse.csc_matrix
    row_lower: FloatArray
    row_upper: FloatArray
    col_lower: FloatArray
    col_upper: FloatArray
    cost: FloatArray
    n_x: int
    z_col: int | None
    chems: list[str]
    energy_x: FloatArray
    types: NDArray[Any] | None = None  # aggregated model: type index of each pack
    n_types: int = 0


def _build(c: Candidates, rules: UnitRules) -> _Model:
    n, nu, s = c.n, rules.units, rules.slots
    n_x = n * nu
    chems = sorted(set(c.chemistry)) if rules.one_chemistry_per_unit else []
    z_col = n_x + len(chems) * nu if rules.objective != "energy" else None
    n_col = n_x + len(chems) * nu + (1 if z_col is not None else 0)
    rows: list[sparse.coo_matrix] = []
    lo: list[FloatArray] = []
    hi: list[FloatArray] = []
    inf = np.inf
    pi = np.repeat(np.arange(n), nu)  # pack of each x column
    ui = np.tile(np.arange(nu), n)  # unit of each x column
    cols = np.arange(n_x)

    def add(r: NDArray[Any], cidx: NDArray[Any], val: FloatArray, nrow: int, low: FloatArray,
            high: FloatArray) -> None:
        rows.append(sparse.coo_matrix((val, (r, cidx)), shape=(nrow, n_col)))
        lo.append(np.broadcast_to(low, (nrow,)).astype(float))
        hi.append(np.broadcast_to(high, (nrow,)).astype(float))

    ones = np.ones(n_x)
    add(pi, cols, ones, n, np.array(-inf), np.array(1.0))  # each pack at most once
    add(ui, cols, ones, nu, np.array(float(s)), np.array(float(s)))  # slots filled
    add(ui, cols, c.mass_kg[pi], nu, np.array(-inf), np.array(rules.pack_mass_budget_kg))
    if rules.min_power_kw > 0:
        add(ui, cols, c.power_kw[pi], nu, np.array(rules.min_power_kw), np.array(inf))
    if rules.target_energy_kwh is not None:
        add(ui, cols, c.energy_kwh[pi], nu, np.array(rules.target_energy_kwh), np.array(inf))
    e = c.energy_kwh[pi]
    for k, ch in enumerate(chems):
        in_c = np.array([c.chemistry[p] == ch for p in pi])
        w_cols = n_x + k * nu + np.arange(nu)
        r = np.concatenate((ui[in_c], np.arange(nu)))
        cc = np.concatenate((cols[in_c], w_cols))
        v = np.concatenate((np.ones(int(in_c.sum())), np.full(nu, -float(s))))
        add(r, cc, v, nu, np.array(-inf), np.array(0.0))
    if chems:
        w_all = n_x + np.arange(len(chems) * nu)
        add(w_all % nu, w_all, np.ones(w_all.size), nu, np.array(-inf), np.array(1.0))
    if rules.objective == "equal" and z_col is not None:  # z - E_u <= 0
        r = np.concatenate((ui, np.arange(nu)))
        cc = np.concatenate((cols, np.full(nu, z_col)))
        v = np.concatenate((-e, np.ones(nu)))
        add(r, cc, v, nu, np.array(-inf), np.array(0.0))
    if rules.objective == "life" and z_col is not None:  # z + M Σ_u x[p,u] <= L_p + M
        big = float(c.life_years.max() - c.life_years.min()) + 1.0
        r = np.concatenate((pi, np.arange(n)))
        cc = np.concatenate((cols, np.full(n, z_col)))
        v = np.concatenate((np.full(n_x, big), np.ones(n)))
        add(r, cc, v, n, np.array(-inf), c.life_years + big)
    cost = np.zeros(n_col)
    if z_col is None:
        cost[:n_x] = e
    else:
        cost[z_col] = 1.0
    col_upper = np.ones(n_col)
    col_lower = np.zeros(n_col)
    if z_col is not None:
        col_upper[z_col] = inf
        col_lower[z_col] = -inf
    return _Model(sparse.vstack(rows).tocsc(), np.concatenate(lo), np.concatenate(hi),
                  col_lower, col_upper, cost, n_x, z_col, chems, e)


def _start_vector(a: Assignment, c: Candidates, rules: UnitRules, m: _Model) -> FloatArray:
    x = np.zeros(m.col_lower.size)
    for u, members in enumerate(a.units):
        for p in members:
            x[p * rules.units + u] = 1.0
            if m.chems:
                x[m.n_x + m.chems.index(c.chemistry[p]) * rules.units + u] = 1.0
    if m.z_col is not None:
        x[m.z_col] = a.objective_value
    return x


def _units_from(x: FloatArray, c: Candidates, rules: UnitRules) -> list[list[int]]:
    sel = x[: c.n * rules.units].reshape(c.n, rules.units) > 0.5
    return [np.flatnonzero(sel[:, u]).tolist() for u in range(rules.units)]


def pack_types(c: Candidates) -> tuple[NDArray[Any], int]:
    """Type index of each pack: packs with equal mass, power and chemistry share a type."""
    keys = [(round(float(m), 6), round(float(p), 6), ch)
            for m, p, ch in zip(c.mass_kg, c.power_kw, c.chemistry, strict=True)]
    index: dict[tuple[float, float, str], int] = {}
    types = np.array([index.setdefault(k, len(index)) for k in keys], dtype=np.int64)
    return types, len(index)


def _build_aggregated(c: Candidates, rules: UnitRules) -> _Model:
    """Exact model for the ``energy`` objective without a per-unit energy target.

    Packs of one type are interchangeable in every unit constraint, and the total energy does not
    depend on which unit a pack goes to. So the units choose integer counts ``n[t,u]`` of each
    type and binaries ``y[p]`` pick the packs: ``Σ_u n[t,u] = Σ_{p∈t} y[p]``; the objective is
    ``Σ e_p y[p]``. Any dealing of the chosen packs by the counts is optimal (T·U + P columns
    instead of P·U).
    """
    types, nt = pack_types(c)
    n, nu, s = c.n, rules.units, rules.slots
    t_mass = np.zeros(nt)
    t_power = np.zeros(nt)
    t_chem = [""] * nt
    for p in range(n):
        t_mass[types[p]], t_power[types[p]], t_chem[types[p]] = (c.mass_kg[p], c.power_kw[p],
                                                                 c.chemistry[p])
    chems = sorted(set(c.chemistry)) if rules.one_chemistry_per_unit else []
    n_cnt = nt * nu
    y0 = n_cnt
    w0 = y0 + n
    n_col = w0 + len(chems) * nu
    ti = np.repeat(np.arange(nt), nu)
    ui = np.tile(np.arange(nu), nt)
    cols = np.arange(n_cnt)
    blocks: list[sparse.coo_matrix] = []
    lo: list[FloatArray] = []
    hi: list[FloatArray] = []

    def add(r: NDArray[Any], cc: NDArray[Any], v: FloatArray, nrow: int, low: float,
            high: float) -> None:
        blocks.append(sparse.coo_matrix((v, (r, cc)), shape=(nrow, n_col)))
        lo.append(np.full(nrow, low))
        hi.append(np.full(nrow, high))

    add(ui, cols, np.ones(n_cnt), nu, float(s), float(s))
    add(ui, cols, t_mass[ti], nu, -np.inf, rules.pack_mass_budget_kg)
    if rules.min_power_kw > 0:
        add(ui, cols, t_power[ti], nu, rules.min_power_kw, np.inf)
    for k, ch in enumerate(chems):
        in_c = np.array([t_chem[t] == ch for t in ti])
        r = np.concatenate((ui[in_c], np.arange(nu)))
        cc = np.concatenate((cols[in_c], w0 + k * nu + np.arange(nu)))
        v = np.concatenate((np.ones(int(in_c.sum())), np.full(nu, -float(s))))
        add(r, cc, v, nu, -np.inf, 0.0)
    if chems:
        w_all = w0 + np.arange(len(chems) * nu)
        add((w_all - w0) % nu, w_all, np.ones(w_all.size), nu, -np.inf, 1.0)
    r = np.concatenate((ti, types))
    cc = np.concatenate((cols, y0 + np.arange(n)))
    v = np.concatenate((np.ones(n_cnt), -np.ones(n)))
    add(r, cc, v, nt, 0.0, 0.0)
    cost = np.zeros(n_col)
    cost[y0:w0] = c.energy_kwh
    upper = np.ones(n_col)
    upper[:n_cnt] = float(s)
    return _Model(sparse.vstack(blocks).tocsc(), np.concatenate(lo), np.concatenate(hi),
                  np.zeros(n_col), upper, cost, n_cnt, None, chems, c.energy_kwh, types, nt)


def _start_aggregated(a: Assignment, c: Candidates, rules: UnitRules, m: _Model) -> FloatArray:
    assert m.types is not None
    x = np.zeros(m.col_lower.size)
    y0 = m.n_types * rules.units
    w0 = y0 + c.n
    for u, members in enumerate(a.units):
        for p in members:
            x[int(m.types[p]) * rules.units + u] += 1.0
            x[y0 + p] = 1.0
            if m.chems:
                x[w0 + m.chems.index(c.chemistry[p]) * rules.units + u] = 1.0
    return x


def _units_from_counts(x: FloatArray, c: Candidates, rules: UnitRules, m: _Model
                       ) -> list[list[int]]:
    """Deal the chosen packs by the type counts: best pack first, to the open unit (one still
    needing its type) with the least energy so far (longest-processing-time rule)."""
    assert m.types is not None
    nu = rules.units
    need = np.rint(x[: m.n_types * nu]).astype(int).reshape(m.n_types, nu)
    chosen = np.flatnonzero(x[m.n_types * nu: m.n_types * nu + c.n] > 0.5)
    units: list[list[int]] = [[] for _ in range(nu)]
    energy = np.zeros(nu)
    for p in chosen[np.argsort(-c.energy_kwh[chosen], kind="stable")]:
        t = int(m.types[p])
        open_units = np.flatnonzero(need[t] > 0)
        if open_units.size == 0:
            continue
        u = int(open_units[np.argmin(energy[open_units])])
        units[u].append(int(p))
        energy[u] += c.energy_kwh[p]
        need[t, u] -= 1
    return units


def energy_seed(c: Candidates, rules: UnitRules, start: Assignment | None,
                always: bool = False) -> Assignment | None:
    """For ``equal``: the packs of the total-energy optimum, dealt evenly, as a second start.

    Solved with :data:`SEED_TIME_FRACTION` of the time limit (warm-started with ``start``);
    returns it (valued under the ``equal`` objective) if it beats ``start`` or ``always``.
    """
    seed_rules = replace(rules, objective="energy",
                         time_limit_s=SEED_TIME_FRACTION * rules.time_limit_s)
    seed_start = None if start is None else _make(start.units, c, seed_rules, start.method)
    try:
        seed = solve_milp(c, seed_rules, seed_start)
    except InfeasibleError:
        return None
    best = _make(seed.units, c, rules, "milp")
    chosen = np.array(sorted((p for u in seed.units for p in u), key=lambda p: -c.energy_kwh[p]))
    for fair in (False, True):  # re-deal the same packs for balance
        dealt = _greedy_pass(c, rules, chosen, fair)
        if dealt is not None and better(dealt, best):
            best = dealt
    valued = Assignment(best.units, "milp", best.objective_value, best.total_energy_kwh,
                        notes=["warm start: total-energy MILP packs, dealt evenly"])
    return valued if always or start is None or better(valued, start) else None


def solve_milp(c: Candidates, rules: UnitRules, start: Assignment | None = None, *,
               seed: bool = True, second_stage: bool = True) -> Assignment:
    """Solve the assignment MILP with HiGHS (see module docstring); never worse than ``start``.

    With ``seed`` (objective ``equal`` only) the total-energy optimum dealt evenly is tried as a
    second warm start first (:func:`energy_seed`); ``second_stage=False`` skips the
    total-energy stage of ``equal``/``life``.

    Raises
    ------
    InfeasibleError
        If HiGHS proves the rules infeasible, or finds no solution in time and ``start`` is None.
    """
    import highspy

    t0 = time.perf_counter()
    if rules.objective == "equal" and rules.target_energy_kwh is None:
        seed_start = energy_seed(c, rules, start) if seed else None
        if seed_start is not None:
            start = seed_start
        rules = replace(rules, time_limit_s=max(
            rules.time_limit_s - (time.perf_counter() - t0), 0.1))
    aggregated = rules.objective == "energy" and rules.target_energy_kwh is None
    m = _build_aggregated(c, rules) if aggregated else _build(c, rules)
    h = _load(highspy, m, rules, two_stage=second_stage and m.z_col is not None)
    two_stage = m.z_col is not None
    if start is not None:
        sol = highspy.HighsSolution()
        vec = (_start_aggregated(start, c, rules, m) if aggregated
               else _start_vector(start, c, rules, m))
        sol.col_value = vec.tolist()
        h.setSolution(sol)
    h.run()
    status, _, x = _read(h)
    bound = float(h.getInfo().mip_dual_bound)
    if x is None:
        if status == "Infeasible":
            raise InfeasibleError(
                "no assignment satisfies slots, mass, power, energy and chemistry rules together "
                "(each holds alone); relax --max-mass-kg, --min-power-kw or --target-energy-kwh")
        if start is None:
            raise InfeasibleError(
                f"HiGHS found no feasible assignment within {rules.time_limit_s:g} s "
                f"({status}); raise the time limit or relax the rules")
        return _keep(start, status, bound, t0, "MILP found no solution in time; start kept")
    units = _units_from_counts(x, c, rules, m) if aggregated else _units_from(x, c, rules)
    primary = _make(units, c, rules, "milp")
    if two_stage and second_stage and m.z_col is not None:
        x2 = _second_stage(h, highspy, m, x, primary.objective_value, rules, t0)
        if x2 is not None:
            second = _make(_units_from(x2[0], c, rules), c, rules, "milp")
            if not better(primary, second) and not violations(second.units, c, rules):
                primary = second
                primary.notes.append(f"second stage (total energy): {x2[1]}, MIP gap {x2[2]}")
    primary.status, primary.mip_gap = status, relative_gap(bound, primary.objective_value)
    primary.solve_time_s = time.perf_counter() - t0
    if violations(primary.units, c, rules) or (start is not None and better(start, primary)):
        return _keep(start, status, bound, t0, "MILP incumbent not better than its start; kept")
    return primary


def relative_gap(dual_bound: float, value: float) -> float | None:
    """MIP gap of a (maximised) value against HiGHS' dual bound; None if there is no bound."""
    if not np.isfinite(dual_bound):
        return None
    return max(dual_bound - value, 0.0) / max(abs(value), 1e-9)


def _load(highspy: Any, m: _Model, rules: UnitRules, two_stage: bool) -> Any:
    """A silent HiGHS instance holding model ``m`` with the rules' limits."""
    inf = highspy.kHighsInf
    lp = highspy.HighsLp()
    lp.num_col_ = int(m.matrix.shape[1])
    lp.num_row_ = int(m.matrix.shape[0])
    lp.col_cost_ = m.cost
    lp.col_lower_ = np.where(np.isfinite(m.col_lower), m.col_lower, -inf)
    lp.col_upper_ = np.where(np.isfinite(m.col_upper), m.col_upper, inf)
    lp.row_lower_ = np.where(np.isfinite(m.row_lower), m.row_lower, -inf)
    lp.row_upper_ = np.where(np.isfinite(m.row_upper), m.row_upper, inf)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = m.matrix.indptr.astype(np.int32)
    lp.a_matrix_.index_ = m.matrix.indices.astype(np.int32)
    lp.a_matrix_.value_ = m.matrix.data.astype(float)
    lp.sense_ = highspy.ObjSense.kMaximize
    integrality = np.full(lp.num_col_, highspy.HighsVarType.kInteger)
    if m.z_col is not None:
        integrality[m.z_col] = highspy.HighsVarType.kContinuous
    lp.integrality_ = integrality.tolist()
    h = quiet_highs(highspy)
    h.setOptionValue("threads", 1)
    h.setOptionValue("random_seed", 1)
    h.setOptionValue("mip_heuristic_effort", MIP_HEURISTIC_EFFORT)
    h.setOptionValue("mip_rel_gap", rules.mip_rel_gap)
    h.setOptionValue("time_limit", rules.time_limit_s * (0.6 if two_stage else 1.0))
    h.passModel(lp)
    return h


def _keep(start: Assignment | None, status: str, bound: float, t0: float,
          note: str) -> Assignment:
    if start is None:
        raise InfeasibleError(f"HiGHS returned no valid assignment ({status})")
    return Assignment(start.units, start.method, start.objective_value, start.total_energy_kwh,
                      status, relative_gap(bound, start.objective_value),
                      time.perf_counter() - t0, [*start.notes, note])


def _read(h: Any) -> tuple[str, float | None, FloatArray | None]:
    info = h.getInfo()
    status = str(h.modelStatusToString(h.getModelStatus()))
    if info.primal_solution_status != 2:  # 2 = feasible
        return status, None, None
    gap = float(info.mip_gap) if np.isfinite(info.mip_gap) else None
    return status, gap, np.asarray(h.getSolution().col_value, dtype=float)


def _second_stage(h: Any, highspy: Any, m: _Model, x: FloatArray, z_opt: float,
                  rules: UnitRules, t0: float) -> tuple[FloatArray, str, float | None] | None:
    """Hold z at its optimum (less a tolerance) and maximise the total energy, starting at x."""
    left = rules.time_limit_s - (time.perf_counter() - t0)
    if left <= 0.2 or m.z_col is None:
        return None
    z_low = z_opt - TOLERANCE * max(abs(z_opt), 1.0)
    h.changeColBounds(m.z_col, z_low, highspy.kHighsInf)
    cost = np.zeros(m.col_lower.size)
    cost[: m.n_x] = m.energy_x
    h.changeColsCost(cost.size, np.arange(cost.size, dtype=np.int32), cost)
    h.setOptionValue("time_limit", left)
    x0 = x.copy()
    x0[m.z_col] = max(x0[m.z_col], z_low)
    sol = highspy.HighsSolution()
    sol.col_value = x0.tolist()
    h.setSolution(sol)
    h.run()
    status, gap, x2 = _read(h)
    return None if x2 is None else (x2, status, gap)
