"""Scenario files: one declared schema (pydantic) for a site, its BESS, inputs, vehicles and impact.

A scenario is a TOML file; the built-in ones live in ``site/scenarios/`` and are addressed by name
(``packlife simulate jlr-test-site``). A malformed file fails with the file, the field and what was
expected (:class:`packlife.errors.DataFileError`).
"""

from __future__ import annotations

import difflib
from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from packlife.catalog import get_pack_model
from packlife.control.types import PackSplit, VehicleAlgorithm
from packlife.control.vehicles import VEHICLE_MODELS
from packlife.datafiles import STRICT_CONFIG, load_model, read_toml
from packlife.errors import DataFileError, PacklifeError
from packlife.simulation.system import PackSpec
from packlife.site.settings import (
    ControllerExtras,
    CustomVehicleModel,
    EconomicsSettings,
    ProfileRef,
    ProfileSettings,
    SiteLocation,
    WeatherSettings,
)

BUILTIN_DIR = Path(__file__).parent / "scenarios"


#: Shortest opening window of the synthetic session generator [h] (arrivals end 0.5 h early).
MIN_OPEN_WINDOW_H = 0.5


class _Strict(BaseModel):
    model_config = STRICT_CONFIG


def _check_hour_window(window: tuple[float, float]) -> tuple[float, float]:
    """A daily window ``(start, end)`` in local hours: both in 0–24, not empty."""
    start, end = window
    for name, h in (("start", start), ("end", end)):
        if not 0.0 <= h <= 24.0:
            raise ValueError(f"{name} hour {h} must lie within 0–24")
    if start % 24.0 == end % 24.0:
        raise ValueError(
            f"window [{start}, {end}) is empty (start equals end); omit it to mean always"
        )
    return window


class SimulationSettings(_Strict):
    """Duration, step and resolution of a run."""

    days: float = Field(7.0, gt=0, le=3660)
    step_s: float = Field(60.0, ge=1, le=3600)
    control_interval_s: float | None = Field(
        None, ge=1, le=86400, description="controller period [s]; default: one step"
    )
    output_interval_s: float = Field(900.0, ge=1, le=86400)
    start: datetime = Field(description="timezone-aware start of the run (ISO 8601)")
    ageing: bool = True
    seed: int = 1

    @field_validator("start")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("must be timezone-aware, e.g. 2024-06-03T00:00:00+01:00")
        if not 1990 <= value.year <= 2200:
            raise ValueError(f"year {value.year} is outside 1990–2200")
        return value

    @model_validator(mode="after")
    def _whole_steps(self) -> SimulationSettings:
        run_s = self.days * 86400.0
        for name, interval in (("step_s", self.step_s),
                               ("control_interval_s", self.control_interval_s),
                               ("output_interval_s", self.output_interval_s)):
            if interval is not None and interval > run_s:
                raise ValueError(
                    f"{name} = {interval:g} s is longer than the run ({run_s:g} s = {self.days:g} "
                    "days): the run would have no whole step; lengthen days or shorten the step"
                )
        return self


class Ambient(_Strict):
    """Ambient temperature: a daily sine around a mean [°C]."""

    mean_temperature_c: float = Field(15.0, ge=-40, le=50)
    daily_swing_c: float = Field(8.0, ge=0, le=30, description="peak-to-peak daily swing [K]")


class BessSettings(_Strict):
    """The BESS: packs from the catalog in their measured state, converters and efficiencies."""

    name: str = Field(min_length=1, max_length=200)
    packs: list[PackSpec] = Field(min_length=1, max_length=1000)
    soc_initial: float | None = Field(None, ge=0, le=1, description="overrides each pack's soc")
    output_efficiency: float = Field(0.975, gt=0.5, le=1, description="DC bus → vehicle")
    grid_inverter_efficiency: float = Field(0.97, gt=0.5, le=1, description="AC grid → DC bus")
    dc_inlet_efficiency: float = Field(0.99, gt=0.5, le=1, description="CCS inlet → DC bus")
    load_inverter_efficiency: float = Field(0.96, gt=0.5, le=1, description="DC bus → AC loads")
    enclosure_mass_kg: float = Field(
        0.0, ge=0, le=100_000, description="racks, converters and enclosure (for the mass total)"
    )

    @field_validator("packs")
    @classmethod
    def _known_packs(cls, packs: list[PackSpec]) -> list[PackSpec]:
        for i, p in enumerate(packs):
            try:
                get_pack_model(p.catalog_id)
            except PacklifeError as exc:
                raise ValueError(f"packs[{i}]: {exc}") from None
        return packs


