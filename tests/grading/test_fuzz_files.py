"""Property-based fuzzing of the grading entry point on cycler files (issue #17): whatever the
bytes, ``grade_file`` returns rows (an ``error`` row for unreadable input), never raises, and
every number it returns is finite."""

from __future__ import annotations

import gzip
import math
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from packlife.grading.batch import GradeContext, grade_file

HEADERS = [
    "time_s,current_a,voltage_v",
    "Data_Point,Test_Time,Step_Index,Cycle_Index,Current,Voltage,Discharge_Capacity",
    "Rec#\tCyc#\tStep\tTest (Min)\tStep (Min)\tAmp-hr\tAmps\tVolts\tState",
    "freq_hz,z_real_ohm,z_imag_ohm",
    "DataPoint,Cycle Index,Step Index,Step Type,Total Time,Current(mA),Voltage(V)",
]

cell = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True, width=32).map(str),
    st.integers(-10, 10).map(str),
    st.sampled_from(["", "R", "D", "C", "CC DChg", "Rest", "nan", "1e400", "00:01:00", "x"]),
)


def _finite(x: object) -> bool:
    if isinstance(x, float):
        return math.isfinite(x)
    if isinstance(x, dict):
        return all(_finite(v) for v in x.values())
    if isinstance(x, list):
        return all(_finite(v) for v in x)
    return True


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    header=st.sampled_from(HEADERS),
    rows=st.lists(st.lists(cell, min_size=1, max_size=9), max_size=30),
    gz=st.booleans(),
    rated=st.sampled_from([None, 0.02, 2.0, 50.0]),
)
def test_text_files_never_crash(
    tmp_path: Path, header: str, rows: list[list[str]], gz: bool, rated: float | None
) -> None:
    sep = "\t" if "\t" in header else ","
    text = header + "\n" + "\n".join(sep.join(r) for r in rows) + "\n"
    p = tmp_path / ("f.csv.gz" if gz else "f.csv")
    if gz:
        p.write_bytes(gzip.compress(text.encode()))
    else:
        p.write_text(text)
    out = grade_file(p, GradeContext(rated_capacity_ah=rated))
    assert out and all(_finite(r) for r in out)
    assert all(("error" in r) or r["grade"] is not None for r in out)


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.binary(max_size=400),
    suffix=st.sampled_from([".csv", ".csv.gz", ".mpr", ".ndax", ".nda", ".mpt", ".res", ".txt"]),
)
def test_binary_garbage_never_crashes(tmp_path: Path, data: bytes, suffix: str) -> None:
    p = tmp_path / f"g{suffix}"
    p.write_bytes(data)
    out = grade_file(p, GradeContext(rated_capacity_ah=1.0))
    assert out and all(_finite(r) for r in out)


finite = st.floats(-1e3, 1e3, allow_nan=False, width=32)


@settings(max_examples=300, deadline=None)
@given(
    n=st.integers(2, 400),
    dts=st.lists(st.floats(0.0, 3600.0, width=32), min_size=1, max_size=8),
    levels=st.lists(finite, min_size=1, max_size=6),
    v0=st.floats(2.0, 4.4),
    dv=st.floats(-2.0, 2.0),
    rated=st.sampled_from([None, 0.001, 0.02, 2.0, 200.0]),
    seed=st.integers(0, 2**16),
)
def test_numeric_series_never_crash_and_never_a_when_implausible(
    n: int,
    dts: list[float],
    levels: list[float],
    v0: float,
    dv: float,
    rated: float | None,
    seed: int,
) -> None:
    import numpy as np

    from packlife.grading.batch import grade_series

    rng = np.random.default_rng(seed)
    t = np.concatenate(([0.0], np.cumsum(rng.choice(np.asarray(dts), n - 1))))
    i = np.repeat(rng.choice(np.asarray(levels), n // 20 + 1), 20)[:n]  # steps of 20 samples
    v = v0 + dv * np.linspace(0, 1, n) + 0.001 * rng.standard_normal(n)
    res = grade_series(t, i, v, GradeContext(rated_capacity_ah=rated), "z")
    assert _finite(res)
    soh = res["soh"]
    if res["grade"] in ("A", "B", "C"):
        assert isinstance(soh, float) and 0.02 <= soh <= 1.05
