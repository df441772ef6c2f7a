"""All-or-nothing output: a result set appears complete or not at all.

:func:`write_folder` writes every file of a result set into a temporary sibling folder, fsyncs
the files and the folder, and moves the folder into place with one ``rename``. When the target
folder already holds an earlier result set, that folder is first renamed aside (also atomic) and
removed afterwards, so a reader sees the old set, no set, or the new set — never a mix. A
process killed at any point leaves at most hidden sibling folders named
``.NAME.packlife-*``; the next write into the same folder removes those whose writer is gone.
:func:`write_file` does the same for a single file (temporary sibling, fsync, ``os.replace``).

Every failure path (an exception in a writer, a full disk, a permission error) removes the
temporary files before the error propagates.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import uuid
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from packlife.errors import PacklifeError

log = logging.getLogger(__name__)

#: Infix of every temporary sibling (``.NAME.packlife-tmp-PID-RAND``, ``….packlife-old-…``).
TMP_TAG = ".packlife-"


def _fsync(path: Path) -> None:
    """Flush a file's or a folder's data and metadata to the disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink()


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _sibling(target: Path, kind: str) -> Path:
    return target.parent / f".{target.name}{TMP_TAG}{kind}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


def stale_siblings(target: Path) -> list[Path]:
    """Temporary siblings of ``target`` left by writers that no longer run."""
    prefix = f".{target.name}{TMP_TAG}"
    out: list[Path] = []
    if not target.parent.is_dir():
        return out
    for p in target.parent.iterdir():
        if not p.name.startswith(prefix):
            continue
        parts = p.name[len(prefix):].split("-")
        try:
            pid = int(parts[1])
        except (IndexError, ValueError):
            continue
        if not _pid_alive(pid):
            out.append(p)
    return out


def clean_stale(target: Path) -> None:
    """Remove temporary siblings of ``target`` whose writer was killed."""
    for p in stale_siblings(target):
        log.info("removing %s left by an interrupted run", p)
        _remove(p)


def check_folder(target: Path, names: Iterable[str]) -> None:
    """Refuse a result folder that exists as a file or holds files not of this result set."""
    if not target.exists():
        return
    if not target.is_dir():
        raise PacklifeError(f"output folder {target} exists and is not a folder")
    allowed = set(names) | {f".{n}.partial" for n in names}  # left by packlife ≤ 0.1.0
    foreign = sorted(p.name for p in target.iterdir() if p.name not in allowed)
    if foreign:
        shown = ", ".join(foreign[:5]) + (" …" if len(foreign) > 5 else "")
        raise PacklifeError(
            f"output folder {target} holds other files ({shown}); results replace the whole "
            "folder, so give a new or empty folder or one written by packlife"
        )


def write_folder(target: Path, writers: Mapping[str, Callable[[Path], object]]) -> list[Path]:
    """Write a result set into folder ``target`` all-or-nothing.

    Parameters
    ----------
    target : Path
        The result folder; created, or replaced when it holds only files of this result set.
    writers : mapping of str to callable
        File name → function writing that file at the given path.

    Returns
    -------
    list of Path
        The final paths of the files, in the order of ``writers``.

    Raises
    ------
    PacklifeError
        When the folder holds foreign files or a file cannot be written (disk full, no
        permission); nothing of the new set remains then.
    """
    target = Path(target)
    check_folder(target, writers)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PacklifeError(
            f"cannot create output folder {target.parent}: {exc.strerror}") from None
    clean_stale(target)
    tmp = _sibling(target, "tmp")
    try:
        tmp.mkdir()
        for name, write in writers.items():
            write(tmp / name)
            _fsync(tmp / name)
        _fsync(tmp)
    except OSError as exc:
        _remove(tmp)
        raise PacklifeError(f"cannot write results to {target}: {exc.strerror or exc}") from None
    except BaseException:
        _remove(tmp)
        raise
    _swap_in(tmp, target)
    return [target / name for name in writers]


def _swap_in(tmp: Path, target: Path) -> None:
    old = None
    try:
        if target.exists():
            old = _sibling(target, "old")
            target.rename(old)
        tmp.rename(target)
        _fsync(target.parent)
    except OSError as exc:
        if old is not None and not target.exists():
            with contextlib.suppress(OSError):
                old.rename(target)
        _remove(tmp)
        raise PacklifeError(f"cannot move results into {target}: {exc.strerror or exc}") from None
    if old is not None:
        _remove(old)


def write_file(target: Path, data: str | bytes) -> Path:
    """Write one file all-or-nothing (temporary sibling, fsync, one ``os.replace``).

    Raises
    ------
    PacklifeError
        When it cannot be written; the temporary file is removed then.
    """
    target = Path(target)
    if target.is_dir():
        raise PacklifeError(f"{target} is a folder; give a file name")
    clean_stale(target)
    tmp = _sibling(target, "tmp")
    raw = data.encode("utf-8") if isinstance(data, str) else data
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            view = memoryview(raw)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
        tmp.replace(target)
        _fsync(target.parent)
    except OSError as exc:
        _remove(tmp)
        raise PacklifeError(f"cannot write {target}: {exc.strerror or exc}") from None
    except BaseException:
        _remove(tmp)
        raise
    return target
