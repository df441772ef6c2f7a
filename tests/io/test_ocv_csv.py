"""User OCV tables (``soc,ocv_v``): sorting, comments, and what is refused."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from packlife.errors import DataFileError
from packlife.io.ocv_csv import read_ocv_table


@settings(max_examples=25, deadline=None)
@given(st.permutations(list(range(6))))
def test_row_order_does_not_matter(
    tmp_path_factory: pytest.TempPathFactory, perm: list[int]
) -> None:
    soc = np.linspace(0.0, 1.0, 6)
    ocv = 3.0 + 1.2 * soc**0.7
    p = tmp_path_factory.mktemp("ocv") / "t.csv"
    rows = "".join(f"{float(soc[k])!r}, {float(ocv[k])!r}\n" for k in perm)
    p.write_text("# my cell, 25 °C, 1-h rests\nsoc, ocv_v\n" + rows)
    s, v = read_ocv_table(p)
    np.testing.assert_array_equal(s, soc)
    np.testing.assert_array_equal(v, ocv)


def test_missing_file_and_non_numeric_value(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match="file not found"):
        read_ocv_table(tmp_path / "nope.csv")
    p = tmp_path / "t.csv"
    p.write_text("soc,ocv_v\n0,3.0\n0.5,n/a\n1,4.1\n")
    with pytest.raises(DataFileError, match=r"t\.csv: column 'ocv_v' .* data row 2"):
        read_ocv_table(p)
