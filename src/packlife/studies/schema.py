"""Study files: a base scenario, parameters to vary (grids, Monte Carlo draws) and a seed.

A study is a TOML file validated by one pydantic schema; a malformed file fails with the file,
the field and what was expected (:class:`packlife.errors.DataFileError`, exit status 2)::

    [study]
    name = "packs-vs-supply"
    base = "jlr-test-site"        # built-in scenario, or a scenario TOML relative to this file
    seed = 42
    samples = 1                   # Monte Carlo draws per grid point

    [overrides]                   # applied to the base before anything varies
    "simulation.days" = 7

    [grid]                        # every combination of these values
    "bess.pack_count" = [5, 6, 7]
    "sources.site_supply.max_power_kw" = [11.0, 22.0, 44.0]

    [monte_carlo]                 # one draw per variant (seeded per variant)
    "bess.soh_offset" = { distribution = "uniform", low = -0.05, high = 0.0, per_pack = true }

Parameter names are dotted paths into the scenario (``sources.<name>`` addresses a source by its
name, ``bess.packs.<i>`` a pack by position) or one of the derived parameters in
:data:`packlife.studies.variants.DERIVED_PARAMETERS`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from packlife.datafiles import load_model, read_toml
from packlife.errors import DataFileError
from packlife.site.scenario import Scenario, load_scenario
from packlife.site.sessions import Session, read_sessions_csv

Scalar = bool | int | float | str


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Draw(_Strict):
    per_pack: bool = Field(
        False, description="an independent draw for every pack (bess.* parameters only)"
    )


class Uniform(_Draw):
    """Uniform on [low, high]."""

    distribution: Literal["uniform"]
    low: float
    high: float

    @model_validator(mode="after")
    def _order(self) -> Uniform:
        if self.high <= self.low:
            raise ValueError("high must be above low")
        return self


class Normal(_Draw):
    """Normal(mean, sd), optionally truncated to [low, high] (a truncated normal, not clipping)."""

    distribution: Literal["normal"]
    mean: float
    sd: float = Field(gt=0)
    low: float = float("-inf")
    high: float = float("inf")

    @model_validator(mode="after")
    def _order(self) -> Normal:
        if self.high <= self.low:
            raise ValueError("high must be above low")
        return self


class Triangular(_Draw):
    """Triangular on [low, high] with its peak at ``mode``."""

    distribution: Literal["triangular"]
    low: float
    mode: float
    high: float

    @model_validator(mode="after")
    def _order(self) -> Triangular:
        if not self.low <= self.mode <= self.high or self.low == self.high:
            raise ValueError("need low ≤ mode ≤ high and low < high")
        return self


class Choice(_Draw):
    """One of ``values`` (with optional ``weights``), e.g. a weather year or a controller."""

    distribution: Literal["choice"]
    values: list[Scalar] = Field(min_length=1)
    weights: list[float] | None = None

    @model_validator(mode="after")
    def _weights(self) -> Choice:
        if self.weights is not None and (
            len(self.weights) != len(self.values) or min(self.weights) < 0 or sum(self.weights) <= 0
        ):
            raise ValueError("weights must be one non-negative number per value, not all zero")
        return self


Distribution = Annotated[
    Uniform | Normal | Triangular | Choice, Field(discriminator="distribution")
]


class StudySettings(_Strict):
    """The ``[study]`` table."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$", description="also the default output folder")
    description: str = ""
    base: str = Field(description="built-in scenario name or scenario TOML (relative to the study)")
    seed: int = Field(0, ge=0)
    samples: int = Field(1, ge=1, le=1_000_000, description="Monte Carlo draws per grid point")
    vary_sessions: bool = Field(
        True, description="each Monte Carlo sample draws its own synthetic sessions"
    )
    batch_size: int | None = Field(None, ge=1, le=10_000, description="variants per task")
    timeseries: bool = Field(False, description="also write each variant's time series")
    end_soh: float = Field(
        0.6, gt=0.2, lt=1, description="pack end-of-life threshold for years-to-replacement"
    )


class Pareto(_Strict):
    """Two outcomes that trade; ``*_sense`` says which way is better."""

    x: str
    x_sense: Literal["min", "max"] = "min"
    y: str
    y_sense: Literal["min", "max"] = "max"


class ReportSettings(_Strict):
    """The ``[report]`` table: which outcomes the study report shows."""

    outcomes: list[str] = Field(
        default_factory=lambda: [
            "energy_to_vehicles_kwh",
            "vehicles_fully_charged",
            "diesel_litres_avoided",
            "co2_avoided_net_kg",
            "min_pack_soh_end",
            "years_to_first_replacement",
        ]
    )
    pareto: Pareto | None = None


