"""Benchmark: assign a synthetic inventory of real catalog packs to BESS units, MILP vs greedy.

The inventory draws catalog pack models (kind 'pack') uniformly, SoH uniformly in 0.6–0.9 and the
resistance factor as ``1 + (1 − soh) × U(1.5, 3.5)`` (seeded). Reported per objective: the MILP
solve time (HiGHS, with a time limit), the MIP gap it reports, the greedy objective and the
MILP-vs-greedy gap; then the engine evaluation + forecast time for the MILP units.

Run: ``.venv/bin/python benchmarks/bench_design.py [--packs 1000] [--units 100] [--time-limit 60]``
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from packlife.catalog import list_pack_models
from packlife.design.assign import UnitRules, unit_values, violations
from packlife.design.evaluate import evaluate_units
from packlife.design.inventory import InventoryItem, items_from_records
from packlife.design.plan import assign_units


def synthetic_inventory(n: int, seed: int = 2026) -> list[InventoryItem]:
    """``n`` packs of real catalog models with random SoH 0.6–0.9 (seeded)."""
    rng = np.random.default_rng(seed)
    models = [m.id for m in list_pack_models("pack")]
    soh = rng.uniform(0.6, 0.9, n)
    rg = 1.0 + (1.0 - soh) * rng.uniform(1.5, 3.5, n)
    return items_from_records([
        {"serial": f"P{k:05d}", "catalog_id": str(rng.choice(models)), "soh": float(soh[k]),
         "resistance_growth": float(rg[k])} for k in range(n)])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--packs", type=int, default=1000)
    ap.add_argument("--units", type=int, default=100)
    ap.add_argument("--slots", type=int, default=7)
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--objectives", default="energy,equal,life")
    ap.add_argument("--min-power-kw", type=float, default=0.0)
    args = ap.parse_args()
    items = synthetic_inventory(args.packs)
    print(f"{args.packs} packs ({len({it.catalog_id for it in items})} catalog models, SoH "
          f"0.6–0.9) into {args.units} units × {args.slots} slots, max 3,500 kg, "
          f"min power {args.min_power_kw:g} kW, MILP time limit {args.time_limit:g} s")
    header = (f"{'objective':<9} {'prep s':>7} {'greedy':>10} {'MILP':>10} {'MILP-greedy':>12} "
              f"{'MIP gap':>9} {'status':>11} {'solve s':>8} {'method':>7}")
    print(header)
    print("-" * len(header))
    last = None
    for objective in args.objectives.split(","):
        rules = UnitRules(units=args.units, slots=args.slots, min_power_kw=args.min_power_kw,
                          objective=objective, time_limit_s=args.time_limit)  # type: ignore[arg-type]
        t0 = time.perf_counter()
        packs, cand, _, best, base = assign_units(items, rules, 0.6)
        total = time.perf_counter() - t0
        prep = total - best.solve_time_s
        assert not violations(best.units, cand, rules)
        g = "n/a" if base is None else f"{base.objective_value:,.2f}"
        gap = ("n/a" if base is None else
               f"{100 * (best.objective_value / base.objective_value - 1):+.3f} %")
        mip = "n/a" if best.mip_gap is None else f"{100 * best.mip_gap:.3f} %"
        print(f"{objective:<9} {prep:>7.1f} {g:>10} {best.objective_value:>10,.2f} {gap:>12} "
              f"{mip:>9} {best.status:>11} {best.solve_time_s:>8.1f} {best.method:>7}")
        last = (packs, cand, best)
    if last is not None:
        packs, cand, best = last
        t0 = time.perf_counter()
        evs = evaluate_units([[packs[p] for p in u] for u in best.units],
                             list(unit_values(best.units, cand)[0]), args.min_power_kw, 0.6, 10)
        dt = time.perf_counter() - t0
        yrs = np.array([e.years_to_threshold for e in evs])
        print(f"engine evaluation + 10-year forecast of {len(evs)} units "
              f"({len(evs) * args.slots} packs): {dt:.1f} s; weakest-pack years to 60 % SoH: "
              f"median {np.median(yrs):.2f}, min {yrs.min():.2f}")


if __name__ == "__main__":
    main()
