"""What ``make dist`` ships: the wheel and sdist a user installs, built the way ``make dist`` builds them.

``uv build`` writes the sdist, then builds the wheel from that sdist, so a file the sdist forgets breaks
the wheel here. The build runs offline: ``make test`` has already built the project with hatchling
(``uv sync`` installs it editable), so hatchling is in uv's cache.
"""

from __future__ import annotations

import configparser
import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from email.message import Message
from email.parser import Parser
from pathlib import Path, PurePosixPath

import pytest

import airflow_provider_legallymail

REPO = Path(__file__).resolve().parents[2]
PACKAGE = "airflow_provider_legallymail"
DISTRIBUTION = "airflow-provider-legallymail"
VERSION = airflow_provider_legallymail.__version__
REPO_URL = "https://github.com/legallymail/airflow-provider-legallymail"
DIST_INFO = f"{PACKAGE}-{VERSION}.dist-info"


def _uv() -> str:
    """The uv the Makefile uses: the one on the PATH, else the one it installs into .tools/."""
    for candidate in (os.environ.get("UV"), shutil.which("uv"), str(REPO / ".tools" / "bin" / "uv")):
        if candidate and Path(candidate).is_file():
            return candidate
    pytest.fail("uv not found on the PATH nor in .tools/bin: run `make test`, which installs it")


