"""Benchmark (a): power split over a mismatched 7-pack set at rated power.

How much energy does each split rule deliver at constant rated power before the first pack limit
forces a power reduction, compared with an LP upper bound (HiGHS) over the same horizon?

Plant model (stated): an energy reservoir per pack — usable energy = catalog usable kWh × SoH,
SoC relative to that window, minimum SoC 0.05, no losses; per-pack power limit = a 50 kW DC/DC
converter per pack, capped at the catalog maximum discharge power × SoH. The lead re-runs this with
the full ECM engine later.

Run: ``.venv/bin/python benchmarks/bench_ems_packs.py``
"""

from __future__ import annotations

import time

import numpy as np
from scipy import sparse

from packlife.catalog import get_pack_model
from packlife.control._lp import solve_lp
from packlife.control.pack_allocation import allocate_by_weight

#: (catalog id, SoH, start SoC) — SoH 0.70–0.85, mixed models
PACKS = [
    ("range_rover_phev_p440e", 0.80, 0.90),
    ("nissan_leaf_24kwh", 0.70, 0.95),
    ("nissan_leaf_40kwh", 0.78, 0.70),
    ("renault_zoe_ze40", 0.85, 0.85),
    ("bmw_i3_94ah", 0.75, 0.60),
    ("renault_kangoo_ze_22kwh", 0.72, 0.80),
    ("nissan_leaf_30kwh", 0.82, 0.75),
]
SOC_MIN = 0.05
CONVERTER_KW = 50.0
DT_S = 10.0


def pack_set() -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    """Names, usable energy at SoH [Wh], start SoC, power limit [W]."""
    names, cap, soc, lim = [], [], [], []
    for pid, soh, s0 in PACKS:
        m = get_pack_model(pid)
        names.append(pid)
        cap.append(m.usable_energy_kwh * soh * 1000.0)
        soc.append(s0)
        lim.append(min(CONVERTER_KW, m.max_discharge_power_kw * soh) * 1000.0)
    return names, np.array(cap), np.array(soc), np.array(lim)


def run_rule(rule: str, power_w: float) -> tuple[float, float]:
    """Energy [kWh] delivered at full power before the first shortfall, and SoC spread at end."""
    _, cap, soc0, lim = pack_set()
    energy = (soc0 - SOC_MIN) * cap
    out = np.empty(len(cap))
    delivered = 0.0
    for _ in range(100_000):
        step_lim = np.minimum(lim, energy * 3600.0 / DT_S)
        if rule == "usable_energy":
            weight = energy.copy()
        elif rule == "equal":
            weight = np.ones(len(cap))
        elif rule == "soc_pct":
            weight = SOC_MIN + energy / cap
        else:  # "power_limit" (OpenEMS v2 BALANCE)
            weight = step_lim.copy()
        weight = np.where(step_lim > 0, weight, 0.0)
        rest = allocate_by_weight(power_w, step_lim, weight, out)
        if rest > 1e-6:
            break
        energy = energy - out * DT_S / 3600.0
        delivered += power_w * DT_S / 3600.0
    soc = SOC_MIN + energy / cap
    return delivered / 1000.0, float(soc.max() - soc.min())


def _feasible(steps: int, power_w: float, energy: np.ndarray, lim: np.ndarray) -> bool:
    """LP feasibility: Σ_i p_it = P for t < steps, 0 ≤ p_it ≤ L_i, Σ_t p_it·Δt ≤ E_i."""
    from packlife.errors import InfeasibleError

    n = len(lim)
    n_var = n * steps  # p[i, t] at i*steps + t
    power_rows = sparse.kron(np.ones((1, n)), sparse.eye(steps))
    energy_rows = sparse.kron(sparse.eye(n), np.full((1, steps), DT_S / 3600.0))
    a = sparse.vstack([power_rows, energy_rows])
    lo = np.concatenate([np.full(steps, power_w), np.full(n, -np.inf)])
    hi = np.concatenate([np.full(steps, power_w), energy])
    try:
        solve_lp(np.zeros(n_var), a, lo, hi, np.zeros(n_var), np.repeat(lim, steps))
    except InfeasibleError:
        return False
    return True


def lp_bound(power_w: float) -> float:
    """Largest energy [kWh] at constant ``power_w`` over whole steps: bisection on LP feasibility.

    Any allocation over time (not only the rules above) is allowed, so this bounds every rule.
    """
    _, cap, soc0, lim = pack_set()
    energy = (soc0 - SOC_MIN) * cap
    lo, hi = 0, int(np.ceil(energy.sum() * 3600.0 / DT_S / power_w)) + 1
    while hi - lo > 1:  # invariant: lo feasible, hi infeasible
        mid = (lo + hi) // 2
        if _feasible(mid, power_w, energy, lim):
            lo = mid
        else:
            hi = mid
    return lo * power_w * DT_S / 3600.0 / 1000.0


def continuous_optimum_kwh(power_w: float) -> float:
    """Closed form in continuous time: the largest T with Σ_i min(L_i, E_i/T) ≥ P, times P.

    Each pack can give at most ``min(L_i·T, E_i)`` in time T (necessary); the constant split
    ``p_i = min(L_i, E_i/T)`` achieves it (sufficient). This is what usable-energy
    water-filling ``p_i = min(L_i, λ·E_i)`` does, so that rule is optimal up to step rounding.
    """
    _, cap, soc0, lim = pack_set()
    energy = (soc0 - SOC_MIN) * cap * 3600.0  # [J]
    lo, hi = 1e-6, energy.sum() / power_w
    for _ in range(100):
        t = 0.5 * (lo + hi)
        if np.minimum(lim, energy / t).sum() >= power_w:
            lo = t
        else:
            hi = t
    return lo * power_w / 3.6e6


def main() -> None:
    names, cap, soc0, lim = pack_set()
    print("Pack set (usable kWh at SoH, start SoC, limit kW):")
    for nm, c, s, lm in zip(names, cap, soc0, lim, strict=True):
        print(f"  {nm:26s} {c / 1000:6.1f} kWh  SoC {s:.2f}  {lm / 1000:5.1f} kW")
    e_total = ((soc0 - SOC_MIN) * cap).sum() / 1000
    print(
        f"  energy above SoC_min: {e_total:.1f} kWh; power limits sum {lim.sum() / 1000:.0f} kW\n"
    )
    for power_kw in (250.0, 300.0):
        t0 = time.perf_counter()
        bound = lp_bound(power_kw * 1000)
        t_lp = time.perf_counter() - t0
        exact = continuous_optimum_kwh(power_kw * 1000)
        print(
            f"Rated power {power_kw:.0f} kW, step {DT_S:.0f} s; LP bound {bound:.1f} kWh "
            f"(bisection over HiGHS LPs, {t_lp:.2f} s); continuous-time optimum {exact:.1f} kWh"
        )
        print(f"  {'rule':15s} {'kWh':>7s} {'min':>6s} {'% of LP':>8s} {'SoC spread':>11s}")
        for rule in ("usable_energy", "equal", "soc_pct", "power_limit"):
            kwh, spread = run_rule(rule, power_kw * 1000)
            minutes = kwh / power_kw * 60
            print(f"  {rule:15s} {kwh:7.1f} {minutes:6.1f} {100 * kwh / bound:8.1f} {spread:11.2f}")
        print()


if __name__ == "__main__":
    main()
