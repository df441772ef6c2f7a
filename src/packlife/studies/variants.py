"""Variants of a study: grid combinations × Monte Carlo samples, each a validated scenario.

Variant ``i`` is grid point ``i // samples`` (mixed-radix over the grid parameters in file order)
and sample ``i % samples``. Monte Carlo parameter ``k`` is drawn from
``numpy.random.default_rng([seed, sample, k])``: a variant is the same whatever order, batch or
worker runs it, no list of variants is ever held in memory, and every grid point sees the same
draws for a given sample (common random numbers, so grid differences are not masked by sampling
noise). A variant is keyed by a hash of its resolved scenario.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError

from packlife import __version__
from packlife.datafiles import describe_validation_error
from packlife.errors import DataFileError, PacklifeError
from packlife.site.scenario import Scenario
from packlife.site.sessions import Session, synthetic_sessions
from packlife.studies.schema import Choice, Distribution, Normal, Scalar, Study, Triangular

#: Parameters that are not a single scenario field, and what they do.
DERIVED_PARAMETERS = {
    "bess.pack_count": "number of packs: the base packs in order, repeated cyclically if more",
    "bess.soh_offset": "added to every pack's SoH (per_pack: one draw per pack) [fraction]",
    "bess.resistance_growth_factor": "multiplies every pack's resistance growth [factor]",
    "vehicles.sessions_per_day_scale": "multiplies sessions_per_day_min/max (rounded) [factor]",
}
#: Derived parameters are applied in this order, before the plain scenario fields.
_DERIVED_ORDER = list(DERIVED_PARAMETERS)


@dataclass(frozen=True)
class Variant:
    """One variant: its index, parameter values, scenario and key."""

    index: int
    grid_index: int
    sample: int
    params: dict[str, Any]
    scenario: Scenario
    key: str


def n_grid_points(study: Study) -> int:
    """Number of grid combinations (1 without a grid)."""
    return math.prod(len(v) for v in study.spec.grid.values())


def n_variants(study: Study) -> int:
    """Number of variants: grid points × Monte Carlo samples."""
    return n_grid_points(study) * study.spec.study.samples


def grid_values(study: Study, grid_index: int) -> dict[str, Scalar]:
    """The grid parameter values of grid point ``grid_index`` (last parameter varies fastest)."""
    values: dict[str, Scalar] = {}
    rest = grid_index
    for name, levels in reversed(list(study.spec.grid.items())):
        rest, k = divmod(rest, len(levels))
        values[name] = levels[k]
    return dict(reversed(list(values.items())))


def draw(dist: Distribution, rng: np.random.Generator, size: int | None) -> Any:
    """One draw (or ``size`` draws) from ``dist``."""
    if isinstance(dist, Choice):
        p = None if dist.weights is None else np.asarray(dist.weights) / sum(dist.weights)
        idx = rng.choice(len(dist.values), size=size, p=p)
        return dist.values[int(idx)] if size is None else [dist.values[int(i)] for i in idx]
    if isinstance(dist, Normal):
        from scipy.stats import truncnorm

        a, b = (dist.low - dist.mean) / dist.sd, (dist.high - dist.mean) / dist.sd
        x = truncnorm.rvs(a, b, loc=dist.mean, scale=dist.sd, size=size or 1, random_state=rng)
    elif isinstance(dist, Triangular):
        x = rng.triangular(dist.low, dist.mode, dist.high, size=size or 1)
    else:
        x = rng.uniform(dist.low, dist.high, size=size or 1)
    return float(x[0]) if size is None else [float(v) for v in x]


def make_variant(study: Study, index: int) -> Variant:
    """Build variant ``index`` (0 ≤ index < :func:`n_variants`)."""
    samples = study.spec.study.samples
    grid_index, sample = divmod(index, samples)
    params: dict[str, Any] = dict(grid_values(study, grid_index))
    seed = study.spec.study.seed
    data = study.base.model_dump(mode="python")
    _apply_all(data, params, study.path, index)
    n_packs = len(data["bess"]["packs"])
    for k, (name, dist) in enumerate(study.spec.monte_carlo.items()):
        rng = np.random.default_rng([seed, sample, k])
        params[name] = draw(dist, rng, n_packs if dist.per_pack else None)
    if samples > 1 and study.spec.study.vary_sessions and study.csv_sessions is None:
        rng = np.random.default_rng([seed, sample, len(study.spec.monte_carlo)])
        params["simulation.seed"] = int(rng.integers(0, 2**31 - 1))
    data = study.base.model_dump(mode="python")
    _apply_all(data, params, study.path, index)
    scenario = _validate(data, study.path, f"variant {index} ({_short(params)})")
    return Variant(index, grid_index, sample, params, scenario, variant_key(scenario))


def variant_key(scenario: Scenario) -> str:
    """A stable hash of a resolved scenario and the packlife version (16 hex digits)."""
    blob = json.dumps(
        {"scenario": scenario.model_dump(mode="json"), "packlife": __version__}, sort_keys=True
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def variant_sessions(study: Study, scenario: Scenario) -> list[Session]:
    """The sessions of a variant: the study's imported ones, else synthetic from its settings."""
    if scenario.vehicles is None:
        return []
    if study.csv_sessions is not None:
        return list(study.csv_sessions)
    return synthetic_sessions(scenario.vehicles, scenario.simulation.days, scenario.simulation.seed)


def apply_overrides(base: Scenario, overrides: dict[str, Scalar], path: Path) -> Scenario:
    """The base scenario with the study's ``[overrides]`` applied and validated."""
    if not overrides:
        return base
    data = base.model_dump(mode="python")
    for name, value in overrides.items():
        _apply_one(data, name, value, path, f"overrides.{name!r}")
    return _validate(data, path, "overrides")


