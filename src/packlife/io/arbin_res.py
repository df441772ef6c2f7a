"""Reader for Arbin ``.res`` result files (MS Access / Jet databases) through maintained tools.

An Arbin ``.res`` file is an MS Access (Jet 4) database written by MITS Pro. It is converted
with galvani's ``res2sqlite`` (https://github.com/echemdata/galvani, GPL-3.0-or-later), which
runs ``mdb-export`` from mdbtools (https://github.com/mdbtools/mdbtools, Debian/Ubuntu package
``mdbtools``) on each table and loads the rows into an in-memory SQLite database. The time
series is ``Channel_Normal_Table``; its columns carry Arbin's CSV names, so the mapping is the
one of the Arbin CSV reader (:func:`packlife.io.cyclers.arbin_canonical`): ``Test_Time`` [s],
``Current`` [A, **charge positive**, flipped here], ``Voltage`` [V], ``Step_Index``,
``Cycle_Index``, ``Step_Time`` [s] and ``Discharge_Capacity`` [Ah, reset when ``Cycle_Index``
changes].

mdb-export returns rows out of ``Data_Point`` order; they are sorted here. On a damaged file
mdb-export prints errors on stderr but still exits 0 with missing rows, and galvani does not
check, so its stderr is captured and any error line refuses the file.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import os
import re
import shutil
import sqlite3
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pandas as pd

from packlife.errors import DataFileError, MissingToolError
from packlife.io._checks import check_readable_file
from packlife.io.cyclers import arbin_canonical

JET_MAGIC = (b"Standard Jet DB", b"Standard ACE DB")  # at byte 4 of an Access database
_OLE_EPOCH = dt.datetime(1899, 12, 30)
_DAMAGE = re.compile(r"error|unable|beyond eof|invalid|failed|doesn't match|does not exist", re.I)
# what galvani raises on a file it cannot convert (a version it does not know, no rows, ...)
_GALVANI_FAILURES = (
    ValueError,
    RuntimeError,
    StopIteration,
    AttributeError,
    sqlite3.Error,
    csv.Error,
    OSError,
)
_STDERR_KEPT = 65536  # bytes of mdb-export's stderr looked at
INSTALL_HINT = (
    "reading Arbin .res files needs mdb-export from mdbtools: apt-get install mdbtools "
    "(Debian/Ubuntu), brew install mdbtools (macOS); or export the test to CSV from Arbin "
    "MITS/Data Watcher"
)


def looks_like_access_db(path: Path) -> bool:
    """The MS Access (Jet/ACE) signature at byte 4 of the file."""
    try:
        with path.open("rb") as fh:
            head = fh.read(4 + len(JET_MAGIC[0]))
    except OSError:
        return False
    return head[4:].startswith(JET_MAGIC)


def _check_whole_pages(path: Path) -> None:
    """An Access file is whole pages (2 KiB for Jet 3, 4 KiB for Jet 4/ACE, by byte 0x14). A cut
    copy is refused here: on one, mdbtools 1.0 mdb-export was seen to loop without end, writing
    gigabytes of warnings and growing without bound."""
    with path.open("rb") as fh:
        head = fh.read(0x15)
    page = 2048 if len(head) > 0x14 and head[0x14] == 0 else 4096
    size = path.stat().st_size
    if size % page:
        raise DataFileError(
            path, [f"truncated MS Access database ({size} bytes, not whole {page}-byte pages)"]
        )


@contextlib.contextmanager
def _stderr_fd_to(sink: IO[bytes]) -> Iterator[None]:
    """Point file descriptor 2 (inherited by mdb-export) at ``sink`` while the block runs."""
    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no stderr at all: nothing to capture
        yield
        return
    try:
        os.dup2(sink.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _convert(path: Path) -> tuple[sqlite3.Connection, list[str]]:
    """The ``.res`` file as an in-memory SQLite database, and mdb-export's other stderr lines.

    Raises
    ------
    MissingToolError
        If ``mdb-export`` or galvani is not installed.
    DataFileError
        If the database cannot be read or mdb-export reports damage.
    """
    if shutil.which("mdb-export") is None:
        raise MissingToolError(INSTALL_HINT)
    try:
        from galvani.res2sqlite import convert_arbin_to_sqlite
    except ImportError:
        raise MissingToolError(
            "reading Arbin .res files needs galvani: pip install 'packlife[grading]'"
        ) from None
    failure: Exception | None = None
    con: sqlite3.Connection | None = None
    with tempfile.TemporaryFile() as err:
        with _stderr_fd_to(err), contextlib.redirect_stdout(io.StringIO()):  # galvani prints
            try:
                # absolute: a name starting with '-' must not reach mdb-export as an option
                con = convert_arbin_to_sqlite(str(path.absolute()), None)
            except _GALVANI_FAILURES as exc:
                failure = exc
        err.seek(0)
        text = err.read(_STDERR_KEPT).decode("utf-8", "replace")
        lines = [ln.strip() for ln in text.splitlines()]
    lines = [ln for ln in lines if ln]
    damage = [ln for ln in lines if _DAMAGE.search(ln)]
    if failure is not None or con is None or damage:
        if con is not None:
            con.close()
        why = f"mdb-export: {damage[0]}" if damage else f"{type(failure).__name__}: {failure}"
        raise DataFileError(path, [f"not a readable Arbin .res database ({why})"])
    return con, lines


def _ole_date(days: Any) -> str:
    """An OLE Automation date (days since 1899-12-30, local time of the cycler) as ISO text."""
    try:
        when = _OLE_EPOCH + dt.timedelta(days=float(days))
    except (TypeError, ValueError, OverflowError):
        return ""
    return when.isoformat(timespec="seconds")


def read_arbin_res(path: str | Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Read an Arbin ``.res`` file into the canonical frame.

    Returns
    -------
    data : DataFrame
        ``time_s`` [s], ``current_a`` [A, discharge positive], ``voltage_v`` [V], ``step``,
        ``cycle``, ``step_time_s`` [s] and ``discharge_counter_ah`` [Ah], in ``Data_Point`` order.
    metadata : dict
        ``format`` (``arbin_res``), ``path``, ``version`` (``Results File 5.23``), ``test_name``,
        ``schedule``, ``start`` (cycler local time, ISO), ``mdb_export_messages``.

    Raises
    ------
    MissingToolError
        If ``mdb-export`` (mdbtools) or galvani is not installed.
    DataFileError
        For a file that is not a readable Arbin database, holds several tests, or lacks the
        time, current or voltage column.
    """
    path = check_readable_file(path)
    if not looks_like_access_db(path):
        raise DataFileError(path, ["not an MS Access database (an Arbin .res file is one)"])
    _check_whole_pages(path)
    con, messages = _convert(path)
    try:
        data = pd.read_sql_query(
            "SELECT * FROM Channel_Normal_Table ORDER BY Test_ID, Data_Point", con
        )
        tests = pd.read_sql_query("SELECT * FROM Global_Table ORDER BY Test_ID", con)
        version = con.execute("SELECT Version_Schema_Field FROM Version_Table").fetchone()
    except (sqlite3.Error, pd.errors.DatabaseError) as exc:
        raise DataFileError(path, [f"Arbin tables not readable: {exc}"]) from None
    finally:
        con.close()
    ids = sorted(set(data["Test_ID"].tolist()))
    if len(ids) > 1:
        raise DataFileError(
            path, [f"holds {len(ids)} tests (Test_ID {ids}): export each test to CSV"]
        )
    test = tests[tests["Test_ID"] == ids[0]].iloc[0] if ids and len(tests) else None
    meta: dict[str, Any] = {
        "format": "arbin_res",
        "version": str(version[0]) if version else "",
        "test_name": "" if test is None else str(test.get("Test_Name", "")),
        "schedule": "" if test is None else str(test.get("Schedule_File_Name", "")),
        "start": "" if test is None else _ole_date(test.get("Start_DateTime")),
        "mdb_export_messages": messages,
    }
    return arbin_canonical(data.drop(columns=["Test_ID"]), path, meta)
