"""PV from a weather file equals pvlib's own ModelChain for the same inputs and model chain."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from packlife.errors import PacklifeError
from packlife.models.pv import PvArray, pv_ac_power_w
from packlife.site.weather import midpoints, read_weather

pvlib = pytest.importorskip("pvlib")
DATA = Path(__file__).parents[1] / "data" / "weather"


def _direct_modelchain(weather, array: PvArray, lat: float, lon: float, alt: float):
    """A ModelChain built by hand from pvlib's documentation, not through packlife."""
    from pvlib.location import Location
    from pvlib.modelchain import ModelChain
    from pvlib.pvsystem import PVSystem
    from pvlib.temperature import TEMPERATURE_MODEL_PARAMETERS

    system = PVSystem(
        surface_tilt=array.tilt_deg,
        surface_azimuth=array.azimuth_deg,
        module_parameters={"pdc0": array.peak_power_kwp * 1000, "gamma_pdc": -0.0037},
        inverter_parameters={"pdc0": array.peak_power_kwp * 1000, "eta_inv_nom": 0.96},
        temperature_model_parameters=TEMPERATURE_MODEL_PARAMETERS["sapm"]["open_rack_glass_glass"],
    )
    mc = ModelChain.with_pvwatts(system, Location(lat, lon, altitude=alt), aoi_model="physical")
    mc.run_model(weather[["ghi", "dni", "dhi", "temp_air", "wind_speed"]])
    return mc.results.ac


def test_pv_from_epw_equals_pvlib_modelchain_exactly() -> None:
    w = read_weather(DATA / "NLD_Amsterdam062400_IWEC_3days.epw", "epw")
    array = PvArray(peak_power_kwp=40.0, tilt_deg=35.0, azimuth_deg=180.0)
    assert w.latitude is not None and w.longitude is not None
    wx = midpoints(w)
    ours = pv_ac_power_w(wx, array, w.latitude, w.longitude, w.altitude_m or 0.0)
    direct = _direct_modelchain(wx, array, w.latitude, w.longitude, w.altitude_m or 0.0)
    np.testing.assert_array_equal(ours.to_numpy(), direct.to_numpy())
    assert ours.max() > 5000.0  # a January midday in Amsterdam still gives several kW


def test_pv_rejects_bad_arrays_and_zoneless_weather() -> None:
    w = read_weather(DATA / "NLD_Amsterdam062400_IWEC_3days.epw", "epw")
    with pytest.raises(PacklifeError, match="tilt_deg"):
        pv_ac_power_w(midpoints(w), PvArray(10.0, tilt_deg=120.0), 52.0, 4.8)
    naive = w.data.copy()
    naive.index = naive.index.tz_localize(None)
    with pytest.raises(PacklifeError, match="timezone-aware"):
        pv_ac_power_w(naive, PvArray(10.0), 52.0, 4.8)
