"""Checks shared by the readers: every problem raises :class:`DataFileError` naming the file."""

from __future__ import annotations

import codecs
import gzip
import zlib
from pathlib import Path

import numpy as np
import pandas as pd

from packlife.errors import DataFileError


def check_canonical(data: pd.DataFrame, path: str | Path) -> pd.DataFrame:
    """Validate a canonical frame: required columns, finite numbers, time not going backwards."""
    problems = []
    for col in ("time_s", "current_a", "voltage_v"):
        if col not in data.columns:
            problems.append(f"column '{col}' is missing")
    if problems:
        raise DataFileError(path, problems)
    if len(data) < 2:
        raise DataFileError(path, ["fewer than 2 data rows (empty or truncated file)"])
    for col in ("time_s", "current_a", "voltage_v"):
        values = pd.to_numeric(data[col], errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(values)
        if bad.any():
            row = int(np.argmax(bad))
            problems.append(
                f"column '{col}' has a missing or non-numeric value at data row {row + 1}"
            )
        data[col] = values
    if problems:
        raise DataFileError(path, problems)
    dt = np.diff(data["time_s"].to_numpy())
    if np.any(dt < 0):
        row = int(np.argmax(dt < 0)) + 2
        problems.append(f"column 'time_s' goes backwards at data row {row}")
    v = data["voltage_v"].to_numpy()
    if np.nanmax(v) > 1000 or np.nanmin(v) < -1:
        problems.append("column 'voltage_v' is outside −1…1000 V (wrong units, e.g. mV?)")
    if problems:
        raise DataFileError(path, problems)
    return data.reset_index(drop=True)


def check_readable_file(path: str | Path) -> Path:
    """The path exists, is a regular file and is not empty; else :class:`DataFileError`."""
    path = Path(path)
    if not path.exists():
        raise DataFileError(path, ["file not found"])
    if path.is_dir():
        raise DataFileError(path, ["is a directory; expected a test data file"])
    if not path.is_file():
        raise DataFileError(path, ["is not a regular file"])
    if path.stat().st_size == 0:
        raise DataFileError(path, ["file is empty"])
    return path


def read_head_bytes(path: Path, n: int = 65536) -> bytes:
    """The first ``n`` bytes of the file (all of it for ``n = -1``), decompressed for ``.gz``.

    Raises
    ------
    DataFileError
        For a corrupted or truncated gzip file, or an unreadable file.
    """
    try:
        if path.suffix.lower() == ".gz":
            with gzip.open(path, "rb") as fh:
                return fh.read(n)
        with path.open("rb") as fh:
            return fh.read(n)
    except (OSError, EOFError, zlib.error) as exc:
        kind = (
            "a corrupted or truncated gzip file" if path.suffix.lower() == ".gz" else "unreadable"
        )
        raise DataFileError(path, [f"{kind} ({exc})"]) from None


def text_encoding(path: Path) -> str:
    """Encoding of a text file: UTF-16 (by its byte-order mark), UTF-8 (with or without BOM)
    or Latin-1 (EC-Lab, Maccor exports); binary content raises :class:`DataFileError`."""
    head = read_head_bytes(path)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in head:
        raise DataFileError(
            path, ["binary content (NUL bytes), not a text/CSV export: check the file or --format"]
        )
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a character cut at the end of the head
            return "latin-1"
    return "utf-8"


def read_text(path: Path) -> str:
    """The whole text of a (possibly gzipped) text file in its detected encoding."""
    enc = text_encoding(path)
    try:
        if path.suffix.lower() == ".gz":
            with gzip.open(path, "rt", encoding=enc, newline="") as fh:
                return fh.read()
        return path.read_text(encoding=enc)
    except (OSError, EOFError, zlib.error, UnicodeDecodeError) as exc:
        raise DataFileError(path, [f"cannot read the text ({exc})"]) from None


def head_lines(path: Path, n: int = 120) -> list[str]:
    """The first ``n`` lines of a text file ('' list for binary or unreadable files)."""
    try:
        enc = text_encoding(path)
    except DataFileError:
        return []
    text = read_head_bytes(path).decode(enc, errors="replace")
    return text.splitlines()[:n]


def first_line(path: Path) -> str:
    """First line of a text file, transparently for ``.gz`` files ('' if unreadable)."""
    lines = head_lines(path, 1)
    return lines[0] if lines else ""


def first_data_line(path: Path) -> str:
    """First line of a text file that is neither blank nor a ``#`` comment (``.gz`` aware)."""
    for line in head_lines(path, 200):
        if line.strip() and not line.lstrip().startswith("#"):
            return line
    return ""


def read_small_csv(path: str | Path) -> tuple[Path, pd.DataFrame]:
    """A small user CSV (``#`` comments, spaces after commas, header names stripped).

    Raises :class:`DataFileError` for a missing, empty or unparseable file.
    """
    import io

    checked = check_readable_file(path)
    try:
        df = pd.read_csv(io.StringIO(read_text(checked)), comment="#", skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        raise DataFileError(checked, [f"not a readable CSV: {exc}"]) from None
    df.columns = [str(c).strip() for c in df.columns]
    return checked, df
