"""Analytic known-answer cycler logs: rest → constant-current discharge to a cut-off → rest.

The cell is an OCV curve ``3.1 + 1.1·soc − 0.15·exp(−30·soc)`` [V per cell] behind a series
resistance; the discharge ends exactly when the terminal voltage reaches the cut-off, and the
cycler logs one sample 1 s after the step starts, one at the end of every ``dt_s`` interval
**and one at the step end** (as the ORNL Bitrode does). The true charge is ``I · t_cut`` exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CUTOFF_V = 3.0


def ocv_v(soc: np.ndarray) -> np.ndarray:
    return 3.1 + 1.1 * soc - 0.15 * np.exp(-30.0 * soc)


@dataclass
class Log:
    time_s: np.ndarray
    current_a: np.ndarray
    voltage_v: np.ndarray
    step: np.ndarray
    true_ah: float


def _cut_time_s(capacity_ah: float, current_a: float, r_ohm: float, soc0: float) -> float:
    """Time at which OCV(soc) − I·R reaches the cut-off [s] (bisection)."""
    lo, hi = 0.0, soc0 * capacity_ah / current_a * 3600.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        soc = soc0 - current_a * mid / 3600.0 / capacity_ah
        if ocv_v(np.array([soc]))[0] - current_a * r_ohm > CUTOFF_V:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def cc_discharge(
    capacity_ah: float,
    c_rate: float,
    *,
    dt_s: float = 1.0,
    rest_s: float = 600.0,
    soc0: float = 1.0,
    r_c_ohm_ah: float = 0.03,
    t0_s: float = 0.0,
) -> Log:
    """One rest → CC discharge → rest log; the resistance scales as ``r_c_ohm_ah / capacity``."""
    current = c_rate * capacity_ah
    r = r_c_ohm_ah / capacity_ah
    t_cut = _cut_time_s(capacity_ah, current, r, soc0)
    t_rest1 = np.arange(0.0, rest_s + 1e-9, dt_s)
    t_dis = np.append(np.arange(dt_s, t_cut, dt_s), t_cut)
    if dt_s > 1.0:  # cyclers log a sample just after a step change (Bitrode: 1 s)
        t_dis = np.concatenate(([1.0], t_dis))
    t_rest2 = np.arange(dt_s, rest_s + 1e-9, dt_s)
    soc_dis = soc0 - current * t_dis / 3600.0 / capacity_ah
    soc_end = soc_dis[-1]
    v = np.concatenate(
        (
            np.full(t_rest1.size, ocv_v(np.array([soc0]))[0]),
            ocv_v(soc_dis) - current * r,
            np.full(t_rest2.size, ocv_v(np.array([soc_end]))[0]),
        )
    )
    t = np.concatenate((t_rest1, rest_s + t_dis, rest_s + t_cut + t_rest2)) + t0_s
    i = np.concatenate(
        (np.zeros(t_rest1.size), np.full(t_dis.size, current), np.zeros(t_rest2.size))
    )
    step = np.concatenate((np.ones(t_rest1.size), np.full(t_dis.size, 2), np.full(t_rest2.size, 3)))
    return Log(t, i, v, step, current * t_cut / 3600.0)


def concat(*logs: Log) -> Log:
    """Logs one after the other in time (steps renumbered)."""
    ts, is_, vs, ss = [], [], [], []
    offset, step_offset = 0.0, 0.0
    for log in logs:
        ts.append(log.time_s - log.time_s[0] + offset)
        is_.append(log.current_a)
        vs.append(log.voltage_v)
        ss.append(log.step + step_offset)
        offset = ts[-1][-1] + 1.0
        step_offset = ss[-1][-1]
    return Log(
        np.concatenate(ts),
        np.concatenate(is_),
        np.concatenate(vs),
        np.concatenate(ss),
        float(np.nan),
    )


def pulse_train(capacity_ah: float, *, peak_c: float = 5.0, n: int = 20, soc0: float = 1.0) -> Log:
    """HPPC-like train: 10 s discharge pulses at ``peak_c`` with 10 % SoC C/1 steps and 20-min
    rests, logged every second; spans the whole voltage range."""
    r = 0.03 / capacity_ah
    t_list, i_list, v_list = [0.0], [0.0], [float(ocv_v(np.array([soc0]))[0])]
    soc, t = soc0, 0.0
    steps = ((peak_c * capacity_ah, 10.0), (0.0, 40.0), (capacity_ah, 360.0), (0.0, 1200.0))
    done = False
    for _ in range(n):
        for cur, dur in steps:
            for _k in range(int(dur)):
                v_next = float(ocv_v(np.array([soc - cur / 3600.0 / capacity_ah]))[0] - cur * r)
                if cur > 0 and v_next < CUTOFF_V:  # the cycler ends the step at the cut-off
                    done = True
                    break
                t += 1.0
                soc -= cur / 3600.0 / capacity_ah
                t_list.append(t)
                i_list.append(cur)
                v_list.append(v_next if cur > 0 else float(ocv_v(np.array([soc]))[0]))
        if done:
            break
    n_pts = len(t_list)
    return Log(np.array(t_list), np.array(i_list), np.array(v_list), np.zeros(n_pts), float("nan"))
