"""Numbers behind the study report and ``packlife compare``: sensitivities, percentiles, Pareto.

All functions take the result frame of :func:`packlife.studies.store.read_results` (one row per
variant; parameters in ``param.*`` columns).
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pandas as pd

from packlife.errors import PacklifeError

PARAM_PREFIX = "param."
PERCENTILES = (10, 50, 90)


def parameter_columns(frame: pd.DataFrame) -> list[str]:
    """The ``param.*`` columns, per-pack lists reduced to their mean by :func:`numeric_param`."""
    return [c for c in frame.columns if c.startswith(PARAM_PREFIX)]


def numeric_param(series: pd.Series) -> pd.Series | None:
    """A parameter column as numbers (per-pack lists → their mean); None if not numeric."""
    first = series.iloc[0]
    if isinstance(first, list | np.ndarray):
        return series.map(lambda v: float(np.mean(v)))
    if isinstance(first, bool | str):
        return None
    return series.astype(float)


def check_outcomes(frame: pd.DataFrame, outcomes: list[str]) -> list[str]:
    """The outcomes that exist as numeric columns; raise naming any that does not."""
    missing = [o for o in outcomes if o not in frame.columns]
    if missing:
        numeric = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])]
        raise PacklifeError(
            f"unknown outcome(s) {missing}; the results have: {', '.join(numeric)}"
        )
    return outcomes


def sensitivity(
    frame: pd.DataFrame, outcomes: list[str], parameters: list[str] | None = None
) -> pd.DataFrame:
    """Sensitivity of each outcome to each parameter.

    Returns rows (parameter, outcome) with ``swing`` — the range of the outcome's mean over the
    parameter's levels (grid parameters; for Monte Carlo parameters over its quintiles) — and
    ``spearman`` — the rank correlation of parameter and outcome over all variants (NaN for
    non-numeric parameters or a constant column). ``parameters`` limits the analysis to these
    names (without the ``param.`` prefix).
    """
    rows: list[dict[str, Any]] = []
    cols = parameter_columns(frame)
    if parameters is not None:
        cols = [c for c in cols if c[len(PARAM_PREFIX) :] in parameters]
    for pcol in cols:
        raw = frame[pcol]
        num = numeric_param(raw)
        n_levels = raw.map(_hashable).nunique()
        if n_levels < 2:
            continue
        if n_levels <= 12:
            groups = raw.map(_hashable)
        else:
            assert num is not None
            groups = pd.qcut(num, 5, duplicates="drop").astype(str)
        for out in outcomes:
            y = frame[out].astype(float)
            means = y.groupby(groups).mean()
            rho = float("nan")
            if num is not None and num.nunique() > 1 and y.nunique() > 1:
                rho = float(num.rank().corr(y.rank()))
            rows.append(
                {
                    "parameter": pcol[len(PARAM_PREFIX) :],
                    "outcome": out,
                    "swing": float(means.max() - means.min()),
                    "spearman": rho,
                    "levels": int(n_levels),
                }
            )
    return pd.DataFrame(rows, columns=["parameter", "outcome", "swing", "spearman", "levels"])


def level_means(frame: pd.DataFrame, pcol: str, outcome: str) -> pd.DataFrame:
    """Mean, P10 and P90 of ``outcome`` at each level of grid parameter ``pcol``."""
    key = frame[pcol].map(_hashable)
    g = frame[outcome].astype(float).groupby(key)
    return pd.DataFrame(
        {"mean": g.mean(), "p10": g.quantile(0.1), "p90": g.quantile(0.9), "n": g.size()}
    )


def percentiles(frame: pd.DataFrame, outcomes: list[str]) -> pd.DataFrame:
    """P10 / P50 / P90, mean and count of each outcome over all variants (NaN rows dropped)."""
    rows = []
    for out in outcomes:
        y = frame[out].astype(float).dropna()
        q = np.percentile(y, PERCENTILES) if len(y) else [np.nan] * 3
        rows.append(
            {"outcome": out, "p10": q[0], "p50": q[1], "p90": q[2], "mean": y.mean(), "n": len(y)}
        )
    return pd.DataFrame(rows).set_index("outcome")


def pareto_mask(x: np.ndarray, y: np.ndarray, x_sense: str, y_sense: str) -> np.ndarray:
    """True where a point is not dominated (no other point at least as good in both outcomes
    and better in one); ``*_sense`` is ``"min"`` or ``"max"``."""
    xs = x if x_sense == "min" else -x
    ys = y if y_sense == "min" else -y
    order = np.lexsort((ys, xs))
    mask = np.zeros(len(x), dtype=bool)
    best_y = np.inf
    for i in order:
        if ys[i] < best_y:
            mask[i] = True
            best_y = ys[i]
    # equal points on the front are all kept
    front = np.flatnonzero(mask)
    for i in range(len(x)):
        if not mask[i] and any(xs[i] == xs[j] and ys[i] == ys[j] for j in front):
            mask[i] = True
    return mask


def _hashable(v: Any) -> Any:
    if isinstance(v, list | np.ndarray):
        return tuple(float(x) for x in v)
    return v


def flatten_summary(summary: dict[str, Any], end_soh: float) -> dict[str, Any]:
    """A run's ``summary.json`` as flat columns, plus ``n_packs``, ``min_pack_soh_end`` and
    ``years_to_first_replacement``.

    Nested tables become ``key.sub`` columns; per-pack lists of numbers stay lists; anything
    deeper (e.g. a list of replacement records) is kept as a JSON string. The years to the first
    replacement extrapolate each pack's SoH fade over the run linearly to ``end_soh`` and take the
    first pack (NaN when no pack faded) — a screening figure; a ``[fleet]`` study ages for years.
    """
    row: dict[str, Any] = {}
    for key, value in summary.items():
        if key == "limits_binding_intervals":
            continue
        if isinstance(value, dict):
            for sub, x in value.items():
                row[f"{key}.{sub}"] = _cell(x)
        else:
            row[key] = _cell(value)
    soh0, soh1 = summary["pack_soh_start"], summary["pack_soh_end"]
    row["n_packs"] = len(soh0)
    row["min_pack_soh_end"] = min(soh1)
    row["years_to_first_replacement"] = _years_to_threshold(
        soh0, soh1, float(summary["days"]), end_soh
    )
    return row


def _cell(value: Any) -> Any:
    """A Parquet-friendly cell: numbers and strings as they are, number lists as float lists,
    other structures as JSON."""
    if isinstance(value, list) and all(
        isinstance(x, int | float) and not isinstance(x, bool) for x in value
    ):
        return [float(x) for x in value]
    if isinstance(value, list | dict):
        return json.dumps(value, default=str)
    return value


def _years_to_threshold(soh0: list[float], soh1: list[float], days: float, end: float) -> float:
    best = math.inf
    for a, b in zip(soh0, soh1, strict=True):
        if b <= end:
            return 0.0
        fade_per_year = (a - b) / days * 365.25
        if fade_per_year > 0:
            best = min(best, days / 365.25 + (b - end) / fade_per_year)
    return best if math.isfinite(best) else float("nan")
