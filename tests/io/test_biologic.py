"""BioLogic .mpr through galvani.

No sample .mpr file could be obtained legitimately (galvani's sdist ships no test data and EC-Lab
files are binary); the fixture below writes a minimal file in the module layout galvani parses
(magic, a ``VMP Set`` module and a version-2 ``VMP data`` module with columns time/s, Ewe/V, I/mA
and cycle number). It exercises galvani and the adapter, not EC-Lab itself.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("galvani")

from packlife.errors import DataFileError
from packlife.io.biologic import read_biologic
from packlife.io.detect import detect_format, read_any

MAGIC = b"BIO-LOGIC MODULAR FILE\x1a".ljust(48) + b"\x00\x00\x00\x00"


def _module(short: bytes, version: int, payload: bytes) -> bytes:
    hdr = short.ljust(10) + b"".ljust(25) + struct.pack("<II", len(payload), version) + b"11/24/26"
    return b"MODULE" + hdr + payload


def write_mpr(path: Path, t: np.ndarray, ewe: np.ndarray, i_ma: np.ndarray) -> None:
    col_ids = [4, 6, 8, 24]  # time/s f8, Ewe/V f4, I/mA f4, cycle number f8
    rec = np.zeros(t.size, dtype=[("t", "<f8"), ("e", "<f4"), ("i", "<f4"), ("c", "<f8")])
    rec["t"], rec["e"], rec["i"], rec["c"] = t, ewe, i_ma, 1.0
    head = struct.pack("<IB", t.size, len(col_ids)) + struct.pack(f"<{len(col_ids)}H", *col_ids)
    data = head.ljust(405, b"\x00") + rec.tobytes()
    path.write_bytes(MAGIC + _module(b"VMP Set", 0, b"\x00" * 16) + _module(b"VMP data", 2, data))


def test_reads_mpr_with_sign_flip(tmp_path: Path) -> None:
    p = tmp_path / "cell.mpr"
    t = np.arange(10.0)
    write_mpr(p, t, np.linspace(3.9, 3.8, 10), np.where(t > 2, -2000.0, 0.0))  # EC-Lab: −2 A
    assert detect_format(p) == "biologic"
    data, meta = read_biologic(p)
    assert meta["format"] == "biologic" and "I/mA" in meta["columns"]
    np.testing.assert_allclose(data["current_a"].to_numpy()[3:], 2.0)  # discharge positive
    np.testing.assert_allclose(data["voltage_v"].to_numpy()[0], 3.9, atol=1e-6)
    assert read_any(p).data is not None


def test_truncated_mpr(tmp_path: Path) -> None:
    p = tmp_path / "cell.mpr"
    t = np.arange(10.0)
    write_mpr(p, t, np.full(10, 3.9), np.zeros(10))
    p.write_bytes(p.read_bytes()[:-20])
    with pytest.raises(DataFileError, match="not a readable BioLogic"):
        read_biologic(p)
