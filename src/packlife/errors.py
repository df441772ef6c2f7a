"""Error types. Every user-facing error is a :class:`PacklifeError` with a message that names
the file, the field and what was expected; the CLI prints it without a traceback."""

from __future__ import annotations

from pathlib import Path


class PacklifeError(Exception):
    """Base class of errors caused by user input (files, parameters), printed without traceback."""


class DataFileError(PacklifeError):
    """A data file (catalog entry, parameter set, scenario, test record) is malformed.

    Parameters
    ----------
    path : str or Path
        The file at fault.
    problems : list of str
        One line per problem, each naming the field and what was expected.
    """

    def __init__(self, path: str | Path, problems: list[str]) -> None:
        self.path = str(path)
        self.problems = list(problems)
        joined = "; ".join(self.problems)
        super().__init__(f"{self.path}: {joined}")


class MissingToolError(PacklifeError):
    """A program or optional package that reading the input needs is not installed (e.g.
    ``mdb-export`` for Arbin ``.res`` files). Unlike a bad file, it stops a whole batch: every
    further file of that kind would fail the same way (exit status 2, with the install hint)."""


class ConsistencyError(PacklifeError, ValueError):
    """Parameters that are individually valid but impossible together."""


class InfeasibleError(PacklifeError):
    """A request that no solution can satisfy; the message names the binding constraint."""
