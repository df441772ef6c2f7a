"""EIS: known-answer fits on analytic Randles spectra, the high-frequency intercept, and real
BioLogic / coin-cell spectra (tests/data/cycler_formats)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from packlife.errors import DataFileError
from packlife.grading.batch import GradeContext, context_from_catalog, grade_file
from packlife.grading.eis import fit_randles, hf_intercept_ohm
from packlife.io.eis import Spectrum, read_eis

D = Path(__file__).parents[1] / "data" / "cycler_formats"


def randles(
    f: np.ndarray, r0: float, r1: float, q: float, a: float, aw: float, l_h: float = 0.0
) -> np.ndarray:
    """Z = jωL + R0 + R1‖CPE(Q, α) + A_W(1 − j)/√ω, written out here (not from the package)."""
    w = 2 * np.pi * f
    return 1j * w * l_h + r0 + 1 / (1 / r1 + q * (1j * w) ** a) + aw * (1 - 1j) / np.sqrt(w)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_known_randles_values_recovered_with_noise(seed: int) -> None:
    f = np.logspace(4, -2, 61)
    z = randles(f, 0.050, 0.100, 2.0, 0.85, 0.02)
    rng = np.random.default_rng(seed)
    z = z * (1 + 0.005 * rng.standard_normal(f.size))  # 0.5 % noise
    fit = fit_randles(Spectrum(f, z.real, z.imag, "syn"))
    assert fit.ok and fit.circuit == "R0-p(R1,CPE1)-W1"
    assert fit.r0_ohm == pytest.approx(0.050, rel=0.01)
    assert fit.r_ct_ohm == pytest.approx(0.100, rel=0.02)
    assert fit.cpe_alpha == pytest.approx(0.85, abs=0.02)
    assert fit.rel_residual_rms is not None and fit.rel_residual_rms < 0.01


def test_inductive_tail_intercept_and_fit() -> None:
    f = np.logspace(5, -1, 61)
    z = randles(f, 0.020, 0.030, 5.0, 0.9, 0.005, l_h=5e-8)
    spec = Spectrum(f, z.real, z.imag, "ind")
    r_int = hf_intercept_ohm(spec)
    assert r_int is not None and r_int == pytest.approx(0.020, rel=0.05)
    fit = fit_randles(spec)
    assert fit.ok and fit.circuit.startswith("L0-")
    assert fit.r0_ohm == pytest.approx(0.020, rel=0.01)


def test_refuses_without_an_arc_or_points() -> None:
    f = np.logspace(3, 1, 5)
    fit = fit_randles(Spectrum(f, np.ones(5), -np.ones(5), "few"))
    assert not fit.ok and "points" in fit.reason
    f = np.logspace(3, 0, 20)
    fit = fit_randles(Spectrum(f, np.ones(20), np.full(20, 0.1), "ind"))
    assert not fit.ok and "no capacitive arc" in fit.reason


def test_biologic_peis_mpr_and_mpt_read_alike() -> None:
    a, b = read_eis(D / "galvani_v1150_PEIS.mpr"), read_eis(D / "galvani_v1150_PEIS.mpt")
    assert len(a) == len(b) == 4 and all(s.freq_hz.size == 21 for s in a)
    np.testing.assert_allclose(a[0].z_real_ohm, b[0].z_real_ohm, rtol=1e-5)
    np.testing.assert_allclose(a[0].z_imag_ohm, b[0].z_imag_ohm, rtol=1e-5)
    assert a[0].z_imag_ohm.max() < 0 and a[0].z_real_ohm.min() == pytest.approx(12.5, abs=0.3)


def test_peis_arc_and_a_truncated_copy() -> None:
    """The PEIS sweep passes its arc top (−Im max 25.8 Ω at 457 Hz): R_ct is reported; cut at
    1 kHz, before the top, the fit keeps R0 but refuses R_ct and says why."""
    spec = read_eis(D / "galvani_v1150_PEIS.mpt")[0]
    fit = fit_randles(spec)
    assert fit.ok and fit.r0_ohm is not None and 11.0 < fit.r0_ohm < 12.8
    assert fit.r_ct_ohm is not None and 60.0 < fit.r_ct_ohm < 110.0
    hf = spec.freq_hz >= 1000.0
    cut = Spectrum(spec.freq_hz[hf], spec.z_real_ohm[hf], spec.z_imag_ohm[hf], "cut")
    fit = fit_randles(cut)
    assert fit.r_ct_ohm is None and "not closed" in fit.reason


def test_coin_cell_spectra_two_arcs_and_growth_with_cycling() -> None:
    spectra = read_eis(D / "autoeis_coin_cell_eis_5_spectra.csv")
    first, last = fit_randles(spectra[0]), fit_randles(spectra[-1])
    assert first.ok and last.ok
    assert "p(R2,CPE2)" in first.circuit  # one arc does not describe this cell
    assert last.r_ct_ohm is not None and first.r_ct_ohm is not None
    assert last.r_ct_ohm > 2 * first.r_ct_ohm  # the low-frequency resistance grew 1.86 → 4.05 Ω


def test_csv_with_positive_imaginary_part_is_refused(tmp_path: Path) -> None:
    p = tmp_path / "eis.csv"
    f = np.logspace(3, -1, 20)
    z = randles(f, 0.05, 0.1, 2.0, 0.85, 0.02)
    rows = "\n".join(f"{a},{b},{-c}" for a, b, c in zip(f, z.real, z.imag, strict=True))
    p.write_text("freq_hz,z_real_ohm,z_imag_ohm\n" + rows + "\n")
    with pytest.raises(DataFileError, match="minus_z_imag_ohm"):
        read_eis(p)
    p.write_text("freq_hz,z_real_ohm,minus_z_imag_ohm\n" + rows + "\n")
    assert read_eis(p)[0].z_imag_ohm.max() < 0


def test_grade_file_on_spectra_uses_r0_for_resistance_growth(tmp_path: Path) -> None:
    ctx = context_from_catalog("nissan_leaf_24kwh", "cell")
    assert ctx.reference_r0_mohm is not None
    f = np.logspace(4, -2, 50)
    r0 = 1.5 * ctx.reference_r0_mohm / 1000.0
    z = randles(f, r0, 2 * r0, 20.0, 0.85, 0.3 * r0)
    p = tmp_path / "cell.csv"
    p.write_text(
        "freq_hz,z_real_ohm,z_imag_ohm\n"
        + "\n".join(f"{a},{b},{c}" for a, b, c in zip(f, z.real, z.imag, strict=True))
    )
    (res,) = grade_file(p, ctx)
    assert res["format"] == "eis" and res["eis_fit_ok"] is True
    assert res["resistance_growth"] == pytest.approx(1.5, rel=0.01)
    assert res["soh"] is None
    plain = grade_file(p, GradeContext())[0]
    assert plain["resistance_growth"] is None and plain["r0_mohm"] == pytest.approx(
        1000 * r0, rel=0.01
    )
