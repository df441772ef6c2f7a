"""Fallback reader for any cycler table whose columns say what they hold: a labelled table.

Exports from cyclers without a dedicated reader here (Basytec, Digatron, Landt/LANHE, Novonix,
PEC, BaSyTec, in-house rigs, spreadsheets) and other exports of the known ones differ in
separator, header position, column names and units, not in content. This reader finds the
header row (the first of the first 100 lines, or of any sheet of an ``.xlsx`` workbook, that
names a time, a current and a voltage column), reads the units from the names (``Current (mA)``,
``I/mA``, ``Voltage_V``, ``Time [h]``) and maps the columns to the canonical frame; an optional
step, cycle, step time, temperature and state column (``D``/``C``/``R``, ``CC_DChg``, ``Rest``…)
come along. Separators ``,`` ``;`` and tab; a decimal comma where the separator is not a comma.

The current sign is not guessed from the exporter's habits: a state column signs an unsigned
current; otherwise the file's convention is read from the physics — under a constant load the
terminal voltage falls while discharging and rises while charging — over all pairs of
consecutive loaded samples. Every mapping, unit, assumption and the sign decision with its
evidence go to ``metadata["notes"]``, which the grader reports with the result.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from packlife._typing import FloatArray
from packlife.errors import DataFileError
from packlife.io._checks import (
    check_readable_file,
    head_lines,
    read_head_bytes,
    read_text,
    text_encoding,
)
from packlife.io.cyclers import _duration_s, _finish, _frame

ALIASES: dict[str, tuple[str, ...]] = {
    "time": ("testtime", "totaltime", "time", "elapsedtime", "runtime", "progtime", "tottime",
             "testsec", "testtimes", "relativetime", "t", "test", "总时间", "测试时间", "累计时间",
             "时间", "realtime", "absolutetime", "datetime", "systemtime", "绝对时间", "系统时间"),
    "current": ("current", "i", "amps", "amp", "cur", "<i>", "idc", "currentdc", "icell", "电流"),
    "voltage": ("voltage", "volts", "u", "ecell", "ewe", "v", "cellvoltage", "potential",
                "ucell", "vcell", "terminalvoltage", "电压"),
    "step": ("stepindex", "step", "stepnumber", "stepno", "stepid", "ns", "工步号", "工步序号",
             "工步"),
    "cycle": ("cycleindex", "cycle", "cyclenumber", "cycleno", "cyc#", "cyclec", "cycleid",
              "cyccount", "cyclecount", "循环号", "循环序号", "循环"),
    "step_time": ("steptime", "stepduration", "工步时间"),
    "temperature": ("temperature", "temp", "celltemperature", "auxtemperature1", "t1",
                    "tcell", "temperaturec", "温度"),
    "state": ("state", "md", "status", "steptype", "mode", "command", "stepmode", "工步类型",
              "状态", "工作模式"),
}
_UNITS = {
    "current": {"a": 1.0, "ma": 1e-3, "ua": 1e-6, "µa": 1e-6, "ka": 1e3},
    "voltage": {"v": 1.0, "mv": 1e-3, "kv": 1e3},
    "time": {"s": 1.0, "sec": 1.0, "ms": 1e-3, "min": 60.0, "h": 3600.0, "hr": 3600.0,
             "d": 86400.0},
    "temperature": {"c": 1.0, "°c": 1.0, "degc": 1.0, "℃": 1.0},
}
_ALL_UNITS = sorted({u for table in _UNITS.values() for u in table}, key=len, reverse=True)
_BRACKET = re.compile(r"[\(\[\{（【]([^\)\]\}）】]*)[\)\]\}）】]")
_MIN_SAMPLES = 5


def _split(name: str) -> tuple[str, str]:
    """(normalised name, unit) of a header cell: ``I/mA`` → (i, ma), ``Current (A)`` → (current,
    a), ``Voltage_V`` → (voltage, v)."""
    raw = str(name).strip()
    m = _BRACKET.search(raw)
    unit = m.group(1).strip().lower() if m else ""
    base = _BRACKET.sub("", raw)
    if not unit and "/" in base:
        head, tail = base.rsplit("/", 1)
        if tail.strip().lower() in _ALL_UNITS:
            base, unit = head, tail.strip().lower()
    key = re.sub(r"[\s_\-\.:~*]", "", base).lower()
    return key, unit.replace(" ", "")


def _match(columns: list[str], quantity: str) -> tuple[str, str] | None:
    """The first column (alias order) naming ``quantity``: (column, unit), also ``Current_mA``."""
    split = [(c, *_split(c)) for c in columns]
    timed = _UNITS["time"]
    if quantity == "step":  # "Step (Min)" is a step time, not an index
        split = [x for x in split if x[2] not in timed]
    if quantity == "step_time":
        for col, key, unit in split:
            if key == "step" and unit in timed:
                return col, unit
    for alias in ALIASES[quantity]:
        for col, key, unit in split:
            if key == alias:
                return col, unit
            for u in _UNITS.get(quantity, {}):
                if not unit and key == alias + u.replace("°", "") and len(alias) > 1:
                    return col, u
    return None


def _header_at(rows: list[list[str]]) -> int | None:
    for k, cells in enumerate(rows[:100]):
        if len(cells) >= 3 and all(_match(cells, q) for q in ("time", "current", "voltage")):
            return k
    return None


def _sep_and_header(lines: list[str]) -> tuple[str, int] | None:
    for sep in ("\t", ";", ","):
        k = _header_at([line.split(sep) for line in lines])
        if k is not None:
            return sep, k
    return None


def looks_like_labelled(path: Path) -> bool:
    """A text table with a header naming time, current and voltage in its first 100 lines."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return True
    if _sep_and_header(head_lines(path, 100)) is not None:
        return True
    head = _gb18030(read_head_bytes(path))  # Chinese-language exports (Neware, Landt)
    return head is not None and _sep_and_header(head.splitlines()[:100]) is not None


