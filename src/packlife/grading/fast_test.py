"""The ≤ 15-minute fast SoH test procedure, and known-answer recordings of it.

:func:`fast_test_current` is the procedure of :mod:`packlife.grading.fast_soh` as a current
profile; :func:`record_fast_test` drives a cell of a packlife chemistry parameter set through
it with the same 2-RC equivalent circuit and OCV tables the simulation engine uses
(:func:`packlife.models.hppc.simulate_logged`), at a chosen SoH, resistance growth, temperature
and voltage noise, so the estimator can be checked against a known capacity.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from packlife._typing import FloatArray
from packlife.chemistry import get_parameter_set
from packlife.models.hppc import simulate_logged


def fast_test_current(
    capacity_ah: float,
    *,
    c_rate: float = 2.0,
    rest_s: float = 60.0,
    pulse_s: float = 10.0,
    pulse_rest_s: float = 30.0,
    end_rest_s: float = 240.0,
    total_s: float = 900.0,
    dt_s: float = 1.0,
) -> tuple[FloatArray, FloatArray]:
    """Time [s] and current [A] (discharge positive, end-of-interval) of the fast test.

    Rest ``rest_s``, a ``pulse_s`` pulse at ``c_rate``, ``pulse_rest_s`` of rest, a constant
    current at ``c_rate`` (negative: a charge), and ``end_rest_s`` of rest up to ``total_s``.
    """
    t = np.arange(0.0, total_s + dt_s / 2, dt_s)
    i_a = c_rate * capacity_ah
    pulse = (t > rest_s) & (t <= rest_s + pulse_s)
    run = (t > rest_s + pulse_s + pulse_rest_s) & (t <= total_s - end_rest_s)
    return t, np.where(pulse | run, i_a, 0.0)


@dataclass(frozen=True)
class FastRecording:
    """A simulated fast test with its true capacity [Ah] and start SoC."""

    time_s: FloatArray
    current_a: FloatArray
    voltage_v: FloatArray
    capacity_ah: float
    soc_start: float


def record_fast_test(
    parameter_set: str,
    *,
    soh: float,
    soc_start: float,
    temperature_c: float = 25.0,
    r_scale: float = 1.0,
    noise_v: float = 0.0,
    c_rate: float = 2.0,
    seed: int = 0,
) -> FastRecording:
    """Record the fast test on a cell of ``parameter_set`` (resistances × ``r_scale``)."""
    ps = get_parameter_set(parameter_set)
    cap = soh * ps.cell_capacity_ah
    t, i = fast_test_current(cap, c_rate=c_rate)
    ocv = (
        np.asarray(ps.ocv.temperature_c, dtype=float),
        np.asarray(ps.ocv.soc, dtype=float),
        np.asarray(ps.ocv.voltage_v, dtype=float),
    )
    e = ps.ecm
    zeros = np.zeros_like(np.asarray(e.r1_ohm, dtype=float))
    ecm = (
        np.asarray(e.temperature_c, dtype=float),
        np.asarray(e.soc, dtype=float),
        r_scale * np.asarray(e.r0_ohm, dtype=float),
        r_scale * np.asarray(e.r1_ohm, dtype=float),
        np.asarray(e.c1_f, dtype=float) / r_scale,
        r_scale * np.asarray(e.r2_ohm if e.r2_ohm is not None else zeros, dtype=float),
        np.asarray(e.c2_f if e.c2_f is not None else zeros + 1.0, dtype=float) / r_scale,
    )
    v, _ = simulate_logged(t, i, np.full_like(t, temperature_c), soc_start, cap, ocv, ecm)
    v = v + noise_v * np.random.default_rng(seed).standard_normal(t.size)
    return FastRecording(t, i, v, cap, soc_start)


def ocv_at(parameter_set: str, temperature_c: float) -> tuple[FloatArray, FloatArray]:
    """OCV table of ``parameter_set`` interpolated to ``temperature_c``: (soc, voltage [V])."""
    ps = get_parameter_set(parameter_set)
    temps = np.asarray(ps.ocv.temperature_c, dtype=float)
    table = np.asarray(ps.ocv.voltage_v, dtype=float)
    row = np.array([np.interp(temperature_c, temps, col) for col in table.T])
    return np.asarray(ps.ocv.soc, dtype=float), row
