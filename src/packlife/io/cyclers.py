"""Readers for text exports of lab cyclers: Arbin CSV, Battery Archive CSV, Maccor text and
BioLogic EC-Lab ``.mpt``.

Each maps the file's own columns to the canonical frame: ``time_s``, ``current_a`` (discharge
positive), ``voltage_v`` and, where the file has them, ``step`` and ``cycle`` (the cycler's own
step and cycle index), ``step_time_s``, ``discharge_counter_ah`` (the cycler's unsigned
discharge counter) and ``temperature_c``. Column names are matched without case, spaces and the
unit in brackets, and the unit is converted from what the header says (``Current(mA)`` → A).

Sign conventions (checked on real files, see ``tests/data/cycler_formats/SOURCES.md``):
Arbin, Battery Archive and BioLogic write **charge positive** and are flipped. Maccor writes an
unsigned current with a ``State`` (or ``MD``) column of R/C/D; the state gives the sign.

Why hand-written mappers rather than a reader library: cellpy and battery-data-toolkit read
these formats well but pull in HDF5/pytables, their own cell-data models and dozens of packages
for what is a column mapping here; navani reads through galvani and NewareNDA, which packlife
uses directly (the BioLogic binary ``.mpr`` and Neware ``.nda/.ndax`` formats need real parsers).
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from packlife.errors import DataFileError
from packlife.io._checks import check_canonical, check_readable_file, head_lines, read_text

_UNIT = re.compile(r"[\(\[]([^\)\]]*)[\)\]]")


def _key(name: str) -> tuple[str, str]:
    """(normalised name without unit, unit) of a header cell: ``Current (mA)`` → (current, ma)."""
    m = _UNIT.search(name)
    unit = m.group(1).strip().lower() if m else ""
    base = _UNIT.sub("", name)
    return re.sub(r"[\s_\-]", "", base).lower(), unit


def _find(columns: list[str], *aliases: str) -> tuple[str, str] | None:
    """The first column whose normalised name is one of ``aliases``: (column, unit)."""
    keyed = {_key(c)[0]: (c, _key(c)[1]) for c in columns}
    for a in aliases:
        if a in keyed:
            return keyed[a]
    return None


_SCALE = {"": 1.0, "a": 1.0, "ma": 1e-3, "ua": 1e-6, "µa": 1e-6, "s": 1.0, "min": 60.0, "h": 3600.0}
_SCALE_AH = {"": 1.0, "ah": 1.0, "mah": 1e-3, "a.h": 1.0, "ma.h": 1e-3}


def _scaled(df: pd.DataFrame, found: tuple[str, str], default_unit: str, path: Path) -> np.ndarray:
    col, unit = found
    unit = unit or default_unit
    table = _SCALE_AH if "h" in unit and unit not in ("h",) else _SCALE
    if unit not in table:
        raise DataFileError(path, [f"column '{col}': unknown unit '{unit}'"])
    return pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=float) * table[unit]


def _frame(
    text: str, path: Path, *, sep: str = ",", skiprows: int = 0, decimal: str = "."
) -> pd.DataFrame:
    try:
        df = pd.read_csv(
            io.StringIO(text), sep=sep, skiprows=skiprows, decimal=decimal, low_memory=False
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        raise DataFileError(path, [f"not a readable table: {exc}"]) from None
    df.columns = [str(c).strip() for c in df.columns]
    return df


def _optional(
    out: dict[str, np.ndarray], df: pd.DataFrame, path: Path, aliases: dict[str, tuple[str, ...]]
) -> None:
    for target, names in aliases.items():
        found = _find(list(df.columns), *names)
        if found is None:
            continue
        if target in ("step_time_s",):
            out[target] = _scaled(df, found, "s", path)
        elif target == "discharge_counter_ah":
            out[target] = np.abs(_scaled(df, found, "ah", path))
        else:
            out[target] = pd.to_numeric(df[found[0]], errors="coerce").to_numpy(dtype=float)


def _finish(
    out: dict[str, np.ndarray], path: Path, meta: dict[str, Any]
) -> tuple[pd.DataFrame, dict[str, Any]]:
    data = check_canonical(pd.DataFrame(out), path)
    if "temperature_c" in data:
        temp = data["temperature_c"].to_numpy(dtype=float)
        if np.isfinite(temp).any() and (np.nanmax(temp) > 150 or np.nanmin(temp) < -80):
            raise DataFileError(path, ["temperature outside −80…150 °C (kelvin?)"])
        if not np.isfinite(temp).any():
            data = data.drop(columns="temperature_c")
    meta["path"] = str(path)
    return data, meta


# ---------------------------------------------------------------- Arbin / Battery Archive CSV


def looks_like_arbin_csv(path: Path) -> bool:
    """Header with Test_Time, Current, Voltage and Cycle_Index (Arbin or Battery Archive)."""
    lines = head_lines(path, 1)
    if not lines:
        return False
    keys = {_key(c)[0] for c in lines[0].split(",")}
    return {"testtime", "current", "voltage", "cycleindex"} <= keys


def read_arbin_csv(path: str | Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Read an Arbin CSV export or a Battery Archive time-series CSV (charge positive in the
    file; flipped here). Battery Archive files have no step column: steps then come from the
    current (see :mod:`packlife.grading.steps`)."""
    path = check_readable_file(path)
    df = _frame(read_text(path), path)
    kind = "arbin" if _find(list(df.columns), "datapoint") is not None else "battery_archive"
    return arbin_canonical(df, path, {"format": kind})


