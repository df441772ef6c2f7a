"""Model-predictive output allocation: one LP over a receding horizon, solved with HiGHS.

Variables ``p[k, t]`` (power of output ``k`` in step ``t`` of the horizon), bounded by the output's
rate now (connector and vehicle acceptance) and zero from its departure on. When the output carries
the vehicle's acceptance curve and battery energy, the taper ahead is planned too: the vehicle's
SoC grows with the planned energy and its power stays under each falling segment of the curve.
Constraints: each session's energy ``Σ_t p[k,t]·Δt ≤ E_k`` and the budget ``Σ_k p[k,t] ≤ B`` (the
current budget, held over the horizon: no forecast). Objective: the "quick charge" objective of
adacharge, ``max Σ_t Σ_k (1 − t/(T+1))·p[k,t]`` — all energy counts, earlier counts slightly more,
so energy is delivered before departures; a 1 % bonus for low laxity breaks ties between plans
that deliver the same energy in favour of urgent sessions. Only step 0 is applied; minimum power
is then enforced by rounding (below half the minimum → 0, else ≥ the minimum), least-laxity
first.

References
----------
Z. J. Lee, G. Lee, T. Lee, C. Jin, R. Lee, Z. Low, D. Chang, C. Ortega and S. H. Low, "Adaptive
Charging Networks: A Framework for Smart Electric Vehicle Charging", *IEEE Trans. Smart Grid* 12(5),
2021 (adacharge).
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

from packlife._typing import FloatArray
from packlife.control import kernels as KN
from packlife.control._lp import solve_lp
from packlife.control.vehicles import OutputArrays, priority_order
from packlife.units import SECONDS_PER_HOUR

#: Relative objective bonus of the most urgent session (a tie-break, not a trade of energy).
URGENCY_WEIGHT = 0.01


def mpc_plan_w(
    arrays: OutputArrays, time_s: float, step_s: float, budget_w: float, horizon_steps: int
) -> FloatArray:
    """Solve the horizon LP; returns ``p[k, t]`` for all outputs (zeros for idle ones) [W]."""
    n = arrays.rate_w.shape[0]
    plan = np.zeros((n, horizon_steps))
    idx = np.flatnonzero(arrays.active & (arrays.rate_w > 0))
    if idx.size == 0 or budget_w <= 0.0:
        return plan
    m, h = idx.size, horizon_steps
    t_start = time_s + step_s * np.arange(h)
    # fraction of each step before departure (a vehicle leaving mid-step gets a partial step)
    frac = np.clip((arrays.departure_s[idx, None] - t_start[None, :]) / step_s, 0.0, 1.0)
    ub = (arrays.rate_w[idx, None] * frac).ravel()
    weight = 1.0 - np.arange(h) / (h + 1.0)
    # tie-break among equal-energy plans: urgent (least-laxity) sessions first
    with np.errstate(divide="ignore", invalid="ignore"):
        charge_s = np.where(
            arrays.rate_w[idx] > 0,
            arrays.energy_needed_wh[idx] * SECONDS_PER_HOUR / arrays.rate_w[idx],
            0.0,
        )
    laxity_s = arrays.departure_s[idx] - time_s - charge_s
    urgency = 1.0 - np.clip(laxity_s / (h * step_s), 0.0, 1.0)
    cost = (weight[None, :] * (1.0 + URGENCY_WEIGHT * urgency[:, None])).ravel()
    dt_h = step_s / SECONDS_PER_HOUR
    energy_rows = sparse.kron(sparse.eye(m), np.full((1, h), dt_h))
    budget_rows = sparse.kron(np.ones((1, m)), sparse.eye(h))
    taper_rows, taper_upper = _taper_rows(arrays, idx, h, dt_h)
    a = sparse.vstack([energy_rows, budget_rows, taper_rows]).tocsc()
    row_upper = np.concatenate([arrays.energy_needed_wh[idx], np.full(h, budget_w), taper_upper])
    row_lower = np.full(a.shape[0], -np.inf)
    x = solve_lp(
        cost, a, row_lower, row_upper, np.zeros(m * h), ub, maximize=True, what="vehicle MPC"
    )
    plan[idx] = x.reshape(m, h)
    return plan


def _taper_rows(
    arrays: OutputArrays, idx: np.ndarray, h: int, dt_h: float
) -> tuple[sparse.csr_matrix, FloatArray]:
    """Acceptance taper ahead: ``p[k,t] ≤ P_j + s_j·(soc_k + Δt/E_k·Σ_{τ<t} p[k,τ] − x_j)``.

    One row per vehicle, curve segment ``j`` with falling power (slope ``s_j < 0``) and step
    ``t``. For a concave curve the minimum over its segment lines is the curve itself; for other
    shapes it is a conservative (lower) bound.
    """
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    upper: list[float] = []
    r = 0
    for col_block, k in enumerate(idx):
        o = arrays.outputs[k] if arrays.outputs else None
        if o is None or o.acceptance_curve is None or o.vehicle_energy_wh <= 0.0:
            continue
        xs, ps = (np.asarray(v, dtype=float) for v in o.acceptance_curve)
        gain = dt_h / o.vehicle_energy_wh  # SoC per W·step
        for j in range(xs.size - 1):
            slope = (ps[j + 1] - ps[j]) / (xs[j + 1] - xs[j])
            if slope >= 0.0 or xs[j + 1] <= o.vehicle_soc:
                continue
            base = ps[j] + slope * (o.vehicle_soc - xs[j])
            for t in range(h):
                rows.extend([r] * (t + 1))
                cols.extend(col_block * h + tau for tau in range(t + 1))
                vals.extend([-slope * gain] * t + [1.0])
                upper.append(base)
                r += 1
    m = idx.size
    mat = sparse.csr_matrix((vals, (rows, cols)), shape=(r, m * h))
    return mat, np.asarray(upper, dtype=float)


def mpc_allocation(
    arrays: OutputArrays,
    time_s: float,
    step_s: float,
    budget_w: float,
    min_w: float,
    previous_w: FloatArray,
    horizon_steps: int = 24,
) -> FloatArray:
    """First step of the MPC plan, rounded to the minimum power and topped up to the budget
    (:func:`packlife.control.kernels.mpc_allocation_kernel`) [W]."""
    plan = mpc_plan_w(arrays, time_s, step_s, budget_w, horizon_steps)
    upper = np.where(arrays.active, arrays.upper_w, 0.0)
    order = priority_order("llf", arrays, time_s)
    out = np.zeros(upper.shape[0])
    KN.mpc_allocation_kernel(order, plan[:, 0], upper, budget_w, min_w, previous_w, out)
    return out
