"""A thin wrapper over HiGHS (``highspy``, imported lazily) for the small LPs of the controller."""

from __future__ import annotations

import os
import sys
from typing import Any

import numpy as np
from scipy import sparse

from packlife._typing import FloatArray
from packlife.errors import InfeasibleError


def solve_lp(
    cost: FloatArray,
    matrix: sparse.spmatrix | sparse.sparray,
    row_lower: FloatArray,
    row_upper: FloatArray,
    col_lower: FloatArray,
    col_upper: FloatArray,
    maximize: bool = False,
    what: str = "LP",
) -> FloatArray:
    """Solve ``min/max cost·x`` s.t. ``row_lower ≤ A x ≤ row_upper``, ``col_lower ≤ x ≤ col_upper``.

    Parameters
    ----------
    cost : ndarray
        Objective coefficients, one per column.
    matrix : scipy sparse matrix
        Constraint matrix (rows × columns); converted to CSC.
    row_lower, row_upper, col_lower, col_upper : ndarray
        Bounds (``±inf`` allowed).
    maximize : bool
        Maximise instead of minimise.
    what : str
        Name used in the error message.

    Returns
    -------
    ndarray
        Optimal ``x``.

    Raises
    ------
    InfeasibleError
        When HiGHS does not report an optimal solution.
    """
    import highspy

    a = sparse.csc_matrix(matrix)
    inf = highspy.kHighsInf
    lp = highspy.HighsLp()
    lp.num_col_ = int(a.shape[1])
    lp.num_row_ = int(a.shape[0])
    lp.col_cost_ = np.asarray(cost, dtype=float)
    lp.col_lower_ = np.where(np.isfinite(col_lower), col_lower, -inf).astype(float)
    lp.col_upper_ = np.where(np.isfinite(col_upper), col_upper, inf).astype(float)
    lp.row_lower_ = np.where(np.isfinite(row_lower), row_lower, -inf).astype(float)
    lp.row_upper_ = np.where(np.isfinite(row_upper), row_upper, inf).astype(float)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = a.indptr.astype(np.int32)
    lp.a_matrix_.index_ = a.indices.astype(np.int32)
    lp.a_matrix_.value_ = a.data.astype(float)
    lp.sense_ = highspy.ObjSense.kMaximize if maximize else highspy.ObjSense.kMinimize
    h = quiet_highs(highspy)
    h.setOptionValue("threads", 1)
    h.passModel(lp)
    h.run()
    status = h.getModelStatus()
    if status != highspy.HighsModelStatus.kOptimal:
        raise InfeasibleError(f"{what}: HiGHS returned {h.modelStatusToString(status)}")
    return np.asarray(h.getSolution().col_value, dtype=float)


def quiet_highs(highspy: Any) -> Any:
    """A silent ``Highs`` instance.

    HiGHS prints its banner to the C-level stdout the first time one is built in a process, which
    would corrupt ``--json`` output; fd 1 is muted while it is built, then output is switched off.
    """
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)
    return h
