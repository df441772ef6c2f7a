"""Format auto-detection across the readers."""

from __future__ import annotations

from pathlib import Path

import pytest

from packlife.errors import DataFileError, PacklifeError
from packlife.io.detect import detect_format, read_any

ORNL = Path(__file__).parents[1] / "data" / "ornl_leaf_cell"


@pytest.mark.parametrize(
    "name", ["cell-discharge-bitrode-1c.csv.gz", "cell-low-current-hppc-10c.csv.gz"]
)
def test_bitrode_with_and_without_header(name: str) -> None:
    # the 10 °C file has no header row
    assert detect_format(ORNL / name) == "bitrode"
    rec = read_any(ORNL / name)
    assert rec.data is not None and rec.format == "bitrode"
    assert rec.data["current_a"].max() > 9  # discharge positive after conversion


def test_unknown_and_forced_format(tmp_path: Path) -> None:
    p = tmp_path / "odd.txt"
    p.write_text("hello,world\n1,2\n")
    with pytest.raises(DataFileError, match="unknown format"):
        detect_format(p)
    with pytest.raises(DataFileError, match="column 'time_s' is missing"):
        read_any(p, "generic")
    with pytest.raises(PacklifeError, match="unknown format 'xls'"):
        read_any(p, "xls")
    with pytest.raises(DataFileError, match="file not found"):
        read_any(tmp_path / "missing.csv")