def _gb18030(raw: bytes) -> str | None:
    """``raw`` decoded as GB18030 when it is not UTF-8 but is valid GB18030, else None (a
    character cut at the end of a file's head is not held against either)."""
    try:
        raw.decode("utf-8")
        return None
    except UnicodeDecodeError as exc:
        if exc.start >= len(raw) - 4:
            return None
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError as exc:
        if exc.start >= len(raw) - 4:
            return raw[: exc.start].decode("gb18030")
        return None


def _text(path: Path) -> str:
    """The file's text; a Chinese-language export that is neither UTF-8 nor UTF-16 is GB18030
    (Windows exports), tried only when the detected decoding finds no header."""
    text = read_text(path)
    if _sep_and_header(text.splitlines()[:100]) is None and text_encoding(path) == "latin-1":
        raw = read_head_bytes(path, -1)  # the whole file (decompressed)
        alt = _gb18030(raw)
        if alt is not None:
            return alt
    return text


def _table(path: Path) -> pd.DataFrame:
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return _sheet(path)
    text = _text(path)
    lines = text.splitlines()
    found = _sep_and_header(lines[:100])
    if found is None:
        raise DataFileError(path, ["no header row naming a time, a current and a voltage "
                                   "column in the first 100 lines"])
    sep, k = found
    body = [ln for ln in lines[k + 1: k + 40] if ln.strip()]
    comma_decimal = sep != "," and any(re.search(r"\d,\d", ln) for ln in body) and not any(
        re.search(r"\d\.\d", ln) for ln in body)
    return _frame(text, path, sep=sep, skiprows=k, decimal="," if comma_decimal else ".")


def _sheet(path: Path) -> pd.DataFrame:
    try:
        import openpyxl  # type: ignore[import-untyped]  # noqa: F401
    except ImportError:
        raise DataFileError(path, ["reading .xlsx needs openpyxl: pip install "
                                   "'packlife[grading]'"]) from None
    try:
        sheets = pd.read_excel(path, sheet_name=None, header=None, dtype=object)
    except (ValueError, OSError, KeyError) as exc:
        raise DataFileError(path, [f"not a readable workbook: {exc}"]) from None
    best: pd.DataFrame | None = None
    for raw in sheets.values():
        rows = [[str(c) for c in r] for r in raw.head(100).itertuples(index=False)]
        k = _header_at(rows)
        if k is None:
            continue
        df = raw.iloc[k + 1:].reset_index(drop=True)
        df.columns = [str(c).strip() for c in raw.iloc[k]]
        if best is None or len(df) > len(best):
            best = df
    if best is None:
        raise DataFileError(path, ["no sheet with a header naming a time, a current and a "
                                   "voltage column"])
    return best


