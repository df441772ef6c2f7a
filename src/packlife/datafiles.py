"""Loading TOML data files into pydantic models; errors name the file, field and expectation."""

from __future__ import annotations

import math
import tomllib
from pathlib import Path
from typing import Annotated, TypeVar

from pydantic import AllowInfNan, BaseModel, ConfigDict, Field, ValidationError

from packlife.errors import DataFileError

M = TypeVar("M", bound=BaseModel)

#: A float that must be finite (``inf``/``nan`` are refused with the field named).
FiniteFloat = Annotated[float, AllowInfNan(False)]
#: Model config of every user-facing schema: unknown fields and non-finite numbers refused.
STRICT_CONFIG = ConfigDict(extra="forbid", allow_inf_nan=False)


class Source(BaseModel):
    """A reference and what it supports."""

    model_config = ConfigDict(extra="forbid")
    url: str = Field(min_length=8, description="URL or DOI of the source")
    supports: str = Field(min_length=3, description="which values this source supports")


class EstimatedField(BaseModel):
    """A value that is an estimate rather than a published figure, and why."""

    model_config = ConfigDict(extra="forbid")
    field: str
    reason: str = Field(min_length=3)


def _short(value: object, limit: int = 60) -> str:
    """``repr(value)`` cut to ``limit`` characters (an error never echoes a whole input)."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe_validation_error(exc: ValidationError) -> list[str]:
    """Turn a pydantic ``ValidationError`` into one line per problem: ``field: expected``."""
    lines = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
        msg = err["msg"]
        if err["type"] == "missing":
            msg = "required field is missing"
        elif "input" in err and err["type"] not in ("extra_forbidden",):
            msg = f"{msg} (got {_short(err['input'])})"
        if err["type"] == "extra_forbidden":
            msg = "unknown field (check the spelling against the schema)"
        lines.append(f"field '{loc}': {msg}")
    return lines


def read_toml(path: Path) -> dict[str, object]:
    """Read a TOML file, raising :class:`DataFileError` for unreadable or malformed files."""
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise DataFileError(path, ["file not found"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise DataFileError(path, [f"not valid TOML: {exc}"]) from None
    except UnicodeDecodeError:
        raise DataFileError(path, ["not a UTF-8 text file"]) from None
    except IsADirectoryError:
        raise DataFileError(path, ["is a folder, expected a TOML file"]) from None
    except OSError as exc:
        raise DataFileError(path, [f"cannot be read: {exc.strerror or exc}"]) from None


def load_model(path: Path, model: type[M], data: dict[str, object] | None = None) -> M:
    """Validate a TOML file (or already-read ``data``) against ``model``.

    Raises
    ------
    DataFileError
        Naming the file, each bad field and what was expected.
    """
    raw = read_toml(path) if data is None else data
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise DataFileError(path, describe_validation_error(exc)) from None


def finite_or_none(value: object) -> float | None:
    """A finite float, or ``None`` for missing, non-numeric or non-finite values (JSON has no
    NaN)."""
    if value is None:
        return None
    try:
        out = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return out if math.isfinite(out) else None
