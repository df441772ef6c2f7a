"""The catalog of real EV pack and module models (one sourced TOML file per model)."""

from __future__ import annotations

import difflib
from functools import cache
from pathlib import Path

import numpy as np

from packlife._typing import FloatArray
from packlife.catalog.schema import PackModel, energy_mismatch
from packlife.chemistry import get_ageing_model, get_parameter_set
from packlife.datafiles import load_model
from packlife.errors import DataFileError, PacklifeError

DATA_DIR = Path(__file__).parent / "data"

__all__ = [
    "DATA_DIR",
    "PackModel",
    "ageing_vector",
    "energy_mismatch",
    "get_pack_model",
    "list_pack_models",
    "load_pack_model_file",
]


def load_pack_model_file(path: Path) -> PackModel:
    """Load and validate one catalog TOML file (schema, id = file stem, known parameter set)."""
    pack = load_model(path, PackModel)
    if pack.id != path.stem:
        raise DataFileError(path, [f"field 'id': must equal the file name stem {path.stem!r}"])
    try:
        get_parameter_set(pack.parameter_set)
    except PacklifeError as exc:
        raise DataFileError(path, [f"field 'parameter_set': {exc}"]) from None
    return pack


@cache
def _builtin() -> dict[str, PackModel]:
    return {p.stem: load_pack_model_file(p) for p in sorted(DATA_DIR.glob("*.toml"))}


def list_pack_models(kind: str | None = None) -> list[PackModel]:
    """All built-in catalog entries (optionally only ``kind`` 'pack' or 'module'), sorted by id."""
    return [p for p in _builtin().values() if kind is None or p.kind == kind]


def get_pack_model(model_id: str) -> PackModel:
    """Return the catalog entry ``model_id``; unknown ids raise with close matches suggested."""
    packs = _builtin()
    if model_id not in packs:
        close = difflib.get_close_matches(model_id, packs, n=3, cutoff=0.4)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise PacklifeError(f"unknown catalog id {model_id!r}{hint} (see `packlife catalog list`)")
    return packs[model_id]


@cache
def _ageing_vector(parameter_set: str) -> tuple[float, ...]:
    from packlife.models.ageing import ageing_parameter_vector

    pset = get_parameter_set(parameter_set)
    return tuple(ageing_parameter_vector(get_ageing_model(pset.ageing_model).parameters))


def ageing_vector(parameter_set: str) -> FloatArray:
    """Ageing parameter vector (:mod:`packlife.models.ageing` ``P_*`` indices) of a parameter set.

    A fresh array on every call: callers may scale it (e.g. with ``scale_rates``).
    """
    return np.asarray(_ageing_vector(parameter_set), dtype=np.float64)
