"""Fade fit from repeated capacity checks and the forecast to the end threshold."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from packlife.grading.fade import fit_fade
from packlife.io.checks_csv import read_capacity_checks


def test_known_power_law_forecast_within_its_interval() -> None:
    """soh = 0.8 − 4e-4·d^0.75 with 2e-3 noise, 13 checks over 2 years: the forecast of the
    day it reaches 0.6 (true 3,969 d, five times beyond the data) lies within ±25 % and the 1σ
    interval brackets it for most noise draws."""
    true = (0.2 / 4e-4) ** (1 / 0.75)
    inside, errs = 0, []
    for seed in range(10):
        rng = np.random.default_rng(seed)
        d = np.arange(0, 730, 60.0)
        s = 0.8 - 4e-4 * d**0.75 + 0.002 * rng.standard_normal(d.size)
        f = fit_fade(d, s, 0.6)
        assert f.ok and f.end_day is not None and f.end_day_low is not None
        assert f.end_day_high is not None
        errs.append(abs(f.end_day / true - 1))
        inside += f.end_day_low <= true <= f.end_day_high
    assert np.median(errs) < 0.25
    assert inside >= 5


def test_linear_with_three_checks_and_refusals() -> None:
    f = fit_fade(np.array([0.0, 100.0, 200.0]), np.array([0.80, 0.79, 0.78]), 0.6)
    assert f.ok and f.z == 1.0 and f.end_day == pytest.approx(2000.0, rel=1e-6)
    assert f.fade_per_year == pytest.approx(0.0365, rel=1e-3)
    assert "needs ≥ 3" in fit_fade(np.array([0.0, 9.0]), np.array([0.8, 0.79]), 0.6).reason
    flat = fit_fade(np.arange(5.0) * 90, np.full(5, 0.8), 0.6)
    assert not flat.ok and "no measurable fade" in flat.reason
    done = fit_fade(np.array([0.0, 50.0, 100.0]), np.array([0.59, 0.58, 0.57]), 0.6)
    assert done.end_day == 0.0


def test_checks_csv_and_cli(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    from packlife.cli.main import main

    p = tmp_path / "checks.csv"
    p.write_text(
        "serial,date,soh\nP1,2024-01-01,0.80\nP1,2024-04-10,0.79\nP1,2024-07-19,0.78\n"
        "P2,2024-01-01,0.75\nP2,2024-06-01,0.75\n"
    )
    units = list(read_capacity_checks(p))
    assert [u.serial for u in units] == ["P1", "P2"]
    np.testing.assert_allclose(units[0].day, [0.0, 100.0, 200.0])
    assert units[0].duty == {} and units[0].catalog_id is None
    monkeypatch.setattr(sys, "argv", ["packlife", "grade", "fade", str(p), "--json"])
    with pytest.raises(SystemExit) as exc:
        main()
    assert exc.value.code in (0, None)
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["days_to_end_threshold"] == pytest.approx(2000.0, rel=1e-3)
    assert rows[1]["forecast_ok"] is False and "needs ≥ 3" in rows[1]["reason"]
    assert rows[0]["ageing_rate_factor"] is None and "no catalog_id" in rows[0]["law_reason"]
    bad = tmp_path / "bad.csv"
    bad.write_text("serial,date,soh\nP1,yesterday,0.8\n")
    monkeypatch.setattr(sys, "argv", ["packlife", "grade", "fade", str(bad)])
    with pytest.raises(SystemExit) as exc:
        main()
    assert exc.value.code == 2 and "ISO 8601" in capsys.readouterr().err
