"""The studies Python API: load a study, look at its variants, run it, read and compare results.

Run from the repository root (needs the fleet extra: ``pip install -e '.[fleet]'``)::

    python examples/study_api.py
"""

from __future__ import annotations

from pathlib import Path

from packlife.studies.analysis import percentiles, sensitivity
from packlife.studies.report import write_report
from packlife.studies.runner import run_study
from packlife.studies.schema import load_study
from packlife.studies.store import read_results
from packlife.studies.variants import make_variant, n_variants

HERE = Path(__file__).parent


def main() -> None:
    # 1. load: the study file, validated; shortened here to 1 day at 300 s and 2 samples
    study = load_study(
        HERE / "packs-vs-supply.toml",
        scenario_overrides={"simulation.days": 1, "simulation.step_s": 300},
        samples=2,
    )
    print(f"{study.name}: {n_variants(study)} variants of {study.base.name}")

    # 2. vary: any variant can be built on its own (grid point × Monte Carlo sample, seeded)
    v = make_variant(study, 5)
    print(f"variant 5 = {v.params} → {len(v.scenario.bess.packs)} packs, key {v.key}")

    # 3. run: a local Dask cluster of 2 workers (workers=0: in this process; scheduler=...: a
    #    running cluster). Finished variants in the folder are not run again.
    out = Path("out/studies/api-demo")
    run = run_study(study, out, workers=2, on_progress=lambda d, t: print(f"\r{d}/{t}", end=""))
    print(f"\nran {run.ran}, skipped {run.skipped} in {run.wall_s:.1f} s")

    # 4. collect: one row per variant (parameters, summary figures, per-pack end states)
    frame = read_results(out)
    outcomes = ["energy_to_vehicles_kwh", "min_pack_soh_end"]
    print(percentiles(frame, outcomes))
    print(sensitivity(frame, outcomes).round(3))
    print(f"report: {write_report(out)}")


if __name__ == "__main__":
    main()
