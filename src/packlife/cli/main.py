"""Entry point of the ``packlife`` command: one error path for every command.

* A user error (:class:`packlife.errors.PacklifeError`, a file that cannot be read or written, a
  missing optional dependency) prints one short paragraph and exits with status 2.
* An unexpected internal error prints one line, writes the traceback to a log file in the user
  log directory and says where; exit status 1.
* Every printed text has its credentials masked and its rich markup escaped.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import sys
import traceback
from pathlib import Path

import typer

from packlife import __version__
from packlife.cli import (
    catalog,
    claims,
    design,
    grade,
    impact,
    registry,
    scenario,
    serve,
    serve_admin,  # noqa: F401  (registers serve users / api / report)
    simulate,
    study,
)
from packlife.cli._common import err_console, safe
from packlife.errors import PacklifeError
from packlife.redact import mask_secrets

#: Optional dependency (top-level import name) → the extra that installs it.
EXTRA_OF_MODULE = {
    "sqlalchemy": "db", "alembic": "db", "psycopg": "db",
    "highspy": "opt", "pvlib": "opt",
    "galvani": "grading", "newarenda": "grading", "openpyxl": "grading", "impedance": "eis",
    "fastapi": "api", "uvicorn": "api", "uvloop": "api", "httptools": "api",
    "ocpp": "serve", "pymodbus": "serve", "paho": "serve", "aiomqtt": "serve",
    "websockets": "serve", "sunspec2": "serve",
    "dask": "fleet", "distributed": "fleet", "matplotlib": "fleet",
}
#: Environment variable that overrides where crash logs go.
LOG_DIR_ENV = "PACKLIFE_LOG_DIR"

app = typer.Typer(
    rich_markup_mode=None,
    help="packlife — second-life EV battery storage: grade, design, simulate, operate, prove,"
    " track.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(catalog.app, name="catalog")
app.add_typer(impact.app, name="impact")
app.add_typer(registry.app, name="registry")
app.add_typer(grade.app, name="grade")
app.command("simulate")(simulate.simulate_cmd)
app.command("design")(design.design_cmd)
app.add_typer(serve.app, name="serve")
app.command("claims")(claims.claims_cmd)
app.add_typer(scenario.app, name="scenario")
app.add_typer(study.app, name="study")
app.command("compare")(study.compare_cmd)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"packlife {__version__}")
        raise typer.Exit()


class _MaskingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return mask_secrets(super().format(record))


def configure_logging(verbosity: int) -> None:
    """stdlib logging to stderr: ``-q`` errors only, default warnings, ``-v`` info, ``-vv`` debug.

    Every record passes :func:`packlife.redact.mask_secrets`.
    """
    level = {-1: logging.ERROR, 0: logging.WARNING, 1: logging.INFO}.get(
        verbosity, logging.DEBUG if verbosity > 1 else logging.ERROR)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_MaskingFormatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("packlife")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
    verbose: int = typer.Option(
        0, "--verbose", "-v", count=True, help="More log output (-v info, -vv debug)."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Only errors on stderr."),
) -> None:
    """packlife — second-life EV battery storage: grade, design, simulate, operate, prove, track."""
    configure_logging(-1 if quiet else verbose)


@app.command("version")
def version_cmd() -> None:
    """Print the packlife version."""
    typer.echo(__version__)


def _error(text: str) -> None:
    err_console.print(f"[bold red]error:[/bold red] {safe(text)}", highlight=False,
                      soft_wrap=True)


def crash_log_dir() -> Path:
    """Folder of crash logs: ``$PACKLIFE_LOG_DIR`` or the user log directory of packlife."""
    env = os.environ.get(LOG_DIR_ENV)
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_log_dir("packlife"))


def write_crash_log(exc: BaseException) -> Path | None:
    """Write the traceback of ``exc`` (credentials masked) to a new log file; its path or None."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    text = "".join(traceback.format_exception(exc))
    header = f"packlife {__version__} crash, {stamp} UTC\nargv: {sys.argv!r}\n\n"
    try:
        folder = crash_log_dir()
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"crash-{stamp}-{os.getpid()}.log"
        path.write_text(mask_secrets(header + text), encoding="utf-8")
    except OSError:
        return None
    return path


def _os_error(exc: OSError) -> str:
    what = f" {exc.filename}" if exc.filename else ""
    return f"cannot access{what}: {exc.strerror or exc}"


def _missing_dependency(exc: ModuleNotFoundError) -> str | None:
    top = (exc.name or "").split(".")[0]
    extra = EXTRA_OF_MODULE.get(top)
    if extra is None:
        return None
    return (f"this command needs the optional dependency {top!r}; install it with "
            f"pip install 'packlife[{extra}]'")


def main() -> None:
    """Run the CLI with one error path (see the module docstring)."""
    try:
        app()
    except PacklifeError as exc:
        _error(str(exc))
        sys.exit(2)
    except ModuleNotFoundError as exc:
        hint = _missing_dependency(exc)
        if hint is None:
            _internal(exc)
        _error(hint or "")
        sys.exit(2)
    except OSError as exc:
        _error(_os_error(exc))
        sys.exit(2)
    except KeyboardInterrupt:
        _error("interrupted")
        sys.exit(130)
    except Exception as exc:
        _internal(exc)


def _internal(exc: BaseException) -> None:
    path = write_crash_log(exc)
    where = f"the traceback is in {path}" if path else "the traceback could not be written"
    _error(f"internal error ({type(exc).__name__}: {str(exc)[:200]}); {where}. Please report "
           "it with that file.")
    sys.exit(1)


if __name__ == "__main__":
    main()
