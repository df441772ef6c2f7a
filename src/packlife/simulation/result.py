"""Results of an engine run: per-pack aggregates, traces and the energy balance."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from packlife._typing import FloatArray
from packlife.simulation import layout as K
from packlife.simulation.system import PackSystem


@dataclass(frozen=True)
class EnergyBalance:
    """Energy balance of the pack cluster at the DC bus, per system [Wh].

    ``stored_start − stored_end = bus_net + converter + ohmic + polarisation + entropic +
    self_discharge + fade`` must hold; ``error_wh`` is the residual and ``throughput_wh`` the
    bus energy moved in both directions (the denominator of the relative error).
    """

    stored_start_wh: FloatArray
    stored_end_wh: FloatArray
    bus_net_wh: FloatArray
    converter_loss_wh: FloatArray
    ohmic_loss_wh: FloatArray
    polarisation_loss_wh: FloatArray
    entropic_wh: FloatArray
    self_discharge_wh: FloatArray
    fade_wh: FloatArray
    throughput_wh: FloatArray

    @property
    def losses_wh(self) -> FloatArray:
        """All loss terms (converter, ohmic, polarisation, entropic, self-discharge, fade)."""
        return (
            self.converter_loss_wh
            + self.ohmic_loss_wh
            + self.polarisation_loss_wh
            + self.entropic_wh
            + self.self_discharge_wh
            + self.fade_wh
        )

    @property
    def error_wh(self) -> FloatArray:
        """Residual of the balance [Wh]."""
        return (self.stored_start_wh - self.stored_end_wh) - (self.bus_net_wh + self.losses_wh)

    @property
    def relative_error(self) -> FloatArray:
        """Residual as a fraction of throughput (0 where nothing moved)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            rel = np.abs(self.error_wh) / self.throughput_wh
        return np.where(self.throughput_wh > 0, rel, 0.0)


@dataclass(frozen=True)
class SimulationResult:
    """What a run produced (arrays: systems × packs unless noted).

    Attributes
    ----------
    duration_s, dt_s, output_interval_s : float
        Simulated time, step and trace resolution [s].
    balance : EnergyBalance
        Energy balance per system.
    requested_discharge_wh, delivered_discharge_wh, unmet_discharge_wh : ndarray (n_sys,)
        Bus energy asked of / delivered by / not delivered by the packs when discharging [Wh];
        the ``*_charge_wh`` counterparts for charging (positive numbers).
    pack_discharged_wh, pack_charged_wh : ndarray
        Terminal energy out of / into each pack [Wh].
    pack_throughput_ah, equivalent_full_cycles : ndarray
        Charge throughput [Ah] and equivalent full cycles (throughput / 2 / capacity).
    soh_start, soh_end, resistance_growth_end, soc_end : ndarray
        State of health, resistance factor and SoC.
    max_temperature_c, min_soc : ndarray
        Extremes reached.
    overtemperature_s, deep_discharge_s : ndarray
        Time above the pack's temperature limit / below its SoC window (harmful events) [s].
    max_discharge_power_w, max_charge_power_w : ndarray
        Largest terminal power of any step out of / into each pack [W] (step means).
    max_bus_power_w : ndarray
        Largest bus-side power magnitude of any step (the converter's side) [W].
    min_mean_voltage_v, max_mean_voltage_v : ndarray
        Extremes of the step-mean terminal voltage (terminal energy / charge) over the steps
        with current [V]; NaN for a pack that never carried current.
    trace : ndarray (n_sys, n_out, n_packs, 5)
        Mean soc, temperature_c, power_w, current_a, voltage_v per output interval.
    trace_system : ndarray (n_sys, n_out, 2)
        Mean requested and delivered bus power per output interval [W].
    """

    duration_s: float
    dt_s: float
    output_interval_s: float
    balance: EnergyBalance
    requested_discharge_wh: FloatArray
    delivered_discharge_wh: FloatArray
    unmet_discharge_wh: FloatArray
    requested_charge_wh: FloatArray
    delivered_charge_wh: FloatArray
    unmet_charge_wh: FloatArray
    pack_discharged_wh: FloatArray
    pack_charged_wh: FloatArray
    pack_throughput_ah: FloatArray
    equivalent_full_cycles: FloatArray
    soh_start: FloatArray
    soh_end: FloatArray
    resistance_growth_end: FloatArray
    soc_end: FloatArray
    max_temperature_c: FloatArray
    min_soc: FloatArray
    overtemperature_s: FloatArray
    deep_discharge_s: FloatArray
    max_discharge_power_w: FloatArray
    max_charge_power_w: FloatArray
    max_bus_power_w: FloatArray
    min_mean_voltage_v: FloatArray
    max_mean_voltage_v: FloatArray
    trace: FloatArray
    trace_system: FloatArray

    def pack_trace_frame(self, system_index: int = 0) -> pd.DataFrame:
        """Long-format DataFrame of one system's pack traces (time_s, pack, soc, …)."""
        tr = self.trace[system_index]
        n_out, n_packs = tr.shape[0], tr.shape[1]
        time_s = (np.arange(n_out) + 1) * self.output_interval_s
        frames = []
        for q in range(n_packs):
            frames.append(
                pd.DataFrame(
                    {
                        "time_s": time_s,
                        "pack": q,
                        "soc": tr[:, q, K.TR_SOC],
                        "temperature_c": tr[:, q, K.TR_TEMP],
                        "power_w": tr[:, q, K.TR_POWER],
                        "current_a": tr[:, q, K.TR_CURRENT],
                        "voltage_v": tr[:, q, K.TR_VOLTAGE],
                    }
                )
            )
        return pd.concat(frames, ignore_index=True)