class FleetSettings(_Strict):
    """The ``[fleet]`` table: many units of the base BESS aged for years on a representative day.

    Each unit has the base scenario's pack models; its packs' SoH and resistance growth are drawn
    from ``pack_soh`` / ``pack_resistance_growth`` (default: the base packs as measured).
    """

    units: int = Field(ge=1, le=10_000_000)
    years: float = Field(10.0, gt=0, le=30)
    step_s: float = Field(
        3600.0,
        ge=60,
        le=7200,
        description="fleet step [s]; run as a discharge and a charge half-step (engine ≤ 3600 s)",
    )
    check_interval_days: float = Field(
        30.0, ge=1, le=366, description="how often packs are checked against end_soh"
    )
    replace: bool = Field(True, description="replace a pack that reached end_soh by a new draw")
    units_per_task: int = Field(500, ge=1, le=1_000_000)
    pack_soh: Distribution | None = None
    pack_resistance_growth: Distribution | None = None


class StudyFile(_Strict):
    """A complete study file."""

    study: StudySettings
    overrides: dict[str, Scalar] = Field(default_factory=dict)
    grid: dict[str, list[Scalar]] = Field(default_factory=dict)
    monte_carlo: dict[str, Distribution] = Field(default_factory=dict)
    report: ReportSettings = ReportSettings()
    fleet: FleetSettings | None = None

    @model_validator(mode="after")
    def _consistent(self) -> StudyFile:
        for name, values in self.grid.items():
            if not values:
                raise ValueError(f"grid.{name!r} needs at least one value")
        both = set(self.grid) & set(self.monte_carlo)
        if both:
            raise ValueError(f"parameters both in grid and monte_carlo: {sorted(both)}")
        if self.fleet is not None and (self.grid or self.monte_carlo):
            raise ValueError(
                "a [fleet] study varies packs through fleet.pack_soh / "
                "fleet.pack_resistance_growth: leave [grid] and [monte_carlo] out"
            )
        return self


@dataclass(frozen=True)
class Study:
    """A loaded study: the file's settings, the validated base scenario and its fixed sessions.

    ``csv_sessions`` holds the base scenario's imported sessions (read once here, so workers of a
    remote cluster need no access to the file); None when sessions are synthetic.
    """

    spec: StudyFile
    base: Scenario
    path: Path
    csv_sessions: list[Session] | None

    @property
    def name(self) -> str:
        return self.spec.study.name


def load_study(
    path: Path | str, scenario_overrides: dict[str, Scalar] | None = None, **overrides: Any
) -> Study:
    """Load and validate a study TOML file.

    Parameters
    ----------
    path : Path or str
        The study file.
    scenario_overrides : dict, optional
        Extra ``[overrides]`` entries (e.g. ``{"simulation.days": 1}``), applied after the file's.
    **overrides
        Replace ``[study]`` settings (e.g. ``samples=10``) after reading the file.

    Raises
    ------
    DataFileError
        Naming the file, each bad field (or parameter) and what was expected.
    """
    from packlife.studies.variants import apply_overrides, check_parameters

    path = Path(path)
    data = read_toml(path)
    if overrides:
        table = data.setdefault("study", {})
        if isinstance(table, dict):
            table.update(overrides)
    if scenario_overrides:
        table = data.setdefault("overrides", {})
        if isinstance(table, dict):
            table.update(scenario_overrides)
    spec = load_model(path, StudyFile, data)
    base_ref = spec.study.base
    if base_ref.endswith(".toml"):
        base_ref = str((path.parent / base_ref).resolve())
    try:
        base, base_path = load_scenario(base_ref)
    except DataFileError:
        raise
    except Exception as exc:  # PacklifeError: unknown built-in name
        raise DataFileError(path, [f"field 'study.base': {exc}"]) from None
    base = apply_overrides(base, spec.overrides, path)
    csv_sessions = _csv_sessions(base, base_path)
    study = Study(spec=spec, base=base, path=path, csv_sessions=csv_sessions)
    check_parameters(study)
    return study


def _csv_sessions(base: Scenario, base_path: Path) -> list[Session] | None:
    v = base.vehicles
    if v is None or v.sessions_csv is None:
        return None
    return read_sessions_csv(
        base_path.parent / v.sessions_csv,
        base.simulation.start,
        v.fleet[0].vehicle_model,
        v.fleet[0].onboard_charger_kw,
    )
