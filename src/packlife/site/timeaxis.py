"""The time axis of a run's outputs: interval-start labels in the site's zone, and the metadata
stored with ``timeseries.parquet`` (units, time convention, pack serials, weather, currency).

Convention for outputs: row ``i`` covers ``[start + i·Δ, start + (i+1)·Δ)`` of the output
interval Δ and is labelled with its **start**, in the site's IANA zone (``[site] timezone``; else
the fixed offset of ``simulation.start``). Values are means over the interval.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pandas as pd

from packlife.site.inputs import interval_starts
from packlife.site.run import SiteResult

_UNIT_BY_SUFFIX = (
    ("_power_w", "W"),
    ("_energy_wh", "Wh"),
    ("_temperature_c", "degC"),
    ("_c", "degC"),
    ("_kwh", "kWh"),
    ("_a", "A"),
    ("_v", "V"),
    ("soc", "1"),
    ("soh", "1"),
)


def flows_index(result: SiteResult) -> pd.DatetimeIndex:
    """Interval-start labels of ``result.flows`` rows, in the site's zone."""
    sc = result.scenario
    return interval_starts(sc, len(result.flows), result.engine.output_interval_s).rename("time")


def with_site_time(frame: pd.DataFrame, result: SiteResult) -> pd.DataFrame:
    """``frame`` (rows = output intervals, as ``timeseries_frame`` writes them) indexed by interval
    start in the site's zone; a ``time`` column (interval end) is dropped."""
    out = frame.drop(columns=["time"], errors="ignore").iloc[: len(result.flows)].copy()
    out.index = flows_index(result)[: len(out)]
    return out


def column_units(columns: list[str]) -> dict[str, str]:
    """Unit of each column from its name (docs/conventions.md); ``1`` for fractions, ``count``
    for counts."""
    units = {}
    for col in columns:
        name = re.sub(r"^pack\d+_", "", col)
        unit = next((u for suffix, u in _UNIT_BY_SUFFIX if name.endswith(suffix)), None)
        units[col] = unit or ("count" if name.startswith("vehicles_charging") else "?")
    return units


def timeseries_metadata(
    result: SiteResult, frame: pd.DataFrame, summary: dict[str, Any]
) -> dict[bytes, bytes]:
    """Key-value metadata for the Parquet file (``pyarrow`` schema metadata, key ``packlife``)."""
    sc = result.scenario
    meta = {
        "time_label": "interval_start",
        "timezone": summary.get("timezone"),
        "output_interval_s": result.engine.output_interval_s,
        "start": pd.Timestamp(sc.simulation.start).isoformat(),
        "units": column_units([str(c) for c in frame.columns]),
        "pack_serials": [p.serial or f"pack {i + 1}" for i, p in enumerate(sc.bess.packs)],
        "pack_catalog_ids": [p.catalog_id for p in sc.bess.packs],
        "weather_source": summary.get("weather_source"),
        "currency": sc.economics.currency,
        "scenario": sc.name,
    }
    return {b"packlife": json.dumps(meta).encode("utf-8")}


def write_timeseries_parquet(
    path: str, result: SiteResult, frame: pd.DataFrame, summary: dict[str, Any]
) -> None:
    """Write ``frame`` with the site time index and :func:`timeseries_metadata` to Parquet."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    indexed = with_site_time(frame, result)
    table = pa.Table.from_pandas(indexed, preserve_index=True)
    merged = {**(table.schema.metadata or {}), **timeseries_metadata(result, indexed, summary)}
    pq.write_table(table.replace_schema_metadata(merged), path)
