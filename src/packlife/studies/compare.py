"""Comparing runs side by side: ``packlife simulate`` output folders and study output folders.

A simulate folder (``summary.json``) gives one value per outcome; a study folder gives the P10,
P50 and P90 over its variants. The first run is the reference: each other run's P50 (or value)
is also given as a difference from it.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from packlife.errors import PacklifeError
from packlife.studies.analysis import flatten_summary
from packlife.studies.store import read_results

#: Outcomes compared by default.
DEFAULT_OUTCOMES = (
    "energy_to_vehicles_kwh",
    "vehicles_served",
    "vehicles_fully_charged",
    "mean_charge_time_min",
    "losses_kwh",
    "site_efficiency",
    "diesel_litres_avoided",
    "co2_avoided_net_kg",
    "usable_energy_kwh",
    "min_pack_soh_end",
    "years_to_first_replacement",
)
#: End-of-life SoH used for ``years_to_first_replacement`` of a simulate folder.
DEFAULT_END_SOH = 0.6


def load_run(path: Path | str) -> pd.DataFrame:
    """The rows of one run: one row for a simulate folder, one per variant for a study folder.

    Raises
    ------
    PacklifeError
        When the folder holds neither ``summary.json`` nor study results.
    """
    root = Path(path)
    summary = root / "summary.json"
    if summary.is_file():
        try:
            data = json.loads(summary.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise PacklifeError(f"{summary}: not readable as JSON ({exc})") from None
        return pd.DataFrame([flatten_summary(data, DEFAULT_END_SOH)])
    if (root / "results").is_dir():
        return read_results(root)
    raise PacklifeError(
        f"{root}: not a run folder (expected summary.json from `packlife simulate` or "
        "results/ from `packlife study run`)"
    )


def compare_runs(paths: list[Path | str], outcomes: list[str] | None = None) -> pd.DataFrame:
    """Compare runs; one row per (outcome, run) with p10, p50, p90, n and diff_p50 vs the first.

    Outcomes missing from a run are left out for that run (e.g. a study without vehicles).
    """
    if len(paths) < 2:
        raise PacklifeError("compare needs at least two runs")
    wanted = list(outcomes) if outcomes else list(DEFAULT_OUTCOMES)
    frames: dict[str, pd.DataFrame] = {}
    for p in paths:
        label = Path(p).name or str(p)
        if label in frames:
            label = str(p)
        frames[label] = load_run(p)
    known = set().union(*(f.columns for f in frames.values()))
    unknown = [o for o in wanted if o not in known]
    if unknown:
        raise PacklifeError(f"unknown outcome(s) {unknown}; none of the runs has them")
    rows = []
    ref: dict[str, float] = {}
    for label, frame in frames.items():
        for out in wanted:
            if out not in frame.columns:
                continue
            y = pd.to_numeric(frame[out], errors="coerce").dropna().to_numpy(float)
            if y.size == 0:
                continue
            p10, p50, p90 = np.percentile(y, (10, 50, 90))
            ref.setdefault(out, float(p50))
            rows.append(
                {
                    "outcome": out,
                    "run": label,
                    "n": int(y.size),
                    "p10": float(p10),
                    "p50": float(p50),
                    "p90": float(p90),
                    "diff_p50": float(p50) - ref[out],
                }
            )
    return pd.DataFrame(rows)
