"""Studies: variants/s on 1 vs 2 Dask workers, and fleet-life pack-years/s at hourly steps.

Cases (each in a fresh subprocess):

- ``variants``: ``--variants N`` variants of the built-in default scenario (jlr-test-site, 7 days
  at 60 s; each variant its own synthetic week of sessions) run by ``run_study`` on a local Dask
  cluster of 1 and of 2 workers. Reports wall time, variants/s, the 1→2 worker speed-up and the
  client's peak RSS (results are streamed to Parquet: it must not grow with N). Cluster start-up
  is timed separately and included in the wall time.
- ``fleet``: ``--units U`` units × 7 packs aged ``--years Y`` at 3,600-s steps with monthly
  replacement checks: first in this process on one thread (per-core throughput), then by
  ``run_study`` on 2 workers. Reports pack-years/s and the projection to 1,000,000 pack-years
  and to a 64-core cluster (per-core rate × 64 × the measured 2-worker parallel efficiency).

Usage::

    .venv/bin/python benchmarks/bench_studies.py variants --variants 40
    .venv/bin/python benchmarks/bench_studies.py variants --variants 10000 --workers 2
    .venv/bin/python benchmarks/bench_studies.py fleet --units 400 --years 1
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SWEEP = """
[study]
name = "bench-variants"
base = "jlr-test-site"
seed = 1
samples = {n}

[overrides]
"simulation.days" = 7
"simulation.step_s" = 60
"""

FLEET = """
[study]
name = "bench-fleet"
base = "jlr-test-site"
seed = 1
end_soh = 0.6

[overrides]
"simulation.days" = 7
"simulation.step_s" = 60

[fleet]
units = {units}
years = {years}
step_s = 3600
check_interval_days = 30
units_per_task = {per_task}
pack_soh = {{ distribution = "uniform", low = 0.70, high = 0.85 }}
pack_resistance_growth = {{ distribution = "triangular", low = 1.15, mode = 1.3, high = 1.6 }}
"""


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _study(text: str, folder: Path):  # type: ignore[no-untyped-def]
    from packlife.studies.schema import load_study

    path = folder / "study.toml"
    path.write_text(text, encoding="utf-8")
    return load_study(path)


def _warm_worker(study_text: str) -> float:
    """Run one tiny variant on a worker so numba's cache is loaded before timing [s]."""
    from packlife.studies.runner import run_batch

    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        run_batch(_study(study_text, Path(tmp)), [0])
    return time.perf_counter() - t0


def _cpu_s() -> float:
    """CPU seconds this process has used (run on each worker)."""
    return time.process_time()


def _workers_cpu_s(client) -> float:  # type: ignore[no-untyped-def]
    return float(sum(client.run(_cpu_s).values()))


def _started_client(workers: int, warm_text: str):  # type: ignore[no-untyped-def]
    """A local cluster of ``workers`` (context manager) and its start + warm-up time [s]."""
    from packlife.studies.runner import dask_client

    t0 = time.perf_counter()
    ctx = dask_client(workers, None)
    client = ctx.__enter__()
    client.wait_for_workers(workers)
    client.run(_warm_worker, warm_text)
    return ctx, client, time.perf_counter() - t0


def case_variants(n: int, worker_counts: tuple[int, ...] = (1, 2)) -> dict[str, object]:
    from packlife.studies.runner import run_study

    out: dict[str, object] = {"case": "variants", "variants": n}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        study = _study(SWEEP.format(n=n), folder)
        # warm the numba cache on disk (compilation is not timed)
        run_study(_study(SWEEP.format(n=1), folder), folder / "warm", workers=0)
        warm = SWEEP.format(n=1).replace('"simulation.days" = 7', '"simulation.days" = 1')
        for workers in worker_counts:
            ctx, client, start_s = _started_client(workers, warm)
            try:
                cpu0, load0 = _workers_cpu_s(client), os.getloadavg()[0]
                t0 = time.perf_counter()
                run = run_study(study, folder / f"w{workers}", client=client)
                wall = time.perf_counter() - t0
                cpu = _workers_cpu_s(client) - cpu0
            finally:
                ctx.__exit__(None, None, None)
            assert run.ran == n
            out[f"w{workers}_worker_cpu_s_per_variant"] = cpu / n
            out[f"w{workers}_cores_used"] = cpu / wall
            out[f"w{workers}_load_avg_1min_before"] = load0
            out[f"w{workers}_wall_s"] = wall
            out[f"w{workers}_cluster_start_and_warm_s"] = start_s
            out[f"w{workers}_variants_per_s"] = n / wall
    if "w1_wall_s" in out and "w2_wall_s" in out:
        out["speedup_2_vs_1"] = float(out["w1_wall_s"]) / float(out["w2_wall_s"])  # type: ignore[arg-type]
    per_variant = float(out[f"w{worker_counts[0]}_worker_cpu_s_per_variant"])  # type: ignore[arg-type]
    out["variants_per_cpu_s"] = 1.0 / per_variant
    out["projected_10k_variants_2_cores_s"] = 10_000 * per_variant / 2
    out["client_peak_rss_mb"] = _peak_rss_mb()
    return out


