"""Per-pack design ratings: engine-derived energy derate and a remaining-life proxy.

The **standard duty** of a designed unit (like the JLR test-site duty of the Allye MAX: top up
slowly from a weak supply, then deliver a full discharge) is, every day at 25 °C ambient:

1. a full discharge of the SoC window at the unit's rated power (nominally
   :data:`DUTY_DISCHARGE_H` = 2 h, i.e. 0.5 C),
2. :data:`DUTY_REST_H` = 1 h rest,
3. a recharge at low power over :data:`DUTY_RECHARGE_H` = 8 h,
4. rest for the rest of the day.

**Resistance derate.** The assignment programme needs a linear energy value per pack. A pack
whose resistance grew delivers less energy at a given power (more ohmic loss, the voltage limit is
reached earlier). :func:`resistance_derates` measures this with the engine: each pack alone is
discharged at its 0.5 C power (usable energy × SoH / 2 h) from the top of its SoC window, once
with its measured resistance growth and once with ``resistance_growth = 1``; the derate is the
ratio of the energies delivered before the power first drops below 99 % of the request.

**Life proxy.** :func:`life_proxy_years` forecasts years until a pack reaches the second-life
end threshold under a synthetic version of the standard duty (SoC ramps, 25 °C), with
:func:`packlife.models.ageing.days_to_soh` from the pack's second-life state.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import cache

import numpy as np

from packlife._typing import FloatArray
from packlife.catalog import ageing_vector, get_pack_model
from packlife.design.inventory import InventoryItem
from packlife.models.ageing import days_to_soh, scale_rates, second_life_state
from packlife.simulation.engine import Engine, EngineConfig
from packlife.simulation.system import PackSpec, build_systems, soc_window

DUTY_DISCHARGE_H = 2.0
DUTY_REST_H = 1.0
DUTY_RECHARGE_H = 8.0
DUTY_AMBIENT_C = 25.0
#: Delivered power below this fraction of the request counts as "a limit forced a reduction".
LIMIT_FRACTION = 0.99
#: Engine step for the design runs [s].
DESIGN_DT_S = 60.0
#: Default second-life end threshold (SoH).
DEFAULT_THRESHOLD_SOH = 0.60
#: Forecasts stop here [years].
MAX_FORECAST_YEARS = 30.0
#: Sample interval of the SoC/temperature series fed to the ageing model [s].
AGEING_SAMPLE_S = 900.0


def full_spec(item: InventoryItem, resistance_growth: float | None = None) -> PackSpec:
    """Engine spec of an inventory item, charged to the top of its SoC window."""
    return PackSpec(
        catalog_id=item.catalog_id,
        serial=item.serial,
        soh=item.soh,
        resistance_growth=item.resistance_growth if resistance_growth is None else
        resistance_growth,
        soc_initial=soc_window(item.model)[1],
    )


def energy_until_limited_wh(delivered_w: FloatArray, request_w: FloatArray, dt_s: float
                            ) -> FloatArray:
    """Energy delivered up to and including the first step below 99 % of the request [Wh].

    Parameters
    ----------
    delivered_w : ndarray (n_sys, n_steps)
        Delivered bus power [W].
    request_w : ndarray (n_sys,)
        Constant requested power [W].
    dt_s : float
        Step [s].
    """
    limited = delivered_w < LIMIT_FRACTION * request_w[:, None]
    n_steps = delivered_w.shape[1]
    first = np.where(limited.any(axis=1), limited.argmax(axis=1), n_steps - 1)
    mask = np.arange(n_steps)[None, :] <= first[:, None]
    out: FloatArray = (delivered_w * mask).sum(axis=1) * dt_s / 3600.0
    return out


def discharge_energy_wh(systems: list[list[PackSpec]], power_w: FloatArray, hours: float
                        ) -> FloatArray:
    """Energy each system delivers at constant bus power before a limit reduces it [Wh].

    All systems must have the same number of packs; the run lasts ``hours`` (choose it longer
    than the expected discharge) at :data:`DESIGN_DT_S` without ageing.
    """
    system = build_systems(systems, ambient_c=DUTY_AMBIENT_C)
    n_steps = max(2, int(math.ceil(hours * 3600.0 / DESIGN_DT_S)))
    config = EngineConfig(dt_s=DESIGN_DT_S, output_interval_s=DESIGN_DT_S * n_steps, ageing=False)
    engine = Engine(system, config, max_duration_s=DESIGN_DT_S * n_steps)
    rows = np.zeros(len(systems), dtype=np.int64)
    power = np.asarray(power_w, dtype=float)
    delivered = engine.advance(np.ones((1, n_steps)), DUTY_AMBIENT_C, rows, power)
    return energy_until_limited_wh(delivered, power, DESIGN_DT_S)


def resistance_derates(items: Sequence[InventoryItem]) -> FloatArray:
    """Energy derate for resistance growth at 0.5 C per pack (1.0 = none); see module docstring."""
    if not items:
        return np.zeros(0)
    power_w = np.array([it.usable_energy_kwh * 1000.0 / DUTY_DISCHARGE_H for it in items])
    hours = 1.5 * DUTY_DISCHARGE_H
    aged = discharge_energy_wh([[full_spec(it)] for it in items], power_w, hours)
    fresh = discharge_energy_wh([[full_spec(it, 1.0)] for it in items], power_w, hours)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(fresh > 0, aged / fresh, 1.0)
    out: FloatArray = np.clip(ratio, 0.0, 1.0)
    return out


def repeat_year(time_s: FloatArray, soc: FloatArray, temperature_c: FloatArray
                ) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Tile one day of samples (times within [0, 86400) s) into one year (365 days)."""
    days = np.arange(365, dtype=float) * 86400.0
    t = (time_s[None, :] + days[:, None]).ravel()
    return t, np.tile(soc, 365), np.tile(temperature_c, 365)


