"""One error path for every command (issue #17): exit 2 with one paragraph for user errors,
markup escaped, a crash log for internal errors, --version, -v/-q, hints for missing extras."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

import packlife
from packlife.cli import main as cli_main
from packlife.site.scenario import BUILTIN_DIR


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """``packlife ARGS`` in-process through ``main()``: (exit code, stdout, stderr)."""
    capsys.readouterr()
    old = sys.argv
    sys.argv = ["packlife", *args]
    try:
        cli_main.main()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        sys.argv = old
    out, err = capsys.readouterr()
    return code, out, err


def test_version_flag_and_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "--version")[:2] == (0, f"packlife {packlife.__version__}\n")
    assert run(capsys, "version")[1].strip() == packlife.__version__


def test_verbose_and_quiet_set_stdlib_logging(capsys: pytest.CaptureFixture[str]) -> None:
    logger = logging.getLogger("packlife")
    run(capsys, "-vv", "catalog", "show", "nissan_leaf_24kwh")
    assert logger.level == logging.DEBUG
    run(capsys, "-q", "catalog", "show", "nissan_leaf_24kwh")
    assert logger.level == logging.ERROR
    run(capsys, "catalog", "show", "nissan_leaf_24kwh")
    assert logger.level == logging.WARNING


def test_bracketed_text_in_errors_is_printed_verbatim(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (BUILTIN_DIR / "jlr-test-site.toml").read_text(encoding="utf-8")
    (tmp_path / "[red]").mkdir()
    bad = tmp_path / "[red]" / "site.toml"
    bad.write_text(text.replace('name = "site_supply"', 'name = "Site [Supply]"'),
                   encoding="utf-8")
    code, _, err = run(capsys, "simulate", str(bad), "--out", str(tmp_path / "o"))
    flat = " ".join(err.split())
    assert code == 2 and "Traceback" not in err
    assert "^[a-z0-9_]+$" in flat and "Site [Supply]" in flat
    assert "[red]/site.toml" in flat.replace(" ", "")


def test_markup_in_a_catalog_id_does_not_crash(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "catalog", "show", "[/bold]")
    assert code == 2 and "[/bold]" in err and "Traceback" not in err


def test_folders_given_as_files_are_user_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for args in (("simulate", str(tmp_path / "d.toml")),
                 ("design", "--inventory", str(tmp_path)),
                 ("registry", "import", str(tmp_path), "--db", str(tmp_path / "r.sqlite"))):
        (tmp_path / "d.toml").mkdir(exist_ok=True)
        code, _, err = run(capsys, *args)
        assert code == 2 and "folder" in err and "Traceback" not in err, (args, err)


def test_an_internal_error_writes_a_crash_log_and_says_where(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(cli_main.LOG_DIR_ENV, str(tmp_path / "logs"))

    def broken() -> None:
        raise RuntimeError("postgresql://bob:hunter2@db/reg went away")

    monkeypatch.setattr(cli_main, "app", broken)
    code, _, err = run(capsys)
    assert code == 1 and "Traceback" not in err and "internal error (RuntimeError" in err
    (log,) = (tmp_path / "logs").iterdir()
    assert str(log) in " ".join(err.split()).replace(" ", "") or log.name in err
    body = log.read_text()
    assert "Traceback" in body and "RuntimeError" in body
    assert "hunter2" not in body + err


@pytest.mark.parametrize(("module", "extra"), [("highspy", "opt"), ("sqlalchemy", "db"),
                                                ("galvani", "grading")])
def test_a_missing_optional_dependency_names_the_extra(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, module: str, extra: str
) -> None:
    def missing() -> None:
        raise ModuleNotFoundError(f"No module named {module!r}", name=module)

    monkeypatch.setattr(cli_main, "app", missing)
    code, _, err = run(capsys)
    assert code == 2 and f"packlife[{extra}]" in err and "Traceback" not in err


INVENTORY = Path(__file__).parents[1] / "data" / "inventory" / "mixed_fleet.csv"


@pytest.mark.parametrize(("module", "extra", "args"), [
    ("sqlalchemy", "db", ["registry", "init", "--db", "{tmp}/r.db"]),
    ("highspy", "opt", ["design", "--inventory", str(INVENTORY), "--units", "1"]),
    ("pvlib", "opt", ["simulate", "offgrid-event", "--days", "0.1", "--out", "{tmp}/o"]),
])
def test_a_bare_install_tells_which_extra_a_command_needs(
    tmp_path: Path, module: str, extra: str, args: list[str]
) -> None:
    argv = ["packlife", *(a.format(tmp=tmp_path) for a in args)]
    script = (f"import sys; sys.modules[{module!r}] = None\n"
              "from packlife.cli.main import main\n"
              f"sys.argv = {argv!r}\n"
              "main()\n")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=300, check=False, env=os.environ.copy())
    assert proc.returncode == 2, proc.stderr
    assert f"packlife[{extra}]" in proc.stderr and "Traceback" not in proc.stderr


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, _ = run(capsys, "simulate", "--days", "abc")
    assert code == 2


def test_more_user_errors_of_issue_17_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "r.sqlite")
    csv = tmp_path / "p.csv"
    csv.write_text("serial,catalog_id,soh\nP[1],nissan_leaf_24kwh,0.8\n", encoding="utf-8")
    assert run(capsys, "registry", "init", "--db", db)[0] == 0
    assert run(capsys, "registry", "import", str(csv), "--db", db)[0] == 0
    code, out, _ = run(capsys, "registry", "show", "P[1]", "--db", db)
    assert code == 0 and "P[1]" in out  # a bracketed serial is printed, not eaten or crashing
    cases = [
        (("simulate", "leaf-portable", "--days", "0.0001", "--out", str(tmp_path / "o")),
         "no whole step"),
        (("simulate", "leaf-portable", "--days", "nan"), "--days must lie within"),
        (("registry", "passport", "P[1]", "--db", db, "--base-url", "javascript:alert(1)"),
         "must be an http(s) URL"),
        (("registry", "passport", "P[1]", "--db", db, "--tier", "admin"), "access tier 'admin'"),
        (("registry", "assign", "P[1]", "--unit", "U", "--slot", "0", "--force", "--db", db),
         "--force and --reason go together"),
        (("registry", "passport", "P[1]", "--db", db, "--out", str(tmp_path)), "is a folder"),
    ]
    for args, message in cases:
        code, _, err = run(capsys, *args)
        flat = " ".join(err.split())
        assert code == 2 and message in flat and "Traceback" not in err, (args, err)


def test_design_out_on_a_full_disk_leaves_no_truncated_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    inventory = Path(__file__).parents[1] / "data" / "inventory" / "mixed_fleet.csv"
    real = Path.write_text

    def full_disk(self: Path, data: str, *args: object, **kwargs: object) -> int:
        if self.name == "design.html":
            real(self, data[: len(data) // 2])  # part of it reached the disk
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self))
        return real(self, data, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "write_text", full_disk)
    out = tmp_path / "design"
    code, _, err = run(capsys, "design", "--inventory", str(inventory), "--out", str(out),
                       "--modules-per-portable", "2")
    assert code == 2 and "No space left on device" in " ".join(err.split())
    assert list(tmp_path.iterdir()) == []  # no design folder, no temporary sibling


def test_registry_packs_out_of_the_simulator_range_are_a_user_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "r.sqlite")
    csv = tmp_path / "p.csv"
    csv.write_text("serial,catalog_id,soh,first_life_end\n"
                   "P1,range_rover_phev_p440e,1.1,2024-06-01\n", encoding="utf-8")
    for args in (("registry", "init"), ("registry", "import", str(csv)),
                 ("registry", "assign", "P1", "--unit", "U", "--slot", "0")):
        assert run(capsys, *args, "--db", db)[0] == 0
    code, _, err = run(capsys, "simulate", "jlr-test-site", "--unit", "U", "--db", db,
                       "--out", str(tmp_path / "o"))
    flat = " ".join(err.split())
    assert code == 2 and "registry unit 'U': field 'bess.packs.0.soh'" in flat, err
