"""Grading benchmark: (0) accuracy per dataset and method (capacity, EIS, ICA, fast ≤ 15-min
SoH on known-answer recordings and the real ORNL Leaf data), (2) throughput of grading 10,000
synthetic records built from the real curves.

Run: ``.venv/bin/python benchmarks/bench_grading.py [--records 10000]``
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from packlife.chemistry import get_parameter_set
from packlife.grading.batch import GradeContext, grade_series
from packlife.grading.estimators import capacity_from_discharge, find_runs
from packlife.grading.policy import load_policy
from packlife.io.bitrode import read_bitrode

ORNL = Path(__file__).parents[1] / "tests" / "data" / "ornl_leaf_cell"
RATED_AH = 33.1


def arrays(name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    d = read_bitrode(ORNL / f"{name}.csv.gz")[0]
    return tuple(d[c].to_numpy(dtype=float) for c in ("time_s", "current_a", "voltage_v"))  # type: ignore[return-value]


def rest_starts(t: np.ndarray, i: np.ndarray, min_s: float) -> list[int]:
    runs = find_runs(i)
    return [
        int(runs.end[k])
        for k in range(runs.kind.size - 1)
        if runs.kind[k] == 0 and t[runs.end[k]] - t[runs.start[k]] >= min_s
    ]


def synthetic_records(
    n: int, seed: int = 1
) -> Iterator[tuple[str, np.ndarray, np.ndarray, np.ndarray, float]]:
    """Real curves scaled to other capacities/resistances with 1 mV noise, generated lazily:
    a third each of full 1C files (2,287 samples), full HPPC files (13,248) and 15-min HPPC
    windows (about 1,000). Yields (kind, t, i, v, true capacity)."""
    rng = np.random.default_rng(seed)
    base = {
        "full 1C": arrays("cell-discharge-bitrode-1c"),
        "full HPPC": arrays("cell-low-current-hppc-25c"),
    }
    cap0 = {k: capacity_from_discharge(*a).capacity_ah for k, a in base.items()}  # type: ignore[union-attr]
    t, i, v = base["full HPPC"]
    a = rest_starts(t, i, 3000)[4]
    w = (t >= t[a] - 60) & (t <= t[a] + 840)  # 1 min of rest + 14 min: a 15-min record
    base["15-min window"] = (t[w] - t[a], i[w], v[w])
    cap0["15-min window"] = cap0["full HPPC"]
    kinds = list(base)
    for k in range(n):
        kind = kinds[k % 3]
        t, i, v = base[kind]
        f_cap = rng.uniform(0.6, 1.0)
        f_res = rng.uniform(1.0, 2.0)
        # same C-rate on a smaller cell: current × f_cap; extra ohmic drop for resistance growth
        i2 = i * f_cap
        v2 = v - (f_res - 1.0) * 0.0016 * i2 + rng.normal(0, 0.001, v.size)
        yield kind, t, i2, v2, cap0[kind] * f_cap


def throughput(n: int) -> None:
    pset = get_parameter_set("aesc_lmo_nca_leaf2013")
    ctx = GradeContext(
        policy=load_policy(),
        rated_capacity_ah=RATED_AH,
        ocv_soc=np.asarray(pset.ocv.soc),
        ocv_v=np.asarray(pset.ocv.voltage_v[1]),
        reference_dcir_mohm=1.8,
    )
    _, t, i, v, _ = next(synthetic_records(1))
    grade_series(t, i, v, ctx, "warm-up")
    graded = 0.0
    samples = 0
    errors: dict[str, list[float]] = {}
    wall0 = time.perf_counter()
    for k, (kind, t, i, v, true_ah) in enumerate(synthetic_records(n)):
        t0 = time.perf_counter()
        res = grade_series(t, i, v, ctx, f"S{k:05d}")
        graded += time.perf_counter() - t0
        samples += t.size
        cap = res["capacity_ah"]
        errors.setdefault(kind, []).append(cap / true_ah - 1 if isinstance(cap, float) else np.nan)
    wall = time.perf_counter() - wall0
    print(f"\n## Throughput: {n} records, {samples / 1e6:.1f} M samples")
    print("| records | samples | grading time | per record | incl. generating the records |")
    print("|---|---|---|---|---|")
    per = 1000 * graded / n
    print(f"| {n} | {samples / 1e6:.1f} M | {graded:.1f} s | {per:.2f} ms | {wall:.1f} s |")
    for kind, errs in errors.items():
        rel = np.asarray(errs)
        print(
            f"- {kind}: capacity found in {np.isfinite(rel).mean():.0%} of records, RMSE "
            f"{100 * np.sqrt(np.nanmean(rel**2)):.2f} % of the true (scaled) capacity"
        )


def files_end_to_end(n_files: int) -> None:
    """Read + grade generic CSV files written to a temporary folder (the CLI's path)."""
    import tempfile

    import pandas as pd

    from packlife.grading.batch import grade_file

    pset = get_parameter_set("aesc_lmo_nca_leaf2013")
    ctx = GradeContext(
        policy=load_policy(),
        rated_capacity_ah=RATED_AH,
        ocv_soc=np.asarray(pset.ocv.soc),
        ocv_v=np.asarray(pset.ocv.voltage_v[1]),
    )
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for k, (kind, t, i, v, _) in enumerate(synthetic_records(3 * n_files)):
            if kind == "full HPPC":
                continue
            p = Path(tmp) / f"S{k:05d}.csv"
            pd.DataFrame({"time_s": t, "current_a": i, "voltage_v": v}).to_csv(
                p, index=False, float_format="%.5g"
            )
            paths.append(p)
            if len(paths) == n_files:
                break
        one_s, _ = _cli_grade(paths[:1])
        cli_s, cli_rows = _cli_grade(paths)
        grade_file(paths[0], ctx)
        t0 = time.perf_counter()
        failed = sum("error" in grade_file(p, ctx)[0] for p in paths)
        elapsed = time.perf_counter() - t0
    print(f"\n## End to end from files: {len(paths)} generic CSV files (1C files + 15-min windows)")
    per_file = (cli_s - one_s) / max(len(paths) - 1, 1)
    print(
        f"`packlife grade FILES… --catalog-id nissan_leaf_24kwh --level cell --json` (the user's "
        f"command, one process): {cli_s:.1f} s for {cli_rows} results; one file alone (start-up, "
        f"imports, catalog context) {one_s:.1f} s; {1000 * per_file:.1f} ms per further file; "
        f"10,000 such files ≈ {one_s + 9999 * per_file:.0f} s"
    )
    print(
        f"library `grade_file` loop (kernel-only, labelled): read + grade {elapsed:.1f} s, "
        f"{1000 * elapsed / len(paths):.1f} ms per file, {failed} failed"
    )


def _cli_grade(paths: list[Path]) -> tuple[float, int]:
    """Wall time of ``packlife grade`` over ``paths`` in one process, and its result count."""
    import json
    import subprocess
    import sys

    cmd = [sys.executable, "-m", "packlife.cli.main", "grade", *map(str, paths), "--catalog-id",
           "nissan_leaf_24kwh", "--level", "cell", "--json"]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    took = time.perf_counter() - t0
    if proc.returncode not in (0, 1):  # 1 = some units fail the policy, still graded
        raise SystemExit(f"packlife grade failed: {proc.stderr[-500:]}")
    return took, len(json.loads(proc.stdout))


def main() -> None:
    from bench_grading_accuracy import accuracy

    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--files", type=int, default=1_000)
    args = parser.parse_args()
    accuracy()  # includes the fast (≤ 15 min) SoH tables
    throughput(args.records)
    files_end_to_end(args.files)


if __name__ == "__main__":
    main()