def _unit_row(df: pd.DataFrame, cols: list[str], notes: list[str]
              ) -> tuple[pd.DataFrame, list[str]]:
    """A row of units under the header (``V``, ``A``, ``hh:mm:ss``…) moves into the names."""
    if df.empty:
        return df, cols
    first = [str(x).strip() for x in df.iloc[0].tolist()]
    numeric = pd.to_numeric(pd.Series(first), errors="coerce").notna().sum()
    units = [u.strip("[]()").lower() for u in first]
    if numeric == 0 and sum(u in _ALL_UNITS for u in units) >= 2:
        named = [f"{c} [{u}]" if u in _ALL_UNITS else c for c, u in zip(cols, units,
                                                                          strict=True)]
        df = df.iloc[1:].reset_index(drop=True)
        df.columns = named
        notes.append("units taken from the row under the header")
        return df, named
    return df, cols


def _scaled(df: pd.DataFrame, found: tuple[str, str], quantity: str, path: Path,
            notes: list[str]) -> FloatArray:
    col, unit = found
    if quantity == "temperature" and unit in ("k", "kelvin"):
        notes.append(f"'{col}' is in kelvin: converted to °C")
        return numbers(df[col]) - 273.15
    table = _UNITS[quantity]
    default = next(iter(table))
    if not unit:
        unit = default
        notes.append(f"'{col}' has no unit in its name: read as {default}")
    if unit not in table:
        raise DataFileError(path, [f"column '{col}': unknown {quantity} unit '{unit}' "
                                   f"(expected one of {', '.join(table)})"])
    return numbers(df[col]) * table[unit]


def numbers(col: pd.Series) -> FloatArray:
    """A column as floats; text with a decimal comma (a units row kept it as text) converted."""
    values = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float)
    if not pd.api.types.is_numeric_dtype(col) and np.isfinite(values).mean() < 0.99:
        text = col.astype(str).str.strip()
        if text.str.contains(r"^-?\d+,\d+$", regex=True).any():
            alt = pd.to_numeric(text.str.replace(",", ".", regex=False), errors="coerce")
            return alt.to_numpy(dtype=float)
    return values


def _time_s(df: pd.DataFrame, found: tuple[str, str], path: Path, notes: list[str]) -> FloatArray:
    col = found[0]
    num = numbers(df[col])
    if num.size and np.isfinite(num).mean() > 0.99:
        return _scaled(df, found, "time", path, notes)
    try:  # [Nd ]HH:MM:SS(.ss) durations, as the Maccor / Neware readers take them
        return _duration_s(df[col].astype(str), "s", path, col)
    except DataFileError:
        pass
    stamps = pd.to_datetime(df[col], errors="coerce")
    if stamps.notna().mean() > 0.99:
        notes.append(f"'{col}' holds timestamps: time counted from the first row")
        return np.asarray((stamps - stamps.dropna().iloc[0]).dt.total_seconds(), dtype=float)
    raise DataFileError(path, [f"column '{col}': expected seconds, [Nd ]HH:MM:SS or timestamps"])


def state_sign(values: pd.Series) -> FloatArray:
    """+1 discharge, −1 charge, 0 rest / unknown, from state texts (D/C/R, CC_DChg, Rest…)."""
    text = values.astype(str).str.strip().str.lower()
    dis = text.str.contains("dis|dchg|dch|放电") | (text == "d")
    chg = ~dis & (text.str.contains("chg|charge|cccv|cha|充电") | (text == "c"))
    return np.where(dis, 1.0, np.where(chg, -1.0, 0.0))


def discharge_sign(current: FloatArray, voltage: FloatArray) -> tuple[float, int, int]:
    """The file's discharge sign from the voltage response: (+1 or −1, agreeing, disagreeing).

    Each run of consecutive samples at one constant load (|I| ≥ 5 % of the largest, one sign,
    current within 2 % sample to sample) whose voltage moves by more than twice the logger's
    typical step from its first to its last sample casts one vote: positive current with a
    falling voltage, or negative current with a rising one, says "discharge positive"; the
    opposite says "charge positive". One side must hold ≥ 90 % of the votes and ≥ 5 samples
    of runs, else the sign is 0 (undecided): an unsigned current that both charges and
    discharges is refused rather than guessed.
    """
    i, v = np.asarray(current, dtype=float), np.asarray(voltage, dtype=float)
    ok = np.isfinite(i) & np.isfinite(v)
    i, v = i[ok], v[ok]
    if i.size < 3 or not np.any(i):
        return 0.0, 0, 0
    loaded = np.abs(i) >= 0.05 * float(np.max(np.abs(i)))
    steady = np.abs(np.diff(i)) <= 0.02 * np.abs(i[:-1])
    pair = loaded[:-1] & loaded[1:] & (np.sign(i[:-1]) == np.sign(i[1:])) & steady
    dv = np.diff(v)
    noise = max(float(np.median(np.abs(dv[dv != 0]))) if np.any(dv != 0) else 0.0, 1e-4)
    edges = np.diff(np.r_[0, pair.astype(np.int8), 0])
    starts, stops = np.nonzero(edges == 1)[0], np.nonzero(edges == -1)[0]  # samples a..b
    votes = {1.0: [0, 0], -1.0: [0, 0]}  # side → [runs, samples]
    for a, b in zip(starts, stops, strict=True):
        change = float(v[b] - v[a])
        if abs(change) < 2.0 * noise:
            continue
        side = 1.0 if np.sign(i[a]) * change < 0 else -1.0
        votes[side][0] += 1
        votes[side][1] += int(b - a + 1)
    runs = votes[1.0][0] + votes[-1.0][0]
    for side in (1.0, -1.0):
        agree, against = votes[side][0], votes[-side][0]
        if runs and agree >= 0.9 * runs and votes[side][1] >= _MIN_SAMPLES:
            return side, agree, against
    return 0.0, votes[1.0][0], votes[-1.0][0]


