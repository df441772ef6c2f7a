"""Outputs on interval-start labels in the site's zone, with units and serials in the Parquet."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from packlife.site.outputs import timeseries_frame
from packlife.site.summary import summarise
from packlife.site.timeaxis import column_units, flows_index, write_timeseries_parquet

from .conftest import short_run


def test_parquet_has_a_zoned_interval_start_index_and_metadata(tmp_path: Path) -> None:
    result = short_run("jlr-test-site", 1.0)
    summary = summarise(result)
    idx = flows_index(result)
    assert str(idx.tz) == "Europe/London"
    assert idx[0] == pd.Timestamp(result.scenario.simulation.start)
    assert (idx[1] - idx[0]).total_seconds() == result.scenario.simulation.output_interval_s
    # the flows' own 'time' column is the interval end: one interval later
    assert (result.flows["time"].iloc[0] - idx[0]).total_seconds() == 900.0
    frame = timeseries_frame(result, result.engine.pack_trace_frame(0))
    path = tmp_path / "ts.parquet"
    write_timeseries_parquet(str(path), result, frame, summary)
    back = pd.read_parquet(path)
    assert isinstance(back.index, pd.DatetimeIndex) and str(back.index.tz) == "Europe/London"
    meta = json.loads(pq.read_schema(path).metadata[b"packlife"])
    assert meta["time_label"] == "interval_start" and meta["currency"] == "GBP"
    assert meta["pack_serials"][0] == "RR-PHEV-0001"
    assert meta["units"]["bess_power_w"] == "W"
    assert meta["units"]["ambient_temperature_c"] == "degC"


def test_units_come_from_the_names() -> None:
    units = column_units(["pack3_soc", "vehicles_charging", "source_grid_power_w", "odd"])
    assert units == {
        "pack3_soc": "1",
        "vehicles_charging": "count",
        "source_grid_power_w": "W",
        "odd": "?",
    }
