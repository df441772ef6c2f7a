"""Session CSVs: every row checked and named; nothing clamped or dropped silently (issue #17)."""

from __future__ import annotations

import gzip
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from packlife.errors import DataFileError
from packlife.site.sessions import read_sessions_csv

START = datetime(2024, 6, 3, tzinfo=timezone(timedelta(hours=1)))
HEADER = "arrival,departure,energy_kwh,vehicle_model\n"
OK = "2024-06-03T09:00:00+01:00,2024-06-03T10:00:00+01:00,12.5,range_rover_p440e\n"


def _read(path: Path, days: float | None = 2.0) -> list[object]:
    return list(read_sessions_csv(path, START, "range_rover_p440e", 7.0, days))


def _csv(tmp_path: Path, *rows: str, header: str = HEADER) -> Path:
    path = tmp_path / "sessions.csv"
    path.write_text(header + "".join(rows), encoding="utf-8")
    return path


def test_a_good_file_is_read_with_the_energy_as_given(tmp_path: Path) -> None:
    (s,) = read_sessions_csv(_csv(tmp_path, OK), START, "range_rover_p440e", 7.0, 1.0)
    assert (s.arrival_s, s.departure_s, s.energy_needed_wh) == (32400.0, 36000.0, 12500.0)


@pytest.mark.parametrize(("row", "message"), [
    (OK.replace("12.5", "1e9"), r"row 3: energy_kwh 1e\+09 is more than the usable energy"),
    (OK.replace("12.5", "31.9"), "row 3: energy_kwh 31.9 is more than"),
    (OK.replace("12.5", "nan"), "row 3, column 'energy_kwh': expected a number"),
    (OK.replace("12.5", "-1"), "row 3, column 'energy_kwh': expected a number ≥ 0"),
    (OK.replace("2024-06-03T09", "1990-06-03T09").replace("2024-06-03T10", "1990-06-03T10"),
     r"row 3: arrival is outside the run \(the run lasts 2 days\); 1 of 2"),
    (OK.replace("2024-06-03T09", "2024-06-09T09").replace("2024-06-03T10", "2024-06-09T10"),
     "row 3: arrival is outside the run"),
    (OK.replace("+01:00,2024", ",2024"), "row 3, column 'arrival': expected a timezone-aware"),
    (OK.replace("10:00:00", "08:00:00"), "row 3: departure must be after arrival"),
    (OK.replace("2024-06-03T09:00:00", "2024-13-03T09:00:00"), "row 3, column 'arrival': not"),
    (OK.replace("range_rover_p440e", "[bold]x"), r"row 3: unknown vehicle_model '\[bold\]x'"),
])
def test_bad_rows_are_refused_with_the_row_named(tmp_path: Path, row: str, message: str) -> None:
    with pytest.raises(DataFileError, match=message):
        _read(_csv(tmp_path, OK, row))


def test_utf16_binary_corrupt_gzip_folder_and_empty_files(tmp_path: Path) -> None:
    utf16 = tmp_path / "u16.csv"
    utf16.write_text(HEADER + OK, encoding="utf-16")
    binary = tmp_path / "bin.csv"
    binary.write_bytes(bytes(range(256)) * 4)
    broken_gz = tmp_path / "s.csv.gz"
    broken_gz.write_bytes(gzip.compress((HEADER + OK * 50).encode())[:60])
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    header_only = _csv(tmp_path, header=HEADER)
    for path, message in [(utf16, "not a readable CSV"), (binary, "not a readable CSV"),
                          (broken_gz, "not a readable CSV"), (tmp_path, "is a folder"),
                          (empty, "file is empty"), (header_only, "no session rows"),
                          (tmp_path / "missing.csv", "file not found")]:
        with pytest.raises(DataFileError, match=message):
            _read(path)


def test_a_duplicated_header_column_is_refused(tmp_path: Path) -> None:
    path = _csv(tmp_path, OK.rstrip("\n") + ",13\n",
                header="arrival,departure,energy_kwh,vehicle_model,energy_kwh\n")
    with pytest.raises(DataFileError, match="appears twice"):
        _read(path)
