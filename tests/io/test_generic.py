"""Generic CSV reader and the bad-input cases (real files in tmp_path)."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from packlife.errors import DataFileError
from packlife.io.detect import detect_format, read_any
from packlife.io.generic import read_generic

GOOD = "time_s,current_a,voltage_v,temperature_c\n0,0,3.9,25\n1,10,3.85,25.1\n2,10,3.84,25.2\n"


def test_reads_generic_and_gz(tmp_path: Path) -> None:
    p = tmp_path / "u1.csv"
    p.write_text("# comment line\n" + GOOD)
    data, meta = read_generic(p)
    assert list(data.columns) == ["time_s", "current_a", "voltage_v", "temperature_c"]
    np.testing.assert_allclose(data["current_a"], [0, 10, 10])
    assert meta["format"] == "generic"
    gz = tmp_path / "u2.csv.gz"
    with gzip.open(gz, "wt") as fh:
        fh.write(GOOD)
    assert detect_format(gz) == "generic"
    assert read_any(gz).data is not None


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("", "file is empty"),
        ("time_s,current_a,voltage_v\n0,1,3.9\n", "fewer than 2 data rows"),
        ("time_s,current_a\n0,1\n1,1\n", "column 'voltage_v' is missing"),
        ("time_s,current_a,voltage_mv\n0,1,3900\n1,1,3900\n", "'voltage_mv' is not allowed"),
        ("time_s,current_a,voltage_v\n0,1,3900\n1,1,3899\n", "wrong units"),
        ("time_s,current_a,voltage_v\n0,1,3.9\n1,nan,3.9\n", "'current_a' has a missing"),
        ("time_s,current_a,voltage_v\n0,1,3.9\n5,1,3.9\n4,1,3.9\n", "goes backwards at data row 3"),
        ("time_s,current_a,voltage_v,temperature_c\n0,1,3.9,298\n1,1,3.9,298\n", "kelvin"),
    ],
)
def test_bad_inputs_name_the_problem(tmp_path: Path, text: str, needle: str) -> None:
    p = tmp_path / "bad.csv"
    p.write_text(text)
    with pytest.raises(DataFileError) as exc:
        read_generic(p)
    assert needle in str(exc.value) and "bad.csv" in str(exc.value)


def test_truncated_generic_file(tmp_path: Path) -> None:
    p = tmp_path / "trunc.csv"
    p.write_text(GOOD + "3,10")  # last line cut off mid-row
    with pytest.raises(DataFileError, match="voltage_v"):
        read_generic(p)
