"""A study's results on disk: a partitioned Parquet dataset, written as batches finish.

Layout of an output folder::

    study.json                   the study settings and base scenario (what was run)
    results/part-<first>-<n>.parquet   one row per variant, one file per finished batch
    timeseries/<variant_key>.parquet   per-variant time series (only when asked)

Each part file is written to a temporary name and renamed into place when complete, so an
interruption never leaves a half-written part. On resume, the ``variant_key`` column of the parts
present says which variants are finished; they are not run again.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from packlife.errors import PacklifeError

RESULTS = "results"
TIMESERIES = "timeseries"


class ResultStore:
    """Reads and writes one study output folder (see the module docstring)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.results_dir = self.root / RESULTS
        self.series_dir = self.root / TIMESERIES
        try:
            self.results_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise PacklifeError(f"cannot create output folder {self.root}: {exc}") from None
        for stale in self.results_dir.glob("*.tmp"):
            stale.unlink()

    def write_meta(self, meta: dict[str, Any]) -> None:
        """Write ``study.json`` (what was run) atomically."""
        _atomic_write(self.root / "study.json", json.dumps(meta, indent=2, default=str).encode())

    def check_same_study(self, fingerprint: str) -> None:
        """Refuse to add results to a folder that holds results of a different study.

        Raises
        ------
        PacklifeError
            When ``study.json`` names another fingerprint and results are present.
        """
        meta_path = self.root / "study.json"
        if not meta_path.exists() or not any(self.results_dir.glob("part-*.parquet")):
            return
        try:
            old = json.loads(meta_path.read_text(encoding="utf-8")).get("fingerprint")
        except (OSError, json.JSONDecodeError):
            old = None
        if old != fingerprint:
            raise PacklifeError(
                f"{self.root} holds results of a different study (its settings, grid, draws or "
                "base scenario changed): choose another --out folder or delete this one"
            )

    def finished_keys(self) -> set[str]:
        """Keys of the variants already in the dataset."""
        import pyarrow.parquet as pq

        keys: set[str] = set()
        for part in sorted(self.results_dir.glob("part-*.parquet")):
            table = pq.read_table(part, columns=["variant_key"])
            keys.update(table.column("variant_key").to_pylist())
        return keys

    def write_rows(self, rows: list[dict[str, Any]]) -> Path:
        """Write one batch of rows as a new part file; returns its path."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        first = min(int(r["variant_index"]) for r in rows)
        path = self.results_dir / f"part-{first:09d}-{len(rows):05d}.parquet"
        tmp = path.with_suffix(".tmp")
        pq.write_table(pa.Table.from_pylist(rows), tmp)
        tmp.replace(path)
        return path

    def write_series(self, key: str, frame: pd.DataFrame) -> Path:
        """Write one variant's time series."""
        self.series_dir.mkdir(parents=True, exist_ok=True)
        path = self.series_dir / f"{key}.parquet"
        tmp = path.with_suffix(".tmp")
        frame.to_parquet(tmp, index=False)
        tmp.replace(path)
        return path

    def read(self, columns: Iterable[str] | None = None) -> pd.DataFrame:
        """All rows so far, sorted by variant index (empty frame when none)."""
        return read_results(self.root, columns)


def read_results(root: Path | str, columns: Iterable[str] | None = None) -> pd.DataFrame:
    """Read a study's result dataset (one row per variant) as a DataFrame.

    Raises
    ------
    PacklifeError
        When ``root`` holds no study results.
    """
    import pyarrow.parquet as pq

    folder = Path(root) / RESULTS
    parts = sorted(folder.glob("part-*.parquet")) if folder.is_dir() else []
    if not parts:
        raise PacklifeError(f"{root}: no study results (expected {folder}/part-*.parquet)")
    cols = None if columns is None else list(columns)
    # parts are read one by one and concatenated: a later batch may add a column (a source that
    # only some variants have), which a single-schema dataset scan would reject
    tables = [pq.read_table(p, columns=cols).to_pandas() for p in parts]
    frame: pd.DataFrame = pd.concat(tables, ignore_index=True)
    if "variant_index" in frame.columns:
        frame = frame.sort_values("variant_index").reset_index(drop=True)
    return frame


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