def arbin_canonical(
    df: pd.DataFrame, path: Path, meta: dict[str, Any]
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Map a table with Arbin's column names to the canonical frame (shared by the CSV and the
    ``.res`` reader): ``Test_Time`` [s] → ``time_s``, ``Current`` [A, charge positive] →
    ``current_a`` (discharge positive), ``Voltage`` [V], and where present ``Step_Index`` →
    ``step``, ``Cycle_Index`` → ``cycle``, ``Step_Time`` [s], ``Discharge_Capacity`` [Ah, reset
    per cycle] → ``discharge_counter_ah`` and a temperature column [°C].

    Raises
    ------
    DataFileError
        If ``Test_Time``, ``Current`` or ``Voltage`` is missing, or a value is not usable.
    """
    cols = list(df.columns)
    t, i, v = _find(cols, "testtime"), _find(cols, "current"), _find(cols, "voltage")
    missing = [n for n, f in (("Test_Time", t), ("Current", i), ("Voltage", v)) if f is None]
    if missing or t is None or i is None or v is None:
        raise DataFileError(path, [f"column '{m}' is missing" for m in missing])
    out = {
        "time_s": _duration_s(df[t[0]], _time_unit(t[1], path, t[0]), path, t[0]),
        "current_a": -_scaled(df, i, "a", path),
        "voltage_v": pd.to_numeric(df[v[0]], errors="coerce").to_numpy(dtype=float),
    }
    _optional(
        out,
        df,
        path,
        {
            "step": ("stepindex",),
            "cycle": ("cycleindex",),
            "step_time_s": ("steptime",),
            "discharge_counter_ah": ("dischargecapacity",),
            "temperature_c": (
                "temperature",
                "celltemperature",
                "auxtemperature1",
                "environmenttemperature",
            ),
        },
    )
    return _finish(out, path, meta | {"sign_flipped": True})


# ---------------------------------------------------------------- Maccor text


_MACCOR_REC = {"rec#", "rec"}
_MACCOR_V = ("volts", "voltage")
_MACCOR_I = ("amps", "current")
_DURATION = re.compile(r"^\s*(?:(\d+)d\s*)?(\d+):(\d+):(\d+(?:\.\d*)?)\s*$")


def _maccor_header(lines: list[str]) -> tuple[int, str] | None:
    """(line index, separator) of a Maccor header: Rec / Rec#, a voltage and a current column."""
    for k, line in enumerate(lines[:30]):
        sep = "\t" if "\t" in line else ","
        keys = {_key(c)[0] for c in line.split(sep)}
        if keys & _MACCOR_REC and keys & set(_MACCOR_V) and keys & set(_MACCOR_I):
            return k, sep
    return None


def looks_like_maccor(path: Path) -> bool:
    """A header naming Rec# (or Rec), a voltage and a current column in the first 30 lines."""
    return _maccor_header(head_lines(path, 30)) is not None


def _time_unit(unit: str, path: Path, col: str) -> str:
    """``min``, ``s`` or ``h`` from a header unit (empty: seconds)."""
    out = {"min": "min", "sec": "s", "s": "s", "hr": "h", "h": "h", "": "s"}.get(unit)
    if out is None:
        raise DataFileError(path, [f"column '{col}': unknown time unit '{unit}'"])
    return out