class SourceSettings(_Strict):
    """A named input."""

    name: str = Field(pattern=r"^[a-z0-9_]+$")
    kind: Literal["grid", "dc_charger", "pv", "generator"]
    max_power_kw: float = Field(gt=0, le=5000)
    priority: int = 0
    peak_power_kwp: float | None = Field(None, gt=0, le=100_000, description="PV only")
    tilt_deg: float = Field(30.0, ge=0, le=90)
    azimuth_deg: float = Field(180.0, ge=0, le=360)
    available_hours: tuple[float, float] | None = Field(
        None, description="local hours [start, end) when the input is connected; default always"
    )
    dc_ac_ratio: float = Field(1.0, gt=0.5, le=2.0, description="PV only: DC kWp / inverter AC")
    mounting: str = Field("open_rack_glass_glass", description="PV only: SAPM mounting")
    measured_power: ProfileRef | None = Field(
        None, description="PV only: a measured AC power series instead of the PV model"
    )

    @field_validator("available_hours")
    @classmethod
    def _window(cls, value: tuple[float, float] | None) -> tuple[float, float] | None:
        return None if value is None else _check_hour_window(value)

    @model_validator(mode="after")
    def _pv(self) -> SourceSettings:
        if self.kind == "pv" and self.peak_power_kwp is None:
            raise ValueError("a pv source needs peak_power_kwp")
        return self


class FleetEntry(_Strict):
    """Vehicles of one model in the synthetic session generator."""

    vehicle_model: str
    share: float = Field(1.0, gt=0, le=1e6)
    onboard_charger_kw: float = Field(7.0, gt=0, le=50, description="AC charging rate (direct)")

    @field_validator("vehicle_model")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in VEHICLE_MODELS:
            close = difflib.get_close_matches(value, VEHICLE_MODELS, n=2)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise ValueError(
                f"unknown vehicle model {value!r}{hint} (known: {', '.join(VEHICLE_MODELS)})"
            )
        return value


class VehicleSettings(_Strict):
    """Outputs and the sessions: synthetic (generator settings) or imported (CSV)."""

    outputs: int = Field(9, ge=1, le=64)
    connector_max_kw: float = Field(50.0, gt=0, le=400)
    output_max_kw: list[float] | None = Field(
        None, description="per-output charger ratings [kW] (one per output); default all "
        "connector_max_kw"
    )
    models: list[CustomVehicleModel] = Field(
        default_factory=list, description="vehicle models defined here (usable by the fleet)"
    )
    fleet: list[FleetEntry] = Field(min_length=1)
    sessions_per_day_min: int = Field(6, ge=0, le=10_000)
    sessions_per_day_max: int = Field(12, ge=0, le=10_000)
    open_hour: float = Field(8.0, ge=0, lt=24)
    close_hour: float = Field(18.0, gt=0, le=24)
    arrival_soc_min: float = Field(0.1, ge=0, le=1)
    arrival_soc_max: float = Field(0.4, ge=0, le=1)
    target_soc: float = Field(0.9, gt=0, le=1)
    dwell_min_min: float = Field(40.0, gt=0, le=10_080)
    dwell_max_min: float = Field(90.0, gt=0, le=10_080)
    sessions_csv: str | None = Field(
        None,
        description="CSV (arrival,departure,energy_kwh[,vehicle_model]) instead of the generator",
    )

    @field_validator("models")
    @classmethod
    def _register(cls, models: list[CustomVehicleModel]) -> list[CustomVehicleModel]:
        register_vehicle_models(models)
        return models

    @model_validator(mode="after")
    def _ranges(self) -> VehicleSettings:
        if self.output_max_kw is not None:
            if len(self.output_max_kw) != self.outputs:
                raise ValueError(
                    f"output_max_kw needs one rating per output ({self.outputs}), "
                    f"got {len(self.output_max_kw)}"
                )
            if any(not 0 < p <= 400 for p in self.output_max_kw):
                raise ValueError("output_max_kw ratings must lie within (0, 400] kW")
        if self.sessions_per_day_max < self.sessions_per_day_min:
            raise ValueError("sessions_per_day_max must be ≥ sessions_per_day_min")
        if self.arrival_soc_max < self.arrival_soc_min:
            raise ValueError("arrival_soc_max must be ≥ arrival_soc_min")
        if self.target_soc <= self.arrival_soc_max:
            raise ValueError("target_soc must be above arrival_soc_max")
        if self.close_hour < self.open_hour + MIN_OPEN_WINDOW_H:
            raise ValueError(
                f"close_hour must be at least {MIN_OPEN_WINDOW_H} h after open_hour (arrivals end "
                "half an hour before closing)"
            )
        if self.dwell_max_min < self.dwell_min_min:
            raise ValueError("dwell_max_min must be ≥ dwell_min_min")
        return self


