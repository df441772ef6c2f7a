"""The catalog of real EV pack and module models (one sourced TOML file per model)."""

from __future__ import annotations

import difflib
from functools import cache
from pathlib import Path

from packlife.catalog.schema import PackModel, energy_mismatch
from packlife.chemistry import get_parameter_set
from packlife.datafiles import load_model
from packlife.errors import DataFileError, PacklifeError

DATA_DIR = Path(__file__).parent / "data"

__all__ = [
    "DATA_DIR",
    "PackModel",
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
