"""All-or-nothing result sets: old set, no set or new set, never a mix; no temp files left."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import pytest

from packlife import atomic
from packlife.atomic import TMP_TAG, write_file, write_folder
from packlife.errors import PacklifeError


def _writers(tag: str, n: int = 3) -> dict[str, object]:
    return {f"f{i}.json": (lambda p, i=i: p.write_text(json.dumps({"tag": tag, "i": i})))
            for i in range(n)}


def _tags(folder: Path) -> set[str]:
    return {json.loads(p.read_text())["tag"] for p in folder.iterdir()}


def _strays(parent: Path) -> list[str]:
    return [p.name for p in parent.iterdir() if TMP_TAG in p.name]


def test_new_folder_then_replaced_whole(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert write_folder(out, _writers("a")) == [out / f"f{i}.json" for i in range(3)]
    write_folder(out, _writers("b"))
    assert sorted(p.name for p in out.iterdir()) == ["f0.json", "f1.json", "f2.json"]
    assert _tags(out) == {"b"} and _strays(tmp_path) == []


def test_a_full_disk_leaves_the_old_set_and_no_temp_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    write_folder(out, _writers("old"))
    calls = {"n": 0}

    def full(path: Path) -> None:
        calls["n"] += 1
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    writers = {**_writers("new", 2), "f2.json": full}
    with pytest.raises(PacklifeError, match="No space left on device"):
        write_folder(out, writers)
    assert calls["n"] == 1
    assert _tags(out) == {"old"} and _strays(tmp_path) == []


def test_enospc_from_os_write_in_a_single_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "passport.json"
    target.write_text("old")

    def enospc(fd: int, data: object) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(atomic.os, "write", enospc)
    with pytest.raises(PacklifeError, match="No space left"):
        write_file(target, "new" * 1000)
    assert target.read_text() == "old"
    assert _strays(tmp_path) == []


def test_enospc_from_os_write_while_writing_a_result_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    write_folder(out, _writers("old", 2))
    real_write = os.write
    state = {"n": 0}

    def enospc_after_some(fd: int, data: bytes) -> int:
        state["n"] += 1
        if state["n"] > 1:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", enospc_after_some)  # Path.write_text goes through io → os

    def via_os_write(p: Path) -> None:
        fd = os.open(p, os.O_WRONLY | os.O_CREAT)
        try:
            os.write(fd, b"x" * 10)
        finally:
            os.close(fd)

    with pytest.raises(PacklifeError, match="No space left"):
        write_folder(out, {"f0.json": via_os_write, "f1.json": via_os_write})
    assert _tags(out) == {"old"} and _strays(tmp_path) == []


def test_a_crashing_writer_leaves_nothing(tmp_path: Path) -> None:
    def boom(p: Path) -> None:
        p.write_text("half")
        raise ValueError("bug")

    with pytest.raises(ValueError, match="bug"):
        write_folder(tmp_path / "out", {"a.txt": boom})
    assert list(tmp_path.iterdir()) == []


def test_foreign_files_are_not_swept_away(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(PacklifeError, match=r"holds other files \(notes.txt\)"):
        write_folder(tmp_path, _writers("a"))
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_stale_temp_siblings_of_dead_writers_are_removed(tmp_path: Path) -> None:
    dead = tmp_path / f".out{TMP_TAG}tmp-999999999-deadbeef"
    dead.mkdir()
    (dead / "f0.json").write_text("{}")
    alive = tmp_path / f".out{TMP_TAG}tmp-{os.getppid()}-cafecafe"  # a running process
    alive.mkdir()
    write_folder(tmp_path / "out", _writers("a"))
    assert not dead.exists() and alive.exists()


def test_write_file_refuses_a_folder(tmp_path: Path) -> None:
    with pytest.raises(PacklifeError, match="is a folder"):
        write_file(tmp_path, "x")
