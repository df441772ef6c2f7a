"""Lumped thermal model of a pack: a heat capacity, a conductance to ambient, active cooling.

``C·dT/dt = q_gen − G·(T − T_amb)`` with heat generation (Bernardi, discharge current positive)
``q_gen = i²·r0 + i·v_rc − i·T_K·dU/dT``. For a step with constant heat the solution is exact:
``T(t+dt) = T_eq + (T − T_eq)·exp(−dt·G/C)``, ``T_eq = T_amb + q_gen/G``.

References
----------
D. Bernardi, E. Pawlikowski, J. Newman, "A general energy balance for battery systems",
J. Electrochem. Soc. 132 (1985) 5–12.
"""

from __future__ import annotations

import math

from numba import njit

KELVIN = 273.15


@njit(cache=True, error_model="numpy", inline="always")
def heat_generation_w(
    current_a: float, r0_ohm: float, v_rc_mean_v: float, temperature_c: float, dudt_v_per_k: float
) -> float:
    """Heat generated in a pack [W]: Joule (ohmic + polarisation) plus reversible (entropic) heat.

    Parameters
    ----------
    current_a : float
        Pack current, discharge positive [A].
    r0_ohm : float
        Ohmic resistance [Ω].
    v_rc_mean_v : float
        Mean polarisation (RC) voltage over the step [V].
    temperature_c : float
        Pack temperature [°C].
    dudt_v_per_k : float
        Entropic coefficient of the pack's open-circuit voltage [V/K].
    """
    return (
        current_a * current_a * r0_ohm
        + current_a * v_rc_mean_v
        - current_a * (temperature_c + KELVIN) * dudt_v_per_k
    )


@njit(cache=True, error_model="numpy", inline="always")
def lumped_step(
    temperature_c: float,
    heat_w: float,
    ambient_c: float,
    conductance_w_per_k: float,
    heat_capacity_j_per_k: float,
    dt_s: float,
) -> float:
    """Advance a lumped temperature by ``dt_s`` with constant heat input (exact solution) [°C].

    Parameters
    ----------
    temperature_c : float
        Temperature at the start of the step [°C].
    heat_w : float
        Heat generated inside the body [W].
    ambient_c : float
        Ambient (coolant or air) temperature [°C].
    conductance_w_per_k : float
        Thermal conductance to ambient [W/K] (> 0).
    heat_capacity_j_per_k : float
        Heat capacity [J/K].
    dt_s : float
        Step [s].
    """
    t_eq = ambient_c + heat_w / conductance_w_per_k
    return t_eq + (temperature_c - t_eq) * math.exp(
        -dt_s * conductance_w_per_k / heat_capacity_j_per_k
    )
