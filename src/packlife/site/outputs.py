"""Writing a run's files: ``summary.json``, ``timeseries.parquet`` and ``report.html``.

The three files form one result set, written all-or-nothing by :func:`packlife.atomic.write_folder`
(temporary sibling folder, fsync, one rename): an interrupted run or a full disk never leaves a
mixed or half-written set. The time series is indexed by the start of each output interval in
the site's zone, with units, pack serials and the weather source in its Parquet metadata
(:mod:`packlife.site.timeaxis`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from packlife.atomic import write_folder
from packlife.site.report import render_report
from packlife.site.run import SiteResult
from packlife.site.timeaxis import write_timeseries_parquet

#: The files of a run's result set (written together, all-or-nothing).
RESULT_FILES = ("summary.json", "timeseries.parquet", "report.html")


def timeseries_frame(result: SiteResult, pack_traces: pd.DataFrame) -> pd.DataFrame:
    """Site flows and per-pack traces side by side at the output interval (wide format)."""
    flows = result.flows.copy()
    wide = pack_traces.pivot(index="time_s", columns="pack")
    wide.columns = pd.Index([f"pack{int(c[1]) + 1}_{c[0]}" for c in wide.columns])
    wide = wide.reset_index(drop=True)
    n = min(len(flows), len(wide))
    return pd.concat([flows.iloc[:n].reset_index(drop=True), wide.iloc[:n]], axis=1)


def write_outputs(result: SiteResult, summary: dict[str, Any], out_dir: Path) -> list[Path]:
    """Write the three result files into ``out_dir`` all-or-nothing; returns their paths.

    Raises
    ------
    PacklifeError
        When ``out_dir`` holds foreign files or cannot be written (nothing is left behind).
    """
    pack_traces = result.engine.pack_trace_frame(0)
    targets: dict[str, Callable[[Path], object]] = {
        "summary.json": lambda p: p.write_text(
            json.dumps(summary, indent=2, allow_nan=False) + "\n", encoding="utf-8"
        ),
        "timeseries.parquet": lambda p: write_timeseries_parquet(
            str(p), result, timeseries_frame(result, pack_traces), summary
        ),
        "report.html": lambda p: p.write_text(
            render_report(result, summary, pack_traces), encoding="utf-8"
        ),
    }
    return write_folder(out_dir, targets)