class LoadSettings(_Strict):
    """A site load besides vehicles (AC, via the BESS inverter): constant + open-hours part."""

    base_kw: float = Field(0.0, ge=0, le=10_000)
    open_hours_kw: float = Field(0.0, ge=0, le=10_000)
    open_hour: float = Field(8.0, ge=0, lt=24)
    close_hour: float = Field(18.0, gt=0, le=24)

    @model_validator(mode="after")
    def _window(self) -> LoadSettings:
        _check_hour_window((self.open_hour, self.close_hour))
        return self


class ControllerSettings(_Strict):
    """Controller choices (see :class:`packlife.control.types.ControllerConfig`)."""

    vehicle_algorithm: VehicleAlgorithm = "llf"
    pack_split: PackSplit = "usable_energy"
    min_output_power_kw: float = Field(3.0, ge=0, le=400)
    mpc_interval_s: float | None = Field(
        None,
        gt=0,
        le=3600,
        description="how often the MPC re-plans [s] (a multiple of the control interval; "
        "default: the control interval, at least 60 s)",
    )
    settings: ControllerExtras = Field(
        default_factory=ControllerExtras, description="export limit, deadband, ramp, MPC horizon"
    )


class ImpactSettings(_Strict):
    """Diesel baseline and emission factors (names from ``packlife impact --list-factors``)."""

    genset_rated_kw: float = Field(60.0, gt=0, le=5000)
    genset_min_load_fraction: float = Field(0.3, ge=0, lt=1)
    diesel_factor: str = "combustion_2p69"
    grid_intensity: str = "uk_2024_average"


class Scenario(_Strict):
    """A complete scenario file."""

    name: str = Field(min_length=1, max_length=200)
    description: str = Field(max_length=10_000)
    sources_of_numbers: list[str] = Field(
        default_factory=list, description="where the scenario's numbers come from"
    )
    simulation: SimulationSettings
    ambient: Ambient = Ambient()
    bess: BessSettings
    sources: list[SourceSettings] = Field(default_factory=list)
    vehicles: VehicleSettings | None = None
    loads: LoadSettings = LoadSettings()
    controller: ControllerSettings = ControllerSettings()
    impact: ImpactSettings = ImpactSettings()
    site: SiteLocation | None = None
    weather: WeatherSettings | None = None
    profiles: ProfileSettings = ProfileSettings()
    economics: EconomicsSettings = EconomicsSettings()

    @model_validator(mode="after")
    def _unique_sources(self) -> Scenario:
        names = [s.name for s in self.sources]
        if len(set(names)) != len(names):
            raise ValueError("source names must be unique")
        step = self.simulation.step_s
        ctrl = self.simulation.control_interval_s or step
        if abs(ctrl / step - round(ctrl / step)) > 1e-9:
            raise ValueError("simulation.control_interval_s must be a whole multiple of step_s")
        self._check_site_inputs()
        return self

    def _check_site_inputs(self) -> None:
        """PV needs weather (or a measured series); a grid limit needs a grid source."""
        for s in self.sources:
            if s.kind == "pv" and s.measured_power is None and self.weather is None:
                raise ValueError(
                    f"pv source {s.name!r} needs a [weather] section (a file, or example = "
                    '"pvlib_greensboro_tmy3") or measured_power'
                )
        prof = self.profiles
        if prof.grid_limit is not None:
            grids = [s.name for s in self.sources if s.kind == "grid"]
            wanted = prof.grid_limit_source or (grids[0] if grids else None)
            if wanted not in grids:
                raise ValueError(
                    "profiles.grid_limit needs a grid source (grid_limit_source names one of: "
                    f"{', '.join(grids) or 'none'})"
                )


