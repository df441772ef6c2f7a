"""Energy sources of a BESS site: PV from real TMY weather (pvlib), and the dispatch policy.

Policy (:func:`dispatch_sources`): renewables first, grid / DC charger to cover the rest and refill
the packs, the packs next, a generator only when demand would otherwise be unmet. PV that has no
sink, no pack room and no allowed export is curtailed and reported.

``pvlib`` is imported inside the PV functions only (``opt`` extra).

References
----------
W. F. Holmgren, C. W. Hansen and M. A. Mikofski, "pvlib python: a python package for modeling solar
energy systems", *J. Open Source Software* 3(29), 884, 2018. PVWatts v5: A. P. Dobos,
NREL/TP-6A20-62641, 2014.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from packlife.control.types import LimitReason, SourceState
from packlife.errors import DataFileError, PacklifeError

#: Dispatch rank of each source kind (lower first); the packs sit between 1 and 2.
KIND_RANK = {"pv": 0, "grid": 1, "dc_charger": 1, "generator": 2}


def default_tmy3_path() -> Path:
    """The TMY3 file shipped inside pvlib (Greensboro NC, USAF 723170)."""
    import pvlib

    return Path(pvlib.__file__).parent / "data" / "723170TYA.CSV"


def read_tmy3_weather(
    path: str | Path | None = None, year: int = 2021
) -> tuple[pd.DataFrame, dict[str, float]]:
    """Read a TMY3 file into hourly weather (``ghi, dni, dhi, temp_air, wind_speed``) and location.

    Parameters
    ----------
    path : str or Path, optional
        TMY3 CSV; default :func:`default_tmy3_path`.
    year : int
        All timestamps are moved into this year (TMY months come from different years).

    Returns
    -------
    weather : DataFrame
        Hourly, timezone-aware index (end of each hour, as TMY3 labels it); irradiance [W/m²],
        ``temp_air`` [°C], ``wind_speed`` [m/s].
    location : dict
        ``latitude``, ``longitude`` [deg], ``altitude`` [m], ``tz_hours``.
    """
    import pvlib

    p = Path(path) if path is not None else default_tmy3_path()
    try:
        data, meta = pvlib.iotools.read_tmy3(p, coerce_year=year, map_variables=True)
    except (OSError, ValueError, KeyError) as exc:
        raise DataFileError(p, [f"not a readable TMY3 file ({exc})"]) from exc
    weather = data[["ghi", "dni", "dhi", "temp_air", "wind_speed"]].astype(float).sort_index()
    location = {
        "latitude": float(meta["latitude"]),
        "longitude": float(meta["longitude"]),
        "altitude": float(meta["altitude"]),
        "tz_hours": float(meta["TZ"]),
    }
    return weather, location


def pv_ac_power_w(
    weather: pd.DataFrame,
    latitude: float,
    longitude: float,
    peak_power_kwp: float,
    tilt_deg: float,
    azimuth_deg: float,
    step_s: float = 3600.0,
    altitude_m: float = 0.0,
    system_loss_fraction: float = 0.14,
    inverter_efficiency: float = 0.96,
    gamma_pdc_per_k: float = -0.0037,
) -> pd.Series:
    """AC power of a PV array from hourly TMY weather, resampled to ``step_s`` [W].

    Transposition: isotropic sky (pvlib ``get_total_irradiance``) at the sun position of each
    hour's midpoint; cell temperature: SAPM open-rack glass/glass; DC: PVWatts with
    ``gamma_pdc_per_k``; losses: a flat ``system_loss_fraction``; AC: PVWatts inverter with its
    nominal efficiency, clipped at ``peak_power_kwp`` (DC/AC ratio 1).

    Parameters
    ----------
    weather : DataFrame
        Hourly ``ghi, dni, dhi`` [W/m²], ``temp_air`` [°C], ``wind_speed`` [m/s] with an hour-end
        timezone-aware index (:func:`read_tmy3_weather`).
    latitude, longitude : float
        Site [deg].
    peak_power_kwp : float
        Array rating at STC [kWp].
    tilt_deg, azimuth_deg : float
        Surface tilt from horizontal and azimuth (180 = south) [deg].
    step_s : float
        Output step [s]; values between hour midpoints are interpolated linearly.
    altitude_m : float
        Site altitude [m].
    system_loss_fraction, inverter_efficiency, gamma_pdc_per_k : float
        Losses (PVWatts default 14 %), inverter efficiency, power temperature coefficient [1/K].

    Returns
    -------
    Series
        AC power ≥ 0 [W] indexed by time at ``step_s`` spacing.
    """
    import pvlib

    if peak_power_kwp <= 0:
        raise PacklifeError(f"pv peak_power_kwp must be > 0, got {peak_power_kwp}")
    if not 0 <= tilt_deg <= 90:
        raise PacklifeError(f"pv tilt_deg must lie within 0–90, got {tilt_deg}")
    mid = pd.DatetimeIndex(weather.index) - pd.Timedelta(minutes=30)
    loc = pvlib.location.Location(latitude, longitude, altitude=altitude_m)
    sun = loc.get_solarposition(mid)
    poa = pvlib.irradiance.get_total_irradiance(
        tilt_deg,
        azimuth_deg,
        sun["apparent_zenith"].to_numpy(),
        sun["azimuth"].to_numpy(),
        weather["dni"].to_numpy(),
        weather["ghi"].to_numpy(),
        weather["dhi"].to_numpy(),
    )
    poa_global = np.nan_to_num(np.asarray(poa["poa_global"], dtype=float), nan=0.0)
    params = pvlib.temperature.TEMPERATURE_MODEL_PARAMETERS["sapm"]["open_rack_glass_glass"]
    temp_cell = pvlib.temperature.sapm_cell(
        poa_global, weather["temp_air"].to_numpy(), weather["wind_speed"].to_numpy(), **params
    )
    pdc0_w = peak_power_kwp * 1000.0
    pdc = pvlib.pvsystem.pvwatts_dc(poa_global, temp_cell, pdc0_w, gamma_pdc_per_k)
    pdc = np.asarray(pdc, dtype=float) * (1.0 - system_loss_fraction)
    pac = pvlib.inverter.pvwatts(pdc, pdc0_w, eta_inv_nom=inverter_efficiency)
    pac = np.clip(np.nan_to_num(np.asarray(pac, dtype=float)), 0.0, pdc0_w)
    hourly = pd.Series(pac, index=mid, name="pv_power_w")
    grid = pd.date_range(mid[0], mid[-1], freq=pd.Timedelta(seconds=step_s))
    values = np.interp(
        (grid - mid[0]).total_seconds(), (mid - mid[0]).total_seconds(), hourly.to_numpy()
    )
    return pd.Series(values, index=grid, name="pv_power_w")


@dataclass
class Dispatch:
    """Result of :func:`dispatch_sources` (all [W])."""

    source_power_w: dict[str, float]
    bess_power_w: float
    curtailed_w: float
    unmet_w: float
    limits: list[LimitReason] = field(default_factory=list)


def policy_order(sources: tuple[SourceState, ...]) -> list[int]:
    """Indices of ``sources`` in dispatch order: PV, grid / DC charger, generator; by priority."""
    return sorted(
        range(len(sources)), key=lambda j: (KIND_RANK[sources[j].kind], sources[j].priority)
    )


def source_capacity_w(src: SourceState) -> float:
    """What a source can supply now: ``min(available, max)``, never negative [W]."""
    return max(min(src.available_power_w, src.max_power_w), 0.0)


def dispatch_sources(
    sources: tuple[SourceState, ...],
    sinks_w: float,
    pack_discharge_cap_w: float,
    pack_charge_cap_w: float,
    export_limit_w: float = 0.0,
) -> Dispatch:
    """Cover ``sinks_w`` from the sources and the packs in policy order.

    1. PV (by priority) covers the sinks, then fills the packs' charge room, then exports up to
       ``export_limit_w`` through the first grid source; the rest is curtailed.
    2. Grid and DC charger (by priority) cover what is left of the sinks and refill the packs.
    3. The packs discharge for the rest, up to ``pack_discharge_cap_w``.
    4. A generator covers what is still missing; anything beyond it is ``unmet_w``.

    Parameters
    ----------
    sources : tuple of SourceState
    sinks_w : float
        Outputs plus site load to cover (≥ 0) [W].
    pack_discharge_cap_w, pack_charge_cap_w : float
        What the packs together can deliver / absorb this step (≥ 0) [W].
    export_limit_w : float
        Largest export through a grid source (≥ 0) [W].

    Returns
    -------
    Dispatch
        Per-source power (export negative), net BESS power (discharge positive), curtailment,
        unmet demand and the limits that bound.
    """
    from packlife.control import kernels as KN
    from packlife.control.reasons import source_reason

    order = policy_order(sources)
    srcs = [sources[j] for j in order]
    n = len(srcs)
    kind = np.array([KN.KIND_CODES[s.kind] for s in srcs], dtype=np.int64)
    cap = np.array([source_capacity_w(s) for s in srcs], dtype=float)
    grids = [s for s in srcs if s.kind == "grid"]
    src_w, why_w, res = np.zeros(n), np.zeros(n), np.zeros(3)
    why = np.zeros(n, dtype=np.int64)
    KN.dispatch_sources_kernel(
        kind, cap, sinks_w, pack_discharge_cap_w, pack_charge_cap_w, export_limit_w,
        bool(grids and grids[0].available_power_w > 0), src_w, why, why_w, res,
    )  # fmt: skip
    limits = []
    for pos, src in enumerate(srcs):
        if why[pos] != KN.SRC_NONE:
            quantity, who = source_reason(src.name, int(why[pos]), float(why_w[pos]))
            limits.append(LimitReason(quantity, float(why_w[pos]), who))
    out = {s.name: 0.0 for s in sources}
    out.update({src.name: float(src_w[pos]) for pos, src in enumerate(srcs)})
    return Dispatch(out, float(res[0]), float(res[1]), float(res[2]), limits)