def check_parameters(study: Study) -> None:
    """Apply each grid value and each distribution's bounds to the base alone, so a bad name or
    value fails at load time naming its field rather than in the middle of a run."""
    for name, levels in study.spec.grid.items():
        for k, value in enumerate(levels):
            data = study.base.model_dump(mode="python")
            where = f"grid.{name!r}[{k}]"
            _apply_one(data, name, value, study.path, where)
            _validate(data, study.path, where)
    for name, dist in study.spec.monte_carlo.items():
        if dist.per_pack and not name.startswith("bess."):
            raise DataFileError(
                study.path, [f"field 'monte_carlo.{name}.per_pack': only for bess.* parameters"]
            )
        for value in _probe_values(dist):
            data = study.base.model_dump(mode="python")
            where = f"monte_carlo.{name!r}"
            _apply_one(data, name, value, study.path, where)
            _validate(data, study.path, where)


def _probe_values(dist: Distribution) -> list[Any]:
    if isinstance(dist, Choice):
        return list(dist.values)
    if isinstance(dist, Normal):
        return [dist.mean] + [v for v in (dist.low, dist.high) if math.isfinite(v)]
    return [dist.low, dist.high]


def _apply_all(data: dict[str, Any], params: dict[str, Any], path: Path, index: int) -> None:
    ordered = sorted(params, key=lambda n: _DERIVED_ORDER.index(n) if n in _DERIVED_ORDER else 99)
    for name in ordered:
        _apply_one(data, name, params[name], path, f"variant {index}: {name!r}")


def _apply_one(data: dict[str, Any], name: str, value: Any, path: Path, where: str) -> None:
    """Set parameter ``name`` to ``value`` in a scenario dict (in place)."""
    try:
        if name in DERIVED_PARAMETERS:
            _apply_derived(data, name, value)
        else:
            _set_path(data, name.split("."), value)
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        raise DataFileError(path, [f"{where}: {exc}"]) from None


def _apply_derived(data: dict[str, Any], name: str, value: Any) -> None:
    packs: list[dict[str, Any]] = data["bess"]["packs"]
    if name == "bess.pack_count":
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"expected a whole number of packs ≥ 1, got {value!r}")
        base = list(packs)
        new = []
        for i in range(value):
            p = dict(base[i % len(base)])
            if i >= len(base) and p.get("serial"):
                p["serial"] = f"{p['serial']}-copy{i // len(base)}"
            new.append(p)
        data["bess"]["packs"] = new
        return
    if name == "vehicles.sessions_per_day_scale":
        v = data.get("vehicles")
        if v is None:
            raise ValueError("the base scenario has no [vehicles] section")
        lo, hi = v["sessions_per_day_min"], v["sessions_per_day_max"]
        v["sessions_per_day_min"] = int(round(lo * float(value)))
        v["sessions_per_day_max"] = int(round(hi * float(value)))
        return
    values = value if isinstance(value, list) else [value] * len(packs)
    if len(values) < len(packs):
        raise ValueError(f"{len(values)} per-pack values for {len(packs)} packs")
    for i, p in enumerate(packs):
        if name == "bess.soh_offset":
            soh = float(p["soh"]) + float(values[i])
            if not 0.2 < soh <= 1.0:
                raise ValueError(
                    f"pack {i} SoH {p['soh']:.3f} + offset {float(values[i]):+.3f} = {soh:.3f} "
                    "leaves (0.2, 1]; narrow the distribution (values are refused, not clipped)"
                )
            p["soh"] = soh
        else:
            p["resistance_growth"] = float(p["resistance_growth"]) * float(values[i])


def _set_path(node: Any, parts: list[str], value: Any) -> None:
    head, rest = parts[0], parts[1:]
    if isinstance(node, list):
        if head.isdigit():
            child_key: int | str = int(head)
            if int(head) >= len(node):
                raise IndexError(f"index {head} but only {len(node)} entries")
        else:
            names = [e.get("name") for e in node if isinstance(e, dict)]
            if head not in names:
                raise KeyError(f"no entry named {head!r} (have: {', '.join(map(str, names))})")
            child_key = names.index(head)
        if not rest:
            node[int(child_key)] = value
            return
        _set_path(node[int(child_key)], rest, value)
        return
    if not isinstance(node, dict):
        raise TypeError(f"cannot address {head!r} inside a value")
    if head not in node:
        known = ", ".join(sorted(node)) + (
            f"; derived: {', '.join(DERIVED_PARAMETERS)}" if "bess" in node else ""
        )
        raise KeyError(f"unknown parameter part {head!r} (known here: {known})")
    if not rest:
        node[head] = value
        return
    if node[head] is None:
        raise ValueError(f"{head!r} is not set in the base scenario")
    _set_path(node[head], rest, value)


def _validate(data: dict[str, Any], path: Path, where: str) -> Scenario:
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        lines = describe_validation_error(exc)
        raise DataFileError(path, [f"{where}: {line}" for line in lines]) from None
    except PacklifeError as exc:
        raise DataFileError(path, [f"{where}: {exc}"]) from None


def _short(params: dict[str, Any]) -> str:
    def fmt(v: Any) -> str:
        if isinstance(v, float):
            return f"{v:.4g}"
        if isinstance(v, list):
            return "[" + ", ".join(fmt(x) for x in v) + "]"
        return str(v)

    return ", ".join(f"{k}={fmt(v)}" for k, v in params.items())
