"""Writing a run's files: ``summary.json``, ``timeseries.parquet`` and ``report.html``.

Files are written to temporary names in the output folder and renamed into place only when all
three are complete, so an interrupted run never leaves half-written results.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from packlife.errors import PacklifeError
from packlife.site.report import render_report
from packlife.site.run import SiteResult


def timeseries_frame(result: SiteResult, pack_traces: pd.DataFrame) -> pd.DataFrame:
    """Site flows and per-pack traces side by side at the output interval (wide format)."""
    flows = result.flows.copy()
    wide = pack_traces.pivot(index="time_s", columns="pack")
    wide.columns = pd.Index([f"pack{int(c[1]) + 1}_{c[0]}" for c in wide.columns])
    wide = wide.reset_index(drop=True)
    n = min(len(flows), len(wide))
    return pd.concat([flows.iloc[:n].reset_index(drop=True), wide.iloc[:n]], axis=1)


def write_outputs(result: SiteResult, summary: dict[str, Any], out_dir: Path) -> list[Path]:
    """Write the three result files into ``out_dir`` (created if needed); returns their paths."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PacklifeError(f"cannot create output folder {out_dir}: {exc}") from None
    pack_traces = result.engine.pack_trace_frame(0)
    targets: dict[str, Callable[[Path], object]] = {
        "summary.json": lambda p: p.write_text(
            json.dumps(summary, indent=2) + "\n", encoding="utf-8"
        ),
        "timeseries.parquet": lambda p: timeseries_frame(result, pack_traces).to_parquet(
            p, index=False
        ),
        "report.html": lambda p: p.write_text(
            render_report(result, summary, pack_traces), encoding="utf-8"
        ),
    }
    temps: list[tuple[Path, Path]] = []
    try:
        for name, write in targets.items():
            tmp = out_dir / f".{name}.partial"
            write(tmp)
            temps.append((tmp, out_dir / name))
    except OSError as exc:
        for tmp, _ in temps:
            tmp.unlink(missing_ok=True)
        raise PacklifeError(f"cannot write results to {out_dir}: {exc}") from None
    for tmp, final in temps:
        tmp.replace(final)
    return [final for _, final in temps]
