"""Array layouts of the compiled engine: index constants of the per-pack parameter, state,
accumulator, limit and scratch vectors, and the engine's numerical settings.

:mod:`packlife.simulation.system` builds the arrays; :mod:`packlife.simulation.kernel` and
:mod:`packlife.simulation.limits` index them with these names.
"""

from __future__ import annotations

# ---- per-pack parameters: P[n_sys, n_packs, N_P] ----
(
    P_SET, P_SERIES, P_R_SCALE, P_C_SCALE, P_CAP_NEW_AH, P_V_MIN, P_V_MAX, P_I_DIS_MAX, P_I_CH_MAX,
    P_SOC_MIN, P_SOC_MAX, P_HEAT_CAP, P_G_PASSIVE, P_G_ACTIVE, P_COOL_ON_C, P_CONV_RATED_W,
    P_CONV_K0, P_CONV_K1, P_CONV_K2, P_T_MAX_C, P_JOINED, P_P_DIS_MAX_W, P_P_CH_MAX_W,
    P_DOCV_DSOC_MAX,
) = range(24)
N_P = 24
# (P_DOCV_DSOC_MAX: the steepest 25 °C OCV slope of the pack's table [V per unit SoC].)

# ---- per-pack state: S[n_sys, n_packs, N_S] ----
(
    S_SOC, S_TEMP, S_V1, S_V2, S_QCAL, S_QCYC, S_RG, S_CAP_AH, S_HC_START, S_EXT, S_DIR, S_DOD,
    S_AGE_T, S_AGE_SOC, S_AGE_TEMP, S_AGE_AH,
) = range(16)
N_S = 16

# ---- per-pack accumulators: A[n_sys, n_packs, N_A] (energies in Wh) ----
(
    A_E_DIS_WH, A_E_CH_WH, A_BUS_WH, A_CONV_WH, A_OHMIC_WH, A_POL_WH, A_ENTROPIC_WH, A_SD_WH,
    A_FADE_WH, A_AH, A_T_MAX, A_SOC_MIN, A_OVERTEMP_S, A_DEEP_S,
    A_P_DIS_MAX_W, A_P_CH_MAX_W, A_BUS_MAX_W, A_V_MEAN_MIN, A_V_MEAN_MAX,
) = range(19)
N_A = 19
# (A_P_*_MAX_W: largest terminal power of a step per direction; A_BUS_MAX_W: largest bus power
# magnitude; A_V_MEAN_*: extremes of the step-mean terminal voltage over steps with current.)

# ---- per-system accumulators: B[n_sys, N_B] (Wh) ----
B_REQ_DIS_WH, B_REQ_CH_WH, B_DEL_DIS_WH, B_DEL_CH_WH, B_UNMET_DIS_WH, B_UNMET_CH_WH = range(6)
N_B = 6

# ---- pack trace fields: mean over each output interval ----
TR_SOC, TR_TEMP, TR_POWER, TR_CURRENT, TR_VOLTAGE = range(5)
N_TR = 5
# ---- system trace fields ----
TS_REQUEST, TS_DELIVERED = range(2)
N_TS = 2

# ---- limits output: L[n_sys, n_packs, N_L] ----
(
    L_BUS_DIS_W, L_BUS_CH_W, L_E_DIS_WH, L_E_CH_WH, L_DERATE_DIS, L_DERATE_CH, L_WHY_DIS, L_WHY_CH,
) = range(8)
N_L = 8

HALF_CYCLE_MIN_SWING = 0.01
#: The current solve iterates (at least two passes) until the current changes by less than this
#: fraction, so the power delivered equals the power asked to ~1e-12 whatever the step.
SOLVE_TOLERANCE = 1e-12
SOLVE_MAX_PASSES = 12
#: The voltage limit's current is settled until the step-mean voltage is within this fraction
#: of the limit (:func:`voltage_limited_power_w`); Newton needs one or two passes.
LIMIT_TOLERANCE = 1e-12
LIMIT_MAX_PASSES = 16
#: Floating-point relaxations that keep NaN/inf semantics (the accumulators start at ±inf).
FASTMATH = {"nsz", "arcp", "contract", "afn", "reassoc"}
# ---- why a pack delivered less than its setpoint (physics, inside the step): SH[..., N_SH] ----
SH_ELECTRICAL, SH_SOC_WINDOW, SH_CONVERTER, SH_CONVERTER_MIN, SH_NOT_JOINED = range(5)
N_SH = 5
SHORTFALL_REASONS = (
    "voltage / current limit",
    "SoC window",
    "converter rating",
    "below converter minimum power",
    "pack not joined",
)
DEEP_DISCHARGE_MARGIN = 0.02

# ---- per-step scratch of one pack: C[N_C] ----
(
    C_OCV_T, C_OCV25, C_R0, C_R1, C_C1, C_R2, C_C2, C_DUDT, C_E_NOW, C_SOI, C_SOW, C_TJ, C_TW,
    C_E_END, C_ACTIVE, C_D1, C_D2, C_VBAR, C_RBAR, C_LOSS, C_PBATT, C_CURRENT, C_OCV_AVG,
    C_DSOC_PER_A, C_DOCV_DSOC,
) = range(25)
N_C = 25