def register_vehicle_models(models: list[CustomVehicleModel]) -> None:
    """Add a scenario's vehicle models to the process-wide table the fleet and the loop use.

    A model whose id is already known is accepted only if it is the same model (a scenario loaded
    twice); redefining a built-in or another scenario's model differently is refused.
    """
    from packlife.control.vehicles import VehicleModel

    for m in models:
        new = VehicleModel(
            id=m.id,
            name=m.name,
            usable_energy_kwh=m.usable_energy_kwh,
            soc=tuple(m.soc),
            dc_power_kw=tuple(m.dc_power_kw),
            sources=tuple(m.sources),
            estimated="defined in a scenario file",
        )
        old = VEHICLE_MODELS.get(m.id)
        if old is not None and old != new:
            raise ValueError(f"vehicle model {m.id!r} already exists with other values; rename it")
        VEHICLE_MODELS[m.id] = new


def revalidate(scenario: Scenario, source: str | Path = "command line") -> Scenario:
    """Validate a scenario changed in code (e.g. by command-line overrides) against the schema.

    Raises
    ------
    DataFileError
        Naming ``source`` and each field that the change made invalid.
    """
    from pydantic import ValidationError

    from packlife.datafiles import describe_validation_error

    try:
        return Scenario.model_validate(scenario.model_dump())
    except ValidationError as exc:
        raise DataFileError(source, describe_validation_error(exc)) from None


def builtin_scenarios() -> list[str]:
    """Names of the built-in scenarios."""
    return sorted(p.stem for p in BUILTIN_DIR.glob("*.toml"))


def load_scenario(name_or_path: str) -> tuple[Scenario, Path]:
    """Load a built-in scenario by name or a scenario TOML file by path.

    Returns the validated scenario and the file it came from (relative ``sessions_csv`` paths are
    resolved against that file's folder).
    """
    path = Path(name_or_path)
    if not path.suffix:
        candidate = BUILTIN_DIR / f"{name_or_path}.toml"
        if not candidate.exists():
            close = difflib.get_close_matches(name_or_path, builtin_scenarios(), n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise PacklifeError(
                f"unknown scenario {name_or_path!r}{hint}; built-in: "
                f"{', '.join(builtin_scenarios())} "
                "(or give a path to a .toml file)"
            )
        path = candidate
    if not path.exists():
        raise DataFileError(path, ["file not found"])
    data = read_toml(path)
    return resolve_paths(load_model(path, Scenario, data), path.parent), path


def resolve_paths(sc: Scenario, base: Path) -> Scenario:
    """``sc`` with the weather and profile file paths made absolute against ``base``."""

    def absolute(name: str) -> str:
        return str((base / name).resolve()) if not Path(name).is_absolute() else name

    weather = sc.weather
    if weather is not None and weather.file is not None:
        weather = weather.model_copy(update={"file": absolute(weather.file)})
    profiles = sc.profiles.model_copy(
        update={
            key: ref.model_copy(update={"file": absolute(ref.file)})
            for key in ("load", "grid_limit", "price_import", "price_export")
            if (ref := getattr(sc.profiles, key)) is not None
        }
    )
    sources = [
        s.model_copy(
            update={"measured_power": s.measured_power.model_copy(
                update={"file": absolute(s.measured_power.file)})}
        )
        if s.measured_power is not None
        else s
        for s in sc.sources
    ]
    return sc.model_copy(update={"weather": weather, "profiles": profiles, "sources": sources})