def case_fleet(units: int, years: float) -> dict[str, object]:
    from packlife.studies.fleet import representative_day, run_units
    from packlife.studies.runner import run_study

    out: dict[str, object] = {"case": "fleet", "units": units, "years": years}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        study = _study(FLEET.format(units=units, years=years, per_task=units), folder)
        day_w, amb = representative_day(study, 3600.0)
        run_units(study, 0, 2, day_w, amb)  # warm-up (numba cache load)
        t0, c0 = time.perf_counter(), time.process_time()
        rows = run_units(study, 0, units, day_w, amb)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        n_packs = len(rows[0]["pack_soh_start"])  # type: ignore[arg-type]
        pack_years = units * n_packs * years
        out["pack_years"] = pack_years
        out["one_core_wall_s"] = wall
        out["one_core_cpu_s"] = cpu
        out["pack_years_per_s_per_core"] = pack_years / cpu
        per_task = max(units // 8, 1)
        study2 = _study(FLEET.format(units=units, years=years, per_task=per_task), folder)
        warm = SWEEP.format(n=1).replace('"simulation.days" = 7', '"simulation.days" = 1')
        ctx, client, start_s = _started_client(2, warm)
        try:
            cpu0, load0 = _workers_cpu_s(client), os.getloadavg()[0]
            t0 = time.perf_counter()
            run_study(study2, folder / "w2", client=client)
            wall2 = time.perf_counter() - t0
            out["w2_cores_used"] = (_workers_cpu_s(client) - cpu0) / wall2
            out["w2_load_avg_1min_before"] = load0
        finally:
            ctx.__exit__(None, None, None)
        # run_study includes the representative day (one base-scenario run on the client)
        t0 = time.perf_counter()
        representative_day(study2, 3600.0)
        duty_s = time.perf_counter() - t0
        out["w2_wall_s"] = wall2
        out["representative_day_s"] = duty_s
        out["w2_cluster_start_and_warm_s"] = start_s
        rate2 = pack_years / max(wall2 - duty_s, 1e-9)
        out["w2_pack_years_per_s"] = rate2
        efficiency = rate2 / (2 * pack_years / cpu)
        out["w2_parallel_efficiency"] = efficiency
        rate64 = float(out["pack_years_per_s_per_core"]) * 64 * min(efficiency, 1.0)  # type: ignore[arg-type]
        out["projected_1M_pack_years_2_cores_s"] = 1e6 / rate2
        out["projected_1M_pack_years_64_cores_s"] = 1e6 / rate64
        out["replacements"] = sum(int(r["replacements"]) for r in rows)  # type: ignore[call-overload]
    out["peak_rss_mb"] = _peak_rss_mb()
    return out


def main() -> int:
    """Run the cases named on the command line and print their results."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("cases", nargs="*", default=["variants", "fleet"])
    ap.add_argument("--variants", type=int, default=16)
    ap.add_argument("--units", type=int, default=200)
    ap.add_argument("--years", type=float, default=1.0)
    ap.add_argument("--workers", default="1,2", help="worker counts to time, e.g. 1,2 or 2")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        case = args.cases[0]
        if case == "variants":
            res = case_variants(args.variants, tuple(int(w) for w in args.workers.split(",")))
        else:
            res = case_fleet(args.units, args.years)
        print(json.dumps(res))
        return 0
    for case in args.cases:
        cmd = [sys.executable, __file__, case, "--child", "--variants", str(args.variants),
               "--units", str(args.units), "--years", str(args.years), "--workers", args.workers]
        env = {**os.environ, "NUMBA_NUM_THREADS": "1"}
        proc = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env)
        res = json.loads(proc.stdout.strip().splitlines()[-1])
        print(json.dumps(res, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