def _duration_s(values: pd.Series, unit: str, path: Path, col: str) -> np.ndarray:
    """Numbers in ``unit`` (min, s, h), or strings ``[Nd ]HH:MM:SS(.ss)`` → seconds."""
    num = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    if num.size == 0 or np.isfinite(num).mean() > 0.99:
        return num * {"min": 60.0, "s": 1.0, "h": 3600.0}[unit]
    out = np.full(len(values), np.nan)
    for k, text in enumerate(values.tolist()):
        m = _DURATION.match(str(text))
        if m:
            d, h, mi, sec = m.groups()
            out[k] = int(d or 0) * 86400 + int(h) * 3600 + int(mi) * 60 + float(sec)
    if not np.isfinite(out).all():
        raise DataFileError(path, [f"column '{col}': expected a number or [Nd ]HH:MM:SS time"])
    return out


def read_maccor(path: str | Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Read a Maccor text export: tab- or comma-separated, metadata lines before the header;
    test time in minutes (``Test (Min)``), seconds (``Test (Sec)``, ``TestTime``) or as
    ``Nd HH:MM:SS``; unsigned current (``Amps``, ``Current [A]``) signed by ``State``/``Md``
    (R/C/D); ``Amp-hr`` / ``Cap. [Ah]`` as the step counter."""
    path = check_readable_file(path)
    text = read_text(path)
    lines = text.splitlines()
    found = _maccor_header(lines)
    if found is None:
        raise DataFileError(
            path,
            ["no Maccor header line (Rec#, Amps/Current, Volts/Voltage) in the first 30 lines"],
        )
    header_at, sep = found
    df = _frame(text, path, sep=sep, skiprows=header_at)
    cols = list(df.columns)
    t = _find(cols, "test", "testtime")
    amps, volts, state = (
        _find(cols, *_MACCOR_I),
        _find(cols, *_MACCOR_V),
        _find(cols, "state", "md"),
    )
    missing = [
        n
        for n, f in (("Test (Min)", t), ("Amps", amps), ("Volts", volts), ("State", state))
        if f is None
    ]
    if missing or t is None or amps is None or volts is None or state is None:
        raise DataFileError(path, [f"column '{m}' is missing" for m in missing])
    t_unit = _time_unit(t[1], path, t[0])
    st = df[state[0]].astype(str).str.strip().str.upper().str[:1].to_numpy()
    mag = np.abs(_scaled(df, amps, "a", path))
    sign = np.where(st == "D", 1.0, np.where(st == "C", -1.0, 0.0))
    out = {
        "time_s": _duration_s(df[t[0]], t_unit, path, t[0]),
        "current_a": sign * mag,
        "voltage_v": pd.to_numeric(df[volts[0]], errors="coerce").to_numpy(dtype=float),
    }
    _optional(out, df, path, {"cycle": ("cyc#", "cyclec", "cycle", "cyc", "cyclep")})
    if "Step" in cols:
        out["step"] = pd.to_numeric(df["Step"], errors="coerce").to_numpy(dtype=float)
    st_time = [c for c in cols if _key(c)[0] in ("step", "steptime") and c != "Step"]
    if st_time:
        unit = {"min": "min", "hr": "h", "h": "h"}.get(_key(st_time[0])[1], "s")
        out["step_time_s"] = _duration_s(df[st_time[0]], unit, path, st_time[0])
    amp_hr = _find(cols, "amphr", "cap.", "capacity")
    if amp_hr is not None:
        q = np.abs(_scaled(df, amp_hr, "ah", path))
        out["discharge_counter_ah"] = np.where(st == "D", q, 0.0)
    meta = {"format": "maccor", "header_line": lines[0][:200] if header_at else ""}
    return _finish(out, path, meta)


# ---------------------------------------------------------------- Neware CSV (BTSDA export)


def looks_like_neware_csv(path: Path) -> bool:
    """A header with a step type, a total time, a current and a voltage column."""
    lines = head_lines(path, 1)
    if not lines:
        return False
    keys = {_key(c)[0] for c in lines[0].split(",")}
    return (
        bool(keys & {"steptype", "status"})
        and bool(keys & {"totaltime", "realtime"})
        and ("current" in keys and "voltage" in keys)
    )


def read_neware_csv(path: str | Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Read a Neware BTSDA CSV export (``Total Time`` as seconds or ``HH:MM:SS``; ``Current(mA)``
    or ``(A)``; ``Step Type`` / ``Status`` such as ``CC DChg``). The current sign is taken from
    the step types (discharge rows must carry one sign, charge rows the other)."""
    path = check_readable_file(path)
    df = _frame(read_text(path), path)
    cols = list(df.columns)
    t, i, v = _find(cols, "totaltime"), _find(cols, "current"), _find(cols, "voltage")
    kind = _find(cols, "steptype", "status")
    missing = [
        n
        for n, f in (("Total Time", t), ("Current", i), ("Voltage", v), ("Step Type", kind))
        if f is None
    ]
    if missing or t is None or i is None or v is None or kind is None:
        raise DataFileError(path, [f"column '{m}' is missing" for m in missing])
    current = _scaled(df, i, "a", path)
    label = df[kind[0]].astype(str).str.lower()
    dchg = label.str.contains("dchg|discharge").to_numpy()
    chg = label.str.contains("chg|charge").to_numpy() & ~dchg
    votes = [np.median(current[dchg]) < 0 if dchg.any() else None]
    votes.append(np.median(current[chg]) > 0 if chg.any() else None)
    known = {x for x in votes if x is not None}
    if len(known) != 1:
        raise DataFileError(
            path, ["cannot tell the current sign from the step types (charge and discharge rows)"]
        )
    flip = bool(known.pop())
    out = {
        "time_s": _duration_s(df[t[0]], _time_unit(t[1], path, t[0]), path, t[0]),
        "current_a": -current if flip else current,
        "voltage_v": pd.to_numeric(df[v[0]], errors="coerce").to_numpy(dtype=float),
    }
    _optional(
        out,
        df,
        path,
        {
            "step": ("stepid", "stepindex", "step"),
            "cycle": ("cycleid", "cycleindex", "cycle"),
            "discharge_counter_ah": ("dchg.cap.", "dischargecapacity", "dchgcap"),
            "temperature_c": ("temperature", "auxtemperature", "t1"),
        },
    )
    return _finish(out, path, {"format": "neware_csv", "sign_flipped": flip})


# ---------------------------------------------------------------- BioLogic .mpt


def looks_like_mpt(path: Path) -> bool:
    """EC-Lab / BT-Lab ASCII export: first line ``EC-Lab ASCII FILE`` (or ``BT-Lab ...``)."""
    lines = head_lines(path, 1)
    return bool(lines) and lines[0].strip().upper().endswith("ASCII FILE")


def mpt_table(path: Path) -> pd.DataFrame:
    """The data table of an ``.mpt`` file (header length from ``Nb header lines``; decimal
    comma handled)."""
    text = read_text(path)
    m = re.search(r"Nb header lines\s*:\s*(\d+)", text[:4000])
    if m is None:
        raise DataFileError(path, ["no 'Nb header lines' in the EC-Lab header"])
    n_header = int(m.group(1))
    lines = text.splitlines()
    if len(lines) <= n_header:
        raise DataFileError(path, ["the file ends inside its header (truncated)"])
    first_row = lines[n_header] if len(lines) > n_header else ""
    decimal = "," if re.search(r"\d,\d", first_row) and "." not in first_row.split("\t")[0] else "."
    df = _frame("\n".join(lines[n_header - 1 :]), path, sep="\t", decimal=decimal)
    return df.loc[:, [c for c in df.columns if c and not c.startswith("Unnamed")]]


def read_mpt(path: str | Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Read a BioLogic EC-Lab ``.mpt`` (GCPL / Modulo Bat) time series; current in mA, charge
    positive in the file; ``Ns`` is the step index, ``Q discharge/mA.h`` the counter."""
    path = check_readable_file(path)
    df = mpt_table(path)
    cols = list(df.columns)
    if "freq/Hz" in cols:
        raise DataFileError(path, ["this is an impedance spectrum (freq/Hz): use the EIS reader"])
    t = "time/s" if "time/s" in cols else None
    v = next((c for c in ("Ecell/V", "Ewe/V", "<Ewe>/V") if c in cols), None)
    i = next((c for c in ("I/mA", "<I>/mA", "control/mA") if c in cols), None)
    problems = [
        f"column '{n}' is missing"
        for n, c in (("time/s", t), ("Ecell/V or Ewe/V", v), ("I/mA", i))
        if c is None
    ]
    if problems or t is None or v is None or i is None:
        raise DataFileError(path, problems)
    num = {c: pd.to_numeric(df[c], errors="coerce").to_numpy(dtype=float) for c in cols}
    out = {"time_s": num[t], "current_a": -num[i] / 1000.0, "voltage_v": num[v]}
    if "Ns" in cols:
        out["step"] = num["Ns"]
    if "cycle number" in cols:
        out["cycle"] = num["cycle number"]
    if "Q discharge/mA.h" in cols:
        out["discharge_counter_ah"] = np.abs(num["Q discharge/mA.h"]) / 1000.0
    temp = next((c for c in cols if c.startswith("Temperature/")), None)
    if temp is not None:
        out["temperature_c"] = num[temp]
    return _finish(out, path, {"format": "biologic_mpt", "sign_flipped": True})
