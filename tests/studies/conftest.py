"""Small study files for the studies tests (1-day runs at 300 s)."""

from __future__ import annotations

from pathlib import Path

import pytest

SWEEP = """
[study]
name = "small-sweep"
base = "jlr-test-site"
seed = 3
samples = 2
batch_size = 2

[overrides]
"simulation.days" = 1
"simulation.step_s" = 300

[grid]
"bess.pack_count" = [5, 7]
"sources.site_supply.max_power_kw" = [11.0, 22.0]

[monte_carlo]
"bess.soh_offset" = { distribution = "uniform", low = -0.05, high = 0.0, per_pack = true }

[report]
pareto = { x = "usable_energy_kwh", x_sense = "min", y = "energy_to_vehicles_kwh", y_sense = "max" }
"""

FLEET = """
[study]
name = "small-fleet"
base = "jlr-test-site"
seed = 5
end_soh = 0.66

[overrides]
"simulation.days" = 1
"simulation.step_s" = 300

[fleet]
units = 4
years = 2
step_s = 3600
units_per_task = 2
pack_soh = { distribution = "uniform", low = 0.68, high = 0.85 }
"""


@pytest.fixture
def sweep_file(tmp_path: Path) -> Path:
    path = tmp_path / "sweep.toml"
    path.write_text(SWEEP, encoding="utf-8")
    return path


@pytest.fixture
def fleet_file(tmp_path: Path) -> Path:
    path = tmp_path / "fleet.toml"
    path.write_text(FLEET, encoding="utf-8")
    return path
