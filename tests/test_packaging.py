"""Publishable package (issue #17): one version, LICENSE, CHANGELOG, classifiers, no empty
extras, and a hint naming the extra for every optional dependency."""

from __future__ import annotations

import importlib.metadata
import re
import tomllib
from pathlib import Path

import packlife
from packlife.cli.main import EXTRA_OF_MODULE

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
#: Extras that other branches are filling right now (remove a name once its branch is merged).
PENDING_EXTRAS: set[str] = set()
#: Distribution name → import name where they differ.
IMPORT_NAME = {"psycopg[binary]": "psycopg", "paho-mqtt": "paho", "pysunspec2": "sunspec2"}


def test_the_version_is_defined_once() -> None:
    project = PYPROJECT["project"]
    assert "version" not in project and "version" in project["dynamic"]
    assert PYPROJECT["tool"]["setuptools"]["dynamic"]["version"] == {
        "attr": "packlife.__version__"}
    assert importlib.metadata.version("packlife") == packlife.__version__
    assert f"## [{packlife.__version__}]" in (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")


def test_license_classifiers_and_readme() -> None:
    project = PYPROJECT["project"]
    assert project["license"] == "MIT" and project["license-files"] == ["LICENSE"]
    assert "MIT License" in (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert any(c.startswith("Programming Language :: Python :: 3.11")
               for c in project["classifiers"])
    assert (ROOT / project["readme"]).is_file()


def test_project_urls_point_at_one_repository() -> None:
    """Homepage, repository, issues and changelog: https, all under the repository's address;
    no ``License ::`` classifier beside the SPDX ``license`` (PEP 639 forbids both)."""
    project = PYPROJECT["project"]
    urls = project["urls"]
    repo = urls["Repository"]
    assert re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", repo)
    assert urls["Homepage"] == repo and urls["Issues"] == f"{repo}/issues"
    assert urls["Changelog"] == f"{repo}/blob/main/CHANGELOG.md"
    assert (ROOT / "CHANGELOG.md").is_file()
    assert not any(c.startswith("License ::") for c in project["classifiers"])


def _dist(requirement: str) -> str:
    name = re.split(r"[<>=!~;\s]", requirement, maxsplit=1)[0]
    return IMPORT_NAME.get(name, re.sub(r"\[.*\]", "", name).replace("-", "_").lower())


def test_no_empty_extras_and_every_optional_dependency_has_a_hint() -> None:
    extras = PYPROJECT["project"]["optional-dependencies"]
    for extra, requirements in extras.items():
        if extra == "dev":
            continue
        assert requirements or extra in PENDING_EXTRAS, f"extra {extra!r} is empty"
        for req in requirements:
            assert EXTRA_OF_MODULE.get(_dist(req)) == extra, (extra, req)
