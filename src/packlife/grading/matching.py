"""Module matching: form groups of ``size`` graded modules with small capacity/resistance spread.

Cost of a group = relative capacity spread + ``resistance_weight`` × relative resistance spread,
each relative to the median of all modules. Two methods:

- :func:`match_sort_chunk` (any size): sort by capacity, then resistance, and cut into chunks.
- :func:`match_pairs_optimal` (size 2): minimum-cost perfect matching solved exactly as a 0/1
  linear programme with :func:`scipy.optimize.milp` (HiGHS); with an odd count one module is
  left over. Exact up to :data:`MAX_OPTIMAL_MODULES` modules (n(n−1)/2 variables).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from packlife.errors import DataFileError, InfeasibleError

MAX_OPTIMAL_MODULES = 300


@dataclass(frozen=True)
class Modules:
    """Graded modules: serials, capacities [Ah] and DC resistances [mΩ]."""

    serial: list[str]
    capacity_ah: np.ndarray
    dcir_mohm: np.ndarray
    resistance_column: str = "dcir_mohm"


#: resistance columns accepted, in order of preference: pulse DCIR, EIS ohmic (fit), EIS intercept
RESISTANCE_COLUMNS = ("dcir_mohm", "r0_mohm", "r_ohm_intercept_mohm")


def read_modules_csv(path: str | Path) -> Modules:
    """Read ``serial,capacity_ah,dcir_mohm[,…]`` (extra columns ignored).

    Instead of ``dcir_mohm`` the file may give an EIS resistance, ``r0_mohm`` (fitted ohmic) or
    ``r_ohm_intercept_mohm`` (as written by ``packlife grade`` on spectra); the first of
    :data:`RESISTANCE_COLUMNS` present is used for every module and named in the result.

    Raises
    ------
    DataFileError
        Missing columns, non-numeric or non-positive values, duplicate serials.
    """
    path = Path(path)
    try:
        frame = pd.read_csv(path, comment="#", skipinitialspace=True)
    except FileNotFoundError:
        raise DataFileError(path, ["file not found"]) from None
    except pd.errors.EmptyDataError:
        raise DataFileError(path, ["file is empty"]) from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DataFileError(path, [f"not a readable CSV: {exc}"]) from None
    r_col = next((c for c in RESISTANCE_COLUMNS if c in frame), "dcir_mohm")
    problems = [
        f"column '{c}' is missing" for c in ("serial", "capacity_ah", r_col) if c not in frame
    ]
    if problems:
        raise DataFileError(path, problems)
    for col in ("capacity_ah", r_col):
        values = pd.to_numeric(frame[col], errors="coerce").to_numpy(dtype=float)
        bad = ~(np.isfinite(values) & (values > 0))
        if bad.any():
            problems.append(
                f"column '{col}' needs positive numbers (row {int(np.argmax(bad)) + 1})"
            )
    serials = frame["serial"].astype(str).tolist()
    dup = sorted({s for s in serials if serials.count(s) > 1})
    if dup:
        problems.append(f"duplicate serials: {', '.join(dup[:5])}")
    if problems:
        raise DataFileError(path, problems)
    return Modules(
        serials,
        pd.to_numeric(frame["capacity_ah"]).to_numpy(dtype=float),
        pd.to_numeric(frame[r_col]).to_numpy(dtype=float),
        r_col,
    )


def _scaled(m: Modules, resistance_weight: float) -> tuple[np.ndarray, np.ndarray]:
    return m.capacity_ah / np.median(m.capacity_ah), resistance_weight * m.dcir_mohm / np.median(
        m.dcir_mohm
    )


def group_cost(m: Modules, idx: list[int], resistance_weight: float = 1.0) -> float:
    """Relative capacity spread + weight × relative resistance spread of one group."""
    c, r = _scaled(m, resistance_weight)
    sel = np.asarray(idx)
    return float(np.ptp(c[sel]) + np.ptp(r[sel]))


def match_sort_chunk(m: Modules, size: int) -> list[list[int]]:
    """Baseline: sort by (capacity, resistance) and cut into consecutive groups of ``size``."""
    if size < 1:
        raise InfeasibleError("group size must be at least 1")
    order = np.lexsort((m.dcir_mohm, m.capacity_ah))
    n = (order.size // size) * size
    return [order[k : k + size].tolist() for k in range(0, n, size)]


def match_pairs_optimal(m: Modules, resistance_weight: float = 1.0) -> list[list[int]]:
    """Exact minimum-total-cost pairing (0/1 programme over all pairs, HiGHS via scipy)."""
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import coo_matrix

    n = len(m.serial)
    if n > MAX_OPTIMAL_MODULES:
        raise InfeasibleError(
            f"optimal pairing is limited to {MAX_OPTIMAL_MODULES} modules (got {n}); "
            "use --method sort"
        )
    if n < 2:
        return []
    c, r = _scaled(m, resistance_weight)
    ii, jj = np.triu_indices(n, k=1)
    cost = np.abs(c[ii] - c[jj]) + np.abs(r[ii] - r[jj])
    npair = ii.size
    rows = np.concatenate((ii, jj))
    cols = np.concatenate((np.arange(npair), np.arange(npair)))
    a = coo_matrix((np.ones(2 * npair), (rows, cols)), shape=(n, npair)).tocsr()
    k = n // 2
    constraints = [
        LinearConstraint(a, 0, 1),
        LinearConstraint(np.ones((1, npair)), k, k),
    ]
    res = milp(cost, constraints=constraints, integrality=np.ones(npair), bounds=Bounds(0, 1))
    if res.x is None:
        raise InfeasibleError(f"pair matching failed: {res.message}")
    chosen = np.flatnonzero(res.x > 0.5)
    return [[int(ii[p]), int(jj[p])] for p in chosen]


def describe_groups(m: Modules, groups: list[list[int]]) -> list[dict[str, object]]:
    """Per group: serials, capacities, spreads [Ah, %, mΩ] and the series capacity (min) [Ah]."""
    out: list[dict[str, object]] = []
    for idx in groups:
        cap, res = m.capacity_ah[idx], m.dcir_mohm[idx]
        out.append(
            {
                "serials": [m.serial[k] for k in idx],
                "capacity_ah": [float(x) for x in cap],
                "dcir_mohm": [float(x) for x in res],
                "capacity_spread_ah": float(np.ptp(cap)),
                "capacity_spread_pct": float(100 * np.ptp(cap) / np.mean(cap)),
                "dcir_spread_mohm": float(np.ptp(res)),
                "series_capacity_ah": float(np.min(cap)),
            }
        )
    return out