@cache
def synthetic_day(model_id: str, soc_min: float, soc_max: float) -> tuple[FloatArray, FloatArray]:
    """SoC samples of one standard-duty day (ramps between the window edges) [s, -]."""
    del model_id
    t = np.arange(0.0, 86400.0, AGEING_SAMPLE_S)
    h = 3600.0
    knots = [0.0, DUTY_DISCHARGE_H * h, (DUTY_DISCHARGE_H + DUTY_REST_H) * h,
             (DUTY_DISCHARGE_H + DUTY_REST_H + DUTY_RECHARGE_H) * h, 86400.0]
    soc = np.interp(t, knots, [soc_max, soc_min, soc_min, soc_max, soc_max])
    return t, soc


def years_to_threshold(
    time_s: FloatArray, soc: FloatArray, temperature_c: FloatArray, parameter_set: str,
    soh: float, resistance_growth: float, threshold_soh: float, rate_factor: float = 1.0,
) -> float:
    """Years until SoH reaches ``threshold_soh`` when one day's duty repeats (inf if > 30 y).

    ``rate_factor`` multiplies the law's rate constants (the pack's own fade, see
    :func:`packlife.models.ageing.scale_rates`).
    """
    p = scale_rates(ageing_vector(parameter_set), rate_factor)
    q_cal, q_cyc, rg = second_life_state(soh, resistance_growth, p)
    t, s, temp = repeat_year(time_s, soc, temperature_c)
    days = days_to_soh(t, s, temp, p, threshold_soh, q_cal=q_cal, q_cyc=q_cyc, r_growth=rg,
                       max_days=365.25 * MAX_FORECAST_YEARS, interval_s=3600.0)
    return days / 365.25


def life_proxy_years(items: Sequence[InventoryItem],
                     threshold_soh: float = DEFAULT_THRESHOLD_SOH) -> FloatArray:
    """Per pack: forecast years to ``threshold_soh`` on the synthetic standard duty."""
    out = np.empty(len(items))
    for k, it in enumerate(items):
        out[k] = _life_proxy(it.catalog_id, round(it.soh, 3), round(it.resistance_growth, 2),
                             threshold_soh, round(it.ageing_rate_factor, 3))
    return out


@cache
def _life_proxy(catalog_id: str, soh: float, rg: float, threshold_soh: float,
                rate_factor: float = 1.0) -> float:
    model = get_pack_model(catalog_id)
    lo, hi = soc_window(model)
    t, soc = synthetic_day(model.id, lo, hi)
    temp = np.full_like(t, DUTY_AMBIENT_C)
    years = years_to_threshold(t, soc, temp, model.parameter_set, soh, rg, threshold_soh,
                               rate_factor)
    return min(years, MAX_FORECAST_YEARS)
