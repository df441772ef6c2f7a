"""Readers of impedance spectra: BioLogic PEIS/GEIS ``.mpr`` / ``.mpt`` and a generic CSV.

Every reader returns a list of :class:`Spectrum` (one per sweep: EC-Lab writes repeated
sweeps as ``cycle number`` loops; the generic CSV may hold several spectra with a
``spectrum_index`` column). ``z_imag_ohm`` is Im(Z): **negative for a capacitive response**
(BioLogic writes −Im(Z); the reader flips it).

Generic CSV header: ``freq_hz,z_real_ohm,z_imag_ohm`` (case-insensitive; ``freq_Hz``,
``Z_real_Ohm``, ``Z_imag_Ohm`` accepted) and optionally ``spectrum_index``; a column named
``minus_z_imag_ohm`` holds −Im(Z) instead.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from packlife.errors import DataFileError, PacklifeError
from packlife.io._checks import check_readable_file, head_lines, read_text
from packlife.io.biologic import looks_like_biologic, open_mpr
from packlife.io.cyclers import looks_like_mpt, mpt_table


@dataclass(frozen=True)
class Spectrum:
    """One impedance sweep: frequency [Hz], Re(Z) and Im(Z) [Ω] (Im < 0 capacitive)."""

    freq_hz: np.ndarray
    z_real_ohm: np.ndarray
    z_imag_ohm: np.ndarray
    label: str


def looks_like_eis_csv(path: Path) -> bool:
    """A CSV header naming a frequency and both impedance parts."""
    lines = head_lines(path, 1)
    if not lines:
        return False
    cols = {c.strip().lower() for c in lines[0].split(",")}
    return (
        "freq_hz" in cols
        and "z_real_ohm" in cols
        and bool({"z_imag_ohm", "minus_z_imag_ohm"} & cols)
    )


def is_eis_file(path: Path) -> bool:
    """Whether ``path`` holds impedance spectra (cheap sniff)."""
    if looks_like_eis_csv(path):
        return True
    if looks_like_mpt(path):
        return any("freq/Hz" in line for line in head_lines(path, 400))
    if path.suffix.lower() == ".mpr" and looks_like_biologic(path):
        try:  # the column ids are binary: ask galvani for the column names
            return "freq/Hz" in (open_mpr(path).data.dtype.names or ())
        except PacklifeError:
            return False
    return False


def _split(
    freq: np.ndarray, zr: np.ndarray, zi: np.ndarray, group: np.ndarray | None, path: Path
) -> list[Spectrum]:
    ok = np.isfinite(freq) & np.isfinite(zr) & np.isfinite(zi) & (freq > 0)
    if ok.sum() < 5:
        raise DataFileError(path, ["fewer than 5 valid impedance points (freq > 0, finite Z)"])
    freq, zr, zi = freq[ok], zr[ok], zi[ok]
    keys = group[ok] if group is not None else np.zeros(freq.size)
    out = []
    for key in pd.unique(keys):
        sel = keys == key
        if sel.sum() < 5:
            continue
        order = np.argsort(-freq[sel])
        out.append(
            Spectrum(freq[sel][order], zr[sel][order], zi[sel][order], f"{path.name}#{key:g}")
        )
    if not out:
        raise DataFileError(path, ["no spectrum with at least 5 points"])
    return out


def _check_sign(spectra: list[Spectrum], path: Path) -> None:
    for s in spectra:
        if np.mean(s.z_imag_ohm > 0) > 0.8:
            raise DataFileError(
                path,
                [
                    "the imaginary part is mostly positive: expected Im(Z) (negative for a "
                    "capacitive response); name the column minus_z_imag_ohm if it holds −Im(Z)"
                ],
            )


def read_eis_csv(path: Path) -> list[Spectrum]:
    """Generic CSV spectra (see module docstring)."""
    try:
        df = pd.read_csv(io.StringIO(read_text(path)), comment="#")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        raise DataFileError(path, [f"not a readable CSV: {exc}"]) from None
    df.columns = [str(c).strip().lower() for c in df.columns]
    missing = [c for c in ("freq_hz", "z_real_ohm") if c not in df]
    if "z_imag_ohm" not in df and "minus_z_imag_ohm" not in df:
        missing.append("z_imag_ohm")
    if missing:
        raise DataFileError(path, [f"column '{c}' is missing" for c in missing])

    def num(c: str) -> np.ndarray:
        return pd.to_numeric(df[c], errors="coerce").to_numpy(dtype=float)

    zi = num("z_imag_ohm") if "z_imag_ohm" in df else -num("minus_z_imag_ohm")
    group = num("spectrum_index") if "spectrum_index" in df else None
    spectra = _split(num("freq_hz"), num("z_real_ohm"), zi, group, path)
    _check_sign(spectra, path)
    return spectra


def _biologic_columns(names: list[str], path: Path) -> None:
    missing = [c for c in ("freq/Hz", "Re(Z)/Ohm", "-Im(Z)/Ohm") if c not in names]
    if missing:
        raise DataFileError(
            path, [f"column '{c}' is missing (not an impedance file?)" for c in missing]
        )


def read_eis_biologic(path: Path) -> list[Spectrum]:
    """BioLogic PEIS/GEIS spectra from ``.mpr`` (through galvani) or ``.mpt``; one per loop."""
    if looks_like_mpt(path):
        df = mpt_table(path)
        _biologic_columns(list(df.columns), path)
        cols = {c: pd.to_numeric(df[c], errors="coerce").to_numpy(dtype=float) for c in df}
    else:
        mpr = open_mpr(path)
        names = list(mpr.data.dtype.names or ())
        _biologic_columns(names, path)
        cols = {c: np.asarray(mpr.data[c], dtype=float) for c in names}
    group = cols.get("cycle number")
    return _split(cols["freq/Hz"], cols["Re(Z)/Ohm"], -cols["-Im(Z)/Ohm"], group, path)


def read_eis(path: str | Path) -> list[Spectrum]:
    """Read impedance spectra from a BioLogic ``.mpr``/``.mpt`` or a generic CSV."""
    path = check_readable_file(path)
    if looks_like_eis_csv(path):
        return read_eis_csv(path)
    if looks_like_mpt(path) or looks_like_biologic(path):
        return read_eis_biologic(path)
    raise DataFileError(
        path,
        [
            "not an impedance file: expected a BioLogic PEIS/GEIS .mpr/.mpt or a CSV with "
            "freq_hz,z_real_ohm,z_imag_ohm"
        ],
    )
