"""PV array physics with pvlib's ModelChain: AC power from weather and the array's geometry.

One model chain, chosen once and documented — pvlib's PVWatts configuration
(``ModelChain.with_pvwatts``): Perez transposition, PVWatts DC and inverter models, SAPM cell
temperature, physical (Fresnel) incidence-angle losses, no spectral loss, and the PVWatts system
losses (14.08 % with pvlib's defaults). The function returns pvlib's own ``ModelChain`` result for
the inputs it is given — nothing is added after pvlib — so a test can compare it with a
ModelChain built directly.

``pvlib`` is imported inside the functions (``opt`` extra).

References
----------
W. F. Holmgren, C. W. Hansen and M. A. Mikofski, "pvlib python: a python package for modeling solar
energy systems", *J. Open Source Software* 3(29), 884, 2018. PVWatts v5: A. P. Dobos,
NREL/TP-6A20-62641, 2014.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from packlife.errors import PacklifeError

if TYPE_CHECKING:
    from pvlib.modelchain import ModelChain

def require_pvlib() -> Any:
    """The ``pvlib`` module, or a user error naming the extra that installs it."""
    try:
        import pvlib
    except ImportError:
        raise PacklifeError(
            "PV modelling and weather files need pvlib: pip install 'packlife[opt]'"
        ) from None
    return pvlib


#: Weather columns the model chain needs (irradiance [W/m²], air temperature [°C], wind [m/s]).
WEATHER_COLUMNS = ("ghi", "dni", "dhi", "temp_air", "wind_speed")


@dataclass(frozen=True)
class PvArray:
    """A fixed-tilt PV array.

    Attributes
    ----------
    peak_power_kwp : float
        DC rating at STC [kWp].
    tilt_deg, azimuth_deg : float
        Surface tilt from horizontal and azimuth (180 = south) [deg].
    dc_ac_ratio : float
        DC rating over the inverter's AC rating [-].
    inverter_efficiency : float
        PVWatts nominal inverter efficiency [-].
    gamma_pdc_per_k : float
        DC power temperature coefficient [1/K].
    mounting : str
        SAPM temperature-model mounting (``open_rack_glass_glass``, ``close_mount_glass_glass``,
        ``open_rack_glass_polymer``, ``insulated_back_glass_polymer``).
    """

    peak_power_kwp: float
    tilt_deg: float = 30.0
    azimuth_deg: float = 180.0
    dc_ac_ratio: float = 1.0
    inverter_efficiency: float = 0.96
    gamma_pdc_per_k: float = -0.0037
    mounting: str = "open_rack_glass_glass"


def _check(array: PvArray) -> None:
    problems = []
    if not array.peak_power_kwp > 0:
        problems.append(f"peak_power_kwp must be > 0, got {array.peak_power_kwp}")
    if not 0 <= array.tilt_deg <= 90:
        problems.append(f"tilt_deg must lie within 0–90, got {array.tilt_deg}")
    if not 0 <= array.azimuth_deg <= 360:
        problems.append(f"azimuth_deg must lie within 0–360, got {array.azimuth_deg}")
    if not array.dc_ac_ratio > 0:
        problems.append(f"dc_ac_ratio must be > 0, got {array.dc_ac_ratio}")
    if problems:
        raise PacklifeError("pv array: " + "; ".join(problems))


def pv_model_chain(
    array: PvArray, latitude: float, longitude: float, altitude_m: float = 0.0
) -> ModelChain:
    """The pvlib ``ModelChain`` for ``array`` at a location (PVWatts, SAPM temperature).

    Parameters
    ----------
    array : PvArray
    latitude, longitude : float
        Site [deg]; east and north positive.
    altitude_m : float
        Site altitude [m].
    """
    require_pvlib()
    from pvlib.location import Location
    from pvlib.modelchain import ModelChain
    from pvlib.pvsystem import PVSystem
    from pvlib.temperature import TEMPERATURE_MODEL_PARAMETERS

    _check(array)
    sapm = TEMPERATURE_MODEL_PARAMETERS["sapm"]
    if array.mounting not in sapm:
        raise PacklifeError(
            f"pv mounting {array.mounting!r} unknown; known: {', '.join(sorted(sapm))}"
        )
    pdc0_w = array.peak_power_kwp * 1000.0
    system = PVSystem(
        surface_tilt=array.tilt_deg,
        surface_azimuth=array.azimuth_deg,
        module_parameters={"pdc0": pdc0_w, "gamma_pdc": array.gamma_pdc_per_k},
        inverter_parameters={
            "pdc0": pdc0_w / array.dc_ac_ratio,
            "eta_inv_nom": array.inverter_efficiency,
        },
        temperature_model_parameters=sapm[array.mounting],
    )
    location = Location(latitude, longitude, altitude=altitude_m)
    return ModelChain(
        system,
        location,
        dc_model="pvwatts",
        ac_model="pvwatts",
        transposition_model="perez",
        aoi_model="physical",
        spectral_model="no_loss",
        temperature_model="sapm",
        losses_model="pvwatts",
    )


def pv_ac_power_w(
    weather: pd.DataFrame,
    array: PvArray,
    latitude: float,
    longitude: float,
    altitude_m: float = 0.0,
) -> pd.Series:
    """AC power of ``array`` for each weather row: pvlib's ModelChain result, night and clipping
    as pvlib gives them [W].

    Parameters
    ----------
    weather : DataFrame
        ``ghi, dni, dhi`` [W/m²], ``temp_air`` [°C], ``wind_speed`` [m/s] on a timezone-aware
        index. The index is the time the sun position is computed for: pass interval midpoints
        for interval means (:func:`packlife.site.weather` does).
    array : PvArray
    latitude, longitude, altitude_m : float
        Site [deg, deg, m].

    Returns
    -------
    Series
        ``pv_power_w`` on the weather's index; pvlib's PVWatts inverter model gives a small
        negative night tare, kept as pvlib computes it.
    """
    missing = [c for c in WEATHER_COLUMNS if c not in weather.columns]
    if missing:
        raise PacklifeError(f"weather for the PV model lacks column(s) {', '.join(missing)}")
    index = pd.DatetimeIndex(weather.index)
    if index.tz is None:
        raise PacklifeError("weather for the PV model needs a timezone-aware index")
    mc = pv_model_chain(array, latitude, longitude, altitude_m)
    mc.run_model(weather[list(WEATHER_COLUMNS)])
    ac: Any = mc.results.ac
    return pd.Series(np.asarray(ac, dtype=float), index=index, name="pv_power_w")