def _run(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    result = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"{' '.join(map(str, args))} failed:\n{result.stdout}\n{result.stderr}"
    return result


@dataclass(frozen=True)
class Built:
    wheel: Path
    sdist: Path


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    out = tmp_path_factory.mktemp("dist")
    _run(_uv(), "build", "--offline", "--python", sys.executable, "--out-dir", out, REPO, cwd=out)
    wheels, sdists = sorted(out.glob("*.whl")), sorted(out.glob("*.tar.gz"))
    assert [w.name for w in wheels] == [f"{PACKAGE}-{VERSION}-py3-none-any.whl"]
    assert [s.name for s in sdists] == [f"{PACKAGE}-{VERSION}.tar.gz"]
    return Built(wheel=wheels[0], sdist=sdists[0])


def _wheel_names(built: Built) -> list[str]:
    with zipfile.ZipFile(built.wheel) as wheel:
        return wheel.namelist()


def _wheel_text(built: Built, name: str) -> str:
    with zipfile.ZipFile(built.wheel) as wheel:
        return wheel.read(name).decode("utf-8")


def _metadata(text: str) -> Message:
    return Parser().parsestr(text)


def _sdist_members(built: Built) -> dict[str, tarfile.TarInfo]:
    """The sdist's files by their path inside the project (without the top ``name-version/`` directory)."""
    top = f"{PACKAGE}-{VERSION}"
    with tarfile.open(built.sdist) as sdist:
        members = sdist.getmembers()
    assert all(PurePosixPath(m.name).parts[0] == top for m in members), "everything sits under one top directory"
    return {str(PurePosixPath(*PurePosixPath(m.name).parts[1:])): m for m in members if m.isfile()}


def _sdist_text(built: Built, name: str) -> str:
    with tarfile.open(built.sdist) as sdist:
        member = sdist.extractfile(f"{PACKAGE}-{VERSION}/{name}")
        assert member is not None
        return member.read().decode("utf-8")


def _source_files(directory: str) -> set[str]:
    """The repository's files under ``directory`` that a build may ship (no caches)."""
    return {
        path.relative_to(REPO).as_posix()
        for path in (REPO / directory).rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    }


def test_wheel_ships_every_module_of_the_package_and_py_typed_but_not_the_tests(built: Built) -> None:
    names = _wheel_names(built)
    assert f"{PACKAGE}/py.typed" in names  # mypy users type-check against the installed package
    assert _source_files(PACKAGE) <= set(names)
    tops = {PurePosixPath(n).parts[0] for n in names}
    assert tops == {PACKAGE, DIST_INFO}, "tests/, demo/ and bench/ must not be installed into site-packages"


def test_wheel_carries_the_license_and_notice_in_its_dist_info(built: Built) -> None:
    license_text = _wheel_text(built, f"{DIST_INFO}/licenses/LICENSE")
    assert license_text == (REPO / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in license_text
    assert "Version 2.0, January 2004" in license_text
    assert "END OF TERMS AND CONDITIONS" in license_text
    assert _wheel_text(built, f"{DIST_INFO}/licenses/NOTICE") == (REPO / "NOTICE").read_text(encoding="utf-8")


def test_wheel_registers_the_provider_and_the_sandbox_command(built: Built) -> None:
    entry_points = configparser.ConfigParser()
    entry_points.read_string(_wheel_text(built, f"{DIST_INFO}/entry_points.txt"))
    assert dict(entry_points["apache_airflow_provider"]) == {
        "provider_info": f"{PACKAGE}.get_provider_info:get_provider_info"
    }
    assert entry_points["console_scripts"]["legallymail-sandbox"] == f"{PACKAGE}.sandbox.cli:main"


def test_wheel_metadata_has_the_license_urls_and_the_readme_as_description(built: Built) -> None:
    meta = _metadata(_wheel_text(built, f"{DIST_INFO}/METADATA"))
    assert meta["Name"] == DISTRIBUTION
    assert meta["Version"] == VERSION
    assert meta["License-Expression"] == "Apache-2.0"
    assert meta.get_all("License-File") == ["LICENSE", "NOTICE"]
    urls = dict(url.split(", ", 1) for url in meta.get_all("Project-URL", []))
    assert set(urls) == {"Homepage", "Documentation", "Source", "Changelog", "Issues"}
    assert all(url.startswith(REPO_URL) for url in urls.values()), urls
    assert urls["Changelog"].endswith("/CHANGELOG.md")
    assert meta["Requires-Python"] == ">=3.10"
    classifiers = set(meta.get_all("Classifier", []))
    for minor in (10, 11, 12, 13):
        assert f"Programming Language :: Python :: 3.{minor}" in classifiers
    assert {"Framework :: Apache Airflow :: Provider", "Topic :: Communications :: Email"} <= classifiers
    assert "Typing :: Typed" in classifiers
    assert meta["Description-Content-Type"] == "text/markdown"
    assert meta.get_payload() == (REPO / "README.md").read_text(encoding="utf-8")


def test_readme_install_commands_name_the_wheel_that_is_built(built: Built) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    patterns = re.findall(r"dist/(\S+?\.whl)", readme)
    assert patterns, "the README says how to install the built wheel"
    for pattern in patterns:
        wheel_glob = pattern.replace("<version>", "*")
        assert fnmatch.fnmatchcase(built.wheel.name, wheel_glob), (pattern, built.wheel.name)


def test_sdist_carries_the_test_suite_the_docs_and_the_license(built: Built) -> None:
    members = _sdist_members(built)
    for name in ("LICENSE", "NOTICE", "CHANGELOG.md", "README.md", "pyproject.toml", "PKG-INFO"):
        assert name in members, name
    # The suite runs from an unpacked sdist: the tests and what they import or run (the package, demo/, the
    # example DAGs with their CSV and HTML files).
    for directory in ("tests", "demo", "example_dags", PACKAGE):
        missing = _source_files(directory) - set(members)
        assert not missing, f"missing from the sdist: {sorted(missing)}"
    leaked = [n for n in members if {".venv", ".tools", "__pycache__", ".git"} & set(PurePosixPath(n).parts)]
    assert not leaked, leaked
    pkg_info = _metadata(_sdist_text(built, "PKG-INFO"))
    assert pkg_info["Version"] == VERSION
    assert pkg_info["License-Expression"] == "Apache-2.0"


def test_changelog_has_an_entry_for_the_version_being_built(built: Built) -> None:
    changelog = _sdist_text(built, "CHANGELOG.md")
    assert "## [Unreleased]" in changelog
    assert re.search(rf"^## \[{re.escape(VERSION)}\]", changelog, re.MULTILINE), f"no entry for {VERSION}"


_INSTALLED_CHECK = """
import importlib.metadata as md, importlib.util, json, pathlib
import airflow_provider_legallymail as pkg
(provider,) = md.entry_points(group="apache_airflow_provider", name="provider_info")
info = provider.load()()
names = set()
def collect(value):
    if isinstance(value, str) and value.startswith("airflow_provider_legallymail."):
        names.add(value)
    elif isinstance(value, dict):
        for item in value.values():
            collect(item)
    elif isinstance(value, list):
        for item in value:
            collect(item)
collect(info)
site = pathlib.Path(pkg.__file__).parent.parent
def found(dotted):  # a module, or a class/function in a module: its file is installed (importing needs Airflow)
    parts = dotted.split(".")
    paths = [site.joinpath(*parts[:n]) for n in (len(parts), len(parts) - 1)]
    return any(p.with_suffix(".py").is_file() or (p / "__init__.py").is_file() for p in paths)
print(json.dumps({
    "version": pkg.__version__,
    "file": pkg.__file__,
    "dist_version": md.version("airflow-provider-legallymail"),
    "py_typed": (pathlib.Path(pkg.__file__).parent / "py.typed").is_file(),
    "licenses": sorted(str(f) for f in md.files("airflow-provider-legallymail") if "licenses" in str(f)),
    "provider": {"package-name": info["package-name"], "versions": info["versions"]},
    "named": len(names),
    "not_found": sorted(n for n in names if not found(n)),
    "airflow_installed": importlib.util.find_spec("airflow") is not None,
}))
"""


def test_wheel_installs_into_a_fresh_venv_and_airflow_finds_the_provider(built: Built, tmp_path: Path) -> None:
    uv = _uv()
    venv = tmp_path / "venv"
    _run(uv, "venv", "--quiet", "--python", sys.executable, venv, cwd=tmp_path)
    python = venv / "bin" / "python"
    # --no-deps: Airflow itself is out of scope here (and would need the network); the package must not need it
    # to be imported and discovered.
    _run(uv, "pip", "install", "--quiet", "--offline", "--no-deps", "--python", python, built.wheel, cwd=tmp_path)
    out = _run(python, "-c", _INSTALLED_CHECK, cwd=tmp_path).stdout
    installed = json.loads(out.strip().splitlines()[-1])
    assert installed["airflow_installed"] is False
    assert Path(installed["file"]).is_relative_to(venv), "imported from the venv, not from the repository"
    assert installed["version"] == installed["dist_version"] == VERSION
    assert installed["py_typed"] is True
    assert installed["licenses"] == [f"{DIST_INFO}/licenses/LICENSE", f"{DIST_INFO}/licenses/NOTICE"]
    assert installed["provider"] == {"package-name": DISTRIBUTION, "versions": [VERSION]}
    assert installed["named"] > 5 and installed["not_found"] == [], installed
    assert (venv / "bin" / "legallymail-sandbox").is_file()