def build_result(
    *,
    system: PackSystem,
    config_dt_s: float,
    output_interval_s: float,
    duration_s: float,
    A: FloatArray,
    B: FloatArray,
    S: FloatArray,
    P: FloatArray,
    stored_start_wh: FloatArray,
    stored_end_wh: FloatArray,
    soh_start: FloatArray,
    trace: FloatArray,
    trace_sys: FloatArray,
) -> SimulationResult:
    """Assemble a :class:`SimulationResult` from the engine's arrays."""
    del system
    throughput = B[:, K.B_DEL_DIS_WH] + B[:, K.B_DEL_CH_WH]
    balance = EnergyBalance(
        stored_start_wh=stored_start_wh.sum(axis=1),
        stored_end_wh=stored_end_wh.sum(axis=1),
        bus_net_wh=A[:, :, K.A_BUS_WH].sum(axis=1),
        converter_loss_wh=A[:, :, K.A_CONV_WH].sum(axis=1),
        ohmic_loss_wh=A[:, :, K.A_OHMIC_WH].sum(axis=1),
        polarisation_loss_wh=A[:, :, K.A_POL_WH].sum(axis=1),
        entropic_wh=A[:, :, K.A_ENTROPIC_WH].sum(axis=1),
        self_discharge_wh=A[:, :, K.A_SD_WH].sum(axis=1),
        fade_wh=A[:, :, K.A_FADE_WH].sum(axis=1),
        throughput_wh=throughput,
    )
    cap = S[:, :, K.S_CAP_AH]
    moved = np.isfinite(A[:, :, K.A_V_MEAN_MIN])
    return SimulationResult(
        duration_s=duration_s,
        dt_s=config_dt_s,
        output_interval_s=output_interval_s,
        balance=balance,
        requested_discharge_wh=B[:, K.B_REQ_DIS_WH].copy(),
        delivered_discharge_wh=B[:, K.B_DEL_DIS_WH].copy(),
        unmet_discharge_wh=B[:, K.B_UNMET_DIS_WH].copy(),
        requested_charge_wh=B[:, K.B_REQ_CH_WH].copy(),
        delivered_charge_wh=B[:, K.B_DEL_CH_WH].copy(),
        unmet_charge_wh=B[:, K.B_UNMET_CH_WH].copy(),
        pack_discharged_wh=A[:, :, K.A_E_DIS_WH].copy(),
        pack_charged_wh=A[:, :, K.A_E_CH_WH].copy(),
        pack_throughput_ah=A[:, :, K.A_AH].copy(),
        equivalent_full_cycles=A[:, :, K.A_AH] / (2.0 * cap),
        soh_start=soh_start,
        soh_end=cap / P[:, :, K.P_CAP_NEW_AH],
        resistance_growth_end=S[:, :, K.S_RG].copy(),
        soc_end=S[:, :, K.S_SOC].copy(),
        max_temperature_c=A[:, :, K.A_T_MAX].copy(),
        min_soc=A[:, :, K.A_SOC_MIN].copy(),
        overtemperature_s=A[:, :, K.A_OVERTEMP_S].copy(),
        deep_discharge_s=A[:, :, K.A_DEEP_S].copy(),
        max_discharge_power_w=A[:, :, K.A_P_DIS_MAX_W].copy(),
        max_charge_power_w=A[:, :, K.A_P_CH_MAX_W].copy(),
        max_bus_power_w=A[:, :, K.A_BUS_MAX_W].copy(),
        min_mean_voltage_v=np.where(moved, A[:, :, K.A_V_MEAN_MIN], np.nan),
        max_mean_voltage_v=np.where(moved, A[:, :, K.A_V_MEAN_MAX], np.nan),
        trace=trace,
        trace_system=trace_sys,
    )