def read_labelled(path: str | Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Read a labelled cycler table (module docstring) into the canonical frame.

    Raises
    ------
    DataFileError
        No header naming time, current and voltage; an unknown unit; non-numeric values; a
        current whose sign neither a state column nor the voltage response decides.
    """
    path = check_readable_file(path)
    df = _table(path)
    cols = [str(c) for c in df.columns]
    notes: list[str] = []
    df, cols = _unit_row(df, cols, notes)
    found = {q: _match(cols, q) for q in ALIASES}
    t, i, v = found["time"], found["current"], found["voltage"]
    if t is None or i is None or v is None:
        raise DataFileError(path, ["no time, current and voltage columns"])
    current = _scaled(df, i, "current", path, notes)
    voltage = _scaled(df, v, "voltage", path, notes)
    out: dict[str, FloatArray] = {"time_s": _time_s(df, t, path, notes)}
    out["current_a"], sign_note = _signed(df, current, voltage, found["state"], path)
    out["voltage_v"] = voltage
    for q in ("step", "cycle"):
        f = found[q]
        if f is not None:
            out[q] = numbers(df[f[0]])
    step_time, temperature = found["step_time"], found["temperature"]
    # optional columns: one that cannot be read is left out, and said so
    if step_time is not None:
        try:
            out["step_time_s"] = _time_s(df, step_time, path, notes)
        except DataFileError as exc:
            notes.append(f"'{step_time[0]}' left out: {exc.problems[0]}")
    if temperature is not None:
        try:
            out["temperature_c"] = _scaled(df, temperature, "temperature", path, notes)
        except DataFileError as exc:
            notes.append(f"'{temperature[0]}' left out: {exc.problems[0]}")
    mapped = ", ".join(f"{q} ← '{f[0]}'" + (f" [{f[1]}]" if f[1] else "")
                       for q, f in found.items() if f is not None)
    notes = [f"read as a labelled table: {mapped}", sign_note, *notes]
    return _finish(out, path, {"format": "labelled", "notes": notes})


def _signed(df: pd.DataFrame, current: FloatArray, voltage: FloatArray,
            state: tuple[str, str] | None, path: Path) -> tuple[FloatArray, str]:
    finite = current[np.isfinite(current)]
    if not np.any(finite):
        return current, "no current flows in the file (sign convention not needed)"
    unsigned = finite.size > 0 and (np.all(finite >= 0) or np.all(finite <= 0))
    if state is not None and unsigned:
        sign = state_sign(df[state[0]])
        if np.any(sign != 0):
            return sign * np.abs(current), f"current sign from the state column '{state[0]}'"
    sign_v, agree, against = discharge_sign(current, voltage)
    if sign_v == 0:
        raise DataFileError(path, [
            "cannot tell the current's sign convention: the voltage neither clearly falls nor "
            f"rises under load ({agree} vs {against} constant-current runs; an unsigned current "
            "that both charges and discharges needs a state column); convert the file to the "
            "generic CSV (time_s,current_a,voltage_v, discharge positive)"])
    label = "discharge" if sign_v > 0 else "charge"
    note = (f"current sign: {label} positive in the file (the voltage "
            f"{'falls' if sign_v > 0 else 'rises'} under positive current in {agree} of "
            f"{agree + against} constant-current runs)" + ("" if sign_v > 0 else "; flipped"))
    return sign_v * current, note
