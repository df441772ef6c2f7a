"""Chemistry parameter sets (OCV, equivalent circuit, thermal, derating, ageing) as data files."""

from __future__ import annotations

import difflib
from functools import cache
from pathlib import Path

from packlife.chemistry.schema import AgeingModel, ParameterSet
from packlife.datafiles import load_model
from packlife.errors import PacklifeError

DATA_DIR = Path(__file__).parent / "data"

__all__ = [
    "DATA_DIR",
    "AgeingModel",
    "ParameterSet",
    "get_ageing_model",
    "get_parameter_set",
    "list_ageing_models",
    "list_parameter_sets",
    "load_parameter_set_file",
]


def load_parameter_set_file(path: Path) -> ParameterSet:
    """Load and validate one parameter-set TOML file."""
    pset = load_model(path, ParameterSet)
    if pset.id != path.stem:
        from packlife.errors import DataFileError

        raise DataFileError(path, [f"field 'id': must equal the file name stem {path.stem!r}"])
    return pset


@cache
def _builtin() -> dict[str, ParameterSet]:
    return {p.stem: load_parameter_set_file(p) for p in sorted(DATA_DIR.glob("*.toml"))}


def list_parameter_sets() -> list[ParameterSet]:
    """All built-in parameter sets, sorted by id."""
    return list(_builtin().values())


def get_parameter_set(set_id: str) -> ParameterSet:
    """Return the built-in parameter set ``set_id``.

    Raises
    ------
    PacklifeError
        If no such set exists (with close matches suggested).
    """
    sets = _builtin()
    if set_id not in sets:
        close = difflib.get_close_matches(set_id, sets, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise PacklifeError(
            f"unknown chemistry parameter set {set_id!r}; known: {', '.join(sets)}{hint}"
        )
    return sets[set_id]


AGEING_DIR = DATA_DIR / "ageing"


@cache
def _builtin_ageing() -> dict[str, AgeingModel]:
    out = {}
    for p in sorted(AGEING_DIR.glob("*.toml")):
        model = load_model(p, AgeingModel)
        if model.id != p.stem:
            from packlife.errors import DataFileError

            raise DataFileError(p, [f"field 'id': must equal the file name stem {p.stem!r}"])
        out[p.stem] = model
    return out


def list_ageing_models() -> list[AgeingModel]:
    """All built-in ageing models, sorted by id."""
    return list(_builtin_ageing().values())


def get_ageing_model(model_id: str) -> AgeingModel:
    """Return the built-in ageing model ``model_id`` (unknown ids raise with close matches)."""
    models = _builtin_ageing()
    if model_id not in models:
        close = difflib.get_close_matches(model_id, models, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise PacklifeError(f"unknown ageing model {model_id!r}; known: {', '.join(models)}{hint}")
    return models[model_id]
