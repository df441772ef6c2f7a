"""Benchmark (b): vehicle allocation on real ACN-Data sessions, 9 DC outputs behind one BESS.

Mapping of the AC workplace sessions (``tests/data/acn_sessions``, JPL, 2019-09-09 … 09-20) to DC
rapid-charging demand:

* arrival time kept; energy needed = the session's *delivered* energy (what the car really took;
  the user-entered ``requested_energy`` is often a placeholder), capped by the vehicle's room;
* stay compressed ×4 (a 50 kW DC output charges ~7× faster than the 6.6 kW AC one), clipped to
  15 min … 2 h;
* vehicles assigned in turn: Range Rover P440e PHEV, Nissan Leaf 40 kWh, large 100 kWh BEV, each
  starting at SoC 0.9 − need / usable energy (≥ 0.05) and following its DC acceptance curve;
* each session takes the first free output of 9 (50 kW connectors); with none free it is turned
  away (the same sessions for every algorithm);
* the site budget (what the packs can deliver plus what the inputs supply) is held constant
  (``--budget-kw``), the BESS being assumed topped up — energy is not the binding limit here.

Every controlled algorithm runs through :func:`packlife.control.controller.decide` with 7 packs and
9 outputs at a 5-min control interval; "uncontrolled (no limit)" gives each output all it can
take, to show the peak the site would see without a budget.

Run: ``.venv/bin/python benchmarks/bench_ems_vehicles.py [--budget-kw 150]``
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from packlife.control.controller import decide
from packlife.control.types import (
    ControllerConfig,
    OutputState,
    PackLimits,
    Setpoints,
    SiteSnapshot,
)
from packlife.control.vehicles import (
    LARGE_BEV_100,
    NISSAN_LEAF_40,
    RANGE_ROVER_P440E,
    VehicleModel,
    allocate_outputs,
    output_arrays,
)

DATA = (
    Path(__file__).resolve().parents[1] / "tests/data/acn_sessions/jpl_2019-09-09_2019-09-20.csv.gz"
)
STEP_S = 300.0
N_OUT = 9
CONNECTOR_W = 50e3
MIN_W = 3e3
COMPRESSION = 8.0
MODELS = (RANGE_ROVER_P440E, NISSAN_LEAF_40, LARGE_BEV_100)
N_PACKS = 7


@dataclass
class Session:
    arrival_s: float
    departure_s: float
    need_wh: float
    model: VehicleModel
    soc0: float
    output: int | None


def load_sessions() -> list[Session]:
    df = pd.read_csv(DATA)
    arrival = pd.to_datetime(df["arrival"], utc=True)
    departure = pd.to_datetime(df["departure"], utc=True)
    t0 = arrival.min().floor("D")
    order = np.argsort(arrival.to_numpy())
    free_at = np.zeros(N_OUT) - 1.0
    out: list[Session] = []
    for j, i in enumerate(order):
        arr = (arrival.iloc[i] - t0).total_seconds()
        stay = (departure.iloc[i] - arrival.iloc[i]).total_seconds() / COMPRESSION
        dep = arr + float(np.clip(stay, 10 * 60, 2 * 3600))
        model = MODELS[j % len(MODELS)]
        usable_wh = model.usable_energy_kwh * 1000
        need = float(df["delivered_energy (kWh)"].iloc[i]) * 1000
        soc0 = max(0.05, 0.9 - need / usable_wh)
        need = min(need, (0.95 - soc0) * usable_wh)
        free = np.flatnonzero(free_at <= arr)
        k = int(free[0]) if free.size else None
        if k is not None:
            free_at[k] = dep
        out.append(Session(arr, dep, need, model, soc0, k))
    return out


def packs_for(budget_w: float) -> PackLimits:
    share = np.array([1.0, 0.6, 1.0, 1.0, 1.0, 0.6, 1.0])
    lim = budget_w * share / share.sum()
    return PackLimits(
        soc=np.full(N_PACKS, 0.8),
        max_discharge_power_w=lim,
        max_charge_power_w=lim,
        usable_discharge_energy_wh=np.full(N_PACKS, 1e9),
        usable_charge_energy_wh=np.full(N_PACKS, 1e9),
        joined=np.ones(N_PACKS, dtype=bool),
        faulted=np.zeros(N_PACKS, dtype=bool),
    )


def acn_synthetic_sessions() -> list[Session]:
    """The 27 synthetic sessions of ``research/experiments/acn_bess9.py`` (same RNG, seed 1).

    Minutes in that script; ideal batteries accepting 100 kW until full; one output per station.
    """
    import random

    rng = random.Random(1)
    out: list[Session] = []
    for k in range(N_OUT):
        t = rng.randint(0, 30)
        for _ in range(3):
            stay = rng.randint(20, 45)
            kwh = rng.uniform(15, 45)
            cap = rng.choice([40, 60, 75, 100])
            init = cap * rng.uniform(0.1, 0.4)
            model = VehicleModel(
                f"ideal_{cap}",
                "ideal battery",
                float(cap),
                (0.0, 0.9999, 1.0),
                (100.0, 100.0, 0.0),
                ("acn_bess9.py",),
            )
            out.append(Session(t * 60.0, (t + stay) * 60.0, kwh * 1000, model, init / cap, k))
            t += stay + rng.randint(1, 10)
    return out


def simulate(
    sessions: list[Session],
    algorithm: str,
    budget_w: float,
    step_s: float = STEP_S,
    connector_w: float = CONNECTOR_W,
) -> dict[str, float]:
    served = [s for s in sessions if s.output is not None]
    delivered = np.zeros(len(served))
    soc = np.array([s.soc0 for s in served])
    packs = packs_for(budget_w)
    cfg = ControllerConfig(
        vehicle_algorithm=algorithm if algorithm != "unlimited" else "uncontrolled",  # type: ignore[arg-type]
        min_output_power_w=MIN_W,
        mpc_horizon_steps=24,
    )
    t_end = max(s.departure_s for s in served)
    t = min(s.arrival_s for s in served)
    t = np.floor(t / step_s) * step_s
    previous: Setpoints | None = None
    peak = 0.0
    times: list[float] = []
    while t < t_end:
        slots: list[int | None] = [None] * N_OUT
        for j, s in enumerate(served):
            if s.arrival_s <= t < s.departure_s:
                slots[s.output] = j  # type: ignore[index]
        if all(x is None for x in slots):
            nxt = [s.arrival_s for s in served if s.arrival_s > t]
            if not nxt:
                break
            t = np.floor(min(nxt) / step_s) * step_s + (step_s if min(nxt) % step_s else 0.0)
            previous = None
            continue
        outs = []
        for j in slots:
            if j is None:
                outs.append(OutputState(connector_w))
                continue
            s = served[j]
            outs.append(
                s.model.output_state(
                    connector_w,
                    f"s{j}",
                    float(soc[j]),
                    max(s.need_wh - delivered[j], 0.0),
                    s.arrival_s,
                    s.departure_s,
                )
            )
        outputs = tuple(outs)
        if algorithm == "unlimited":
            arrays = output_arrays(outputs, step_s, t)
            t0 = time.perf_counter()
            power = allocate_outputs(
                "uncontrolled", arrays, t, step_s, np.inf, MIN_W, np.zeros(N_OUT)
            )
            times.append(time.perf_counter() - t0)
        else:
            snap = SiteSnapshot(t, step_s, packs, (), outputs, 0.0, previous)
            t0 = time.perf_counter()
            previous = decide(snap, cfg)
            times.append(time.perf_counter() - t0)
            power = previous.output_power_w
        peak = max(peak, float(power.sum()))
        for k, j in enumerate(slots):
            if j is not None and power[k] > 0:
                e = power[k] * step_s / 3600.0
                delivered[j] += e
                soc[j] += e / (served[j].model.usable_energy_kwh * 1000)
        t += step_s
    need = np.array([s.need_wh for s in served])
    met = (delivered >= 0.99 * need) | (need - delivered < MIN_W * step_s / 3600.0)
    tt = np.array(times) * 1e3
    return {
        "energy_pct": 100 * delivered.sum() / need.sum(),
        "met_pct": 100 * met.mean(),
        "peak_kw": peak / 1000,
        "kwh": delivered.sum() / 1000,
        "mean_ms": float(tt.mean()),
        "p99_ms": float(np.percentile(tt, 99)),
        "steps": len(times),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--budget-kw", type=float, nargs="*", default=[100.0, 200.0])
    args = parser.parse_args()
    sessions = load_sessions()
    served = [s for s in sessions if s.output is not None]
    need = sum(s.need_wh for s in served) / 1000
    print(
        f"{len(sessions)} real sessions, {len(served)} got one of {N_OUT} outputs "
        f"({len(sessions) - len(served)} turned away); {need:.0f} kWh needed; step {STEP_S:.0f} s"
    )
    algos: list[str] = ["unlimited", "uncontrolled", "fcfs", "equal", "edf", "llf", "mpc"]
    header = (
        f"  {'algorithm':22s} {'energy %':>8s} {'met %':>6s} {'peak kW':>8s} {'kWh':>7s} "
        f"{'mean ms':>8s} {'p99 ms':>7s}"
    )
    syn = acn_synthetic_sessions()
    print(
        f"ACN-Sim synthetic set (acn_bess9.py, seed 1): {len(syn)} sessions, 9 × 100 kW, "
        "350 kW, ideal batteries, 1-min step"
    )
    print(header)
    for algo in algos:
        r = simulate(syn, algo, 350e3, step_s=60.0, connector_w=100e3)
        _row(algo, r)
    for budget_kw in args.budget_kw:
        print(f"\nSite budget {budget_kw:.0f} kW ({N_OUT} × 50 kW outputs, {N_PACKS} packs)")
        print(header)
        for algo in algos:
            _row(algo, simulate(sessions, algo, budget_kw * 1000))


def _row(algo: str, r: dict[str, float]) -> None:
    name = "uncontrolled (no limit)" if algo == "unlimited" else algo
    print(
        f"  {name:22s} {r['energy_pct']:8.1f} {r['met_pct']:6.1f} {r['peak_kw']:8.1f} "
        f"{r['kwh']:7.0f} {r['mean_ms']:8.3f} {r['p99_ms']:7.3f}"
    )


if __name__ == "__main__":
    main()
