"""What ``make dist`` ships: the wheels and sdists a user installs, built the way ``make dist`` builds them.

Two distributions: the provider, and the sandbox (``sandbox/``, a uv workspace member) that emulates both
APIs and carries the pytest plugin and the ``legallymail-sandbox`` command; a production worker installs
the provider alone. ``uv build`` writes each sdist, then builds the wheel from that sdist, so a file an sdist
forgets breaks its wheel here. The build runs offline: ``make test`` has already built both projects with
hatchling (``uv sync`` installs them editable), so hatchling is in uv's cache.
"""

from __future__ import annotations

import ast
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
import legallymail_sandbox

REPO = Path(__file__).resolve().parents[2]
PACKAGE = "airflow_provider_legallymail"
DISTRIBUTION = "airflow-provider-legallymail"
VERSION = airflow_provider_legallymail.__version__
REPO_URL = "https://github.com/legallymail/airflow-provider-legallymail"
DIST_INFO = f"{PACKAGE}-{VERSION}.dist-info"
SANDBOX = "legallymail_sandbox"
SANDBOX_DISTRIBUTION = "legallymail-sandbox"
SANDBOX_VERSION = legallymail_sandbox.__version__
SANDBOX_DIST_INFO = f"{SANDBOX}-{SANDBOX_VERSION}.dist-info"


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
    sandbox_wheel: Path
    sandbox_sdist: Path


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    out = tmp_path_factory.mktemp("dist")
    # As `make dist`: every package of the workspace, each wheel from its sdist.
    _run(_uv(), "build", "--all-packages", "--offline", "--python", sys.executable, "--out-dir", out, cwd=REPO)
    wheels, sdists = sorted(out.glob("*.whl")), sorted(out.glob("*.tar.gz"))
    assert [w.name for w in wheels] == [
        f"{PACKAGE}-{VERSION}-py3-none-any.whl",
        f"{SANDBOX}-{SANDBOX_VERSION}-py3-none-any.whl",
    ]
    assert [s.name for s in sdists] == [f"{PACKAGE}-{VERSION}.tar.gz", f"{SANDBOX}-{SANDBOX_VERSION}.tar.gz"]
    return Built(wheel=wheels[0], sdist=sdists[0], sandbox_wheel=wheels[1], sandbox_sdist=sdists[1])


def _wheel_names(built: Built, wheel_path: Path | None = None) -> list[str]:
    with zipfile.ZipFile(wheel_path or built.wheel) as wheel:
        return wheel.namelist()


def _wheel_text(built: Built, name: str, wheel_path: Path | None = None) -> str:
    with zipfile.ZipFile(wheel_path or built.wheel) as wheel:
        return wheel.read(name).decode("utf-8")


def _entry_points(built: Built, wheel_path: Path, dist_info: str) -> configparser.ConfigParser:
    entry_points = configparser.ConfigParser()
    entry_points.read_string(_wheel_text(built, f"{dist_info}/entry_points.txt", wheel_path))
    return entry_points


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
        if path.is_file() and not {"__pycache__", "_build"} & set(path.parts) and path.suffix != ".pyc"
    }


def test_wheel_ships_every_module_of_the_package_and_py_typed_but_not_the_tests_nor_the_sandbox(
    built: Built,
) -> None:
    names = _wheel_names(built)
    assert f"{PACKAGE}/py.typed" in names  # mypy users type-check against the installed package
    assert _source_files(PACKAGE) <= set(names)
    tops = {PurePosixPath(n).parts[0] for n in names}
    assert tops == {PACKAGE, DIST_INFO}, "tests/, demo/, bench/ and the sandbox must not be installed with it"
    assert [n for n in names if "sandbox" in n] == []


def test_the_sandbox_wheel_ships_its_package_alone_with_py_typed_and_the_license(built: Built) -> None:
    names = _wheel_names(built, built.sandbox_wheel)
    package_files = {f"{SANDBOX}/{p.relative_to(REPO / 'sandbox' / SANDBOX).as_posix()}" for p in _sandbox_files()}
    assert package_files <= set(names)
    assert f"{SANDBOX}/py.typed" in names and f"{SANDBOX}/pytest_plugin.py" in names
    assert {PurePosixPath(n).parts[0] for n in names} == {SANDBOX, SANDBOX_DIST_INFO}
    for name in ("LICENSE", "NOTICE"):
        shipped = _wheel_text(built, f"{SANDBOX_DIST_INFO}/licenses/{name}", built.sandbox_wheel)
        assert shipped == (REPO / name).read_text(encoding="utf-8"), f"sandbox/{name} differs from the root's"


def test_wheel_carries_the_license_and_notice_in_its_dist_info(built: Built) -> None:
    license_text = _wheel_text(built, f"{DIST_INFO}/licenses/LICENSE")
    assert license_text == (REPO / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in license_text
    assert "Version 2.0, January 2004" in license_text
    assert "END OF TERMS AND CONDITIONS" in license_text
    assert _wheel_text(built, f"{DIST_INFO}/licenses/NOTICE") == (REPO / "NOTICE").read_text(encoding="utf-8")


def test_wheel_registers_the_provider_and_the_archive_check_but_nothing_of_the_sandbox(built: Built) -> None:
    entry_points = _entry_points(built, built.wheel, DIST_INFO)
    assert dict(entry_points["apache_airflow_provider"]) == {
        "provider_info": f"{PACKAGE}.get_provider_info:get_provider_info"
    }
    assert dict(entry_points["console_scripts"]) == {"legallymail-verify-archive": f"{PACKAGE}.evidence.verify:main"}
    assert set(entry_points.sections()) == {"apache_airflow_provider", "console_scripts"}  # no pytest11
    requires = _metadata(_wheel_text(built, f"{DIST_INFO}/METADATA")).get_all("Requires-Dist", [])
    assert [r for r in requires if r.startswith(("fastapi", "uvicorn", "starlette", SANDBOX_DISTRIBUTION))] == []


def test_the_sandbox_wheel_registers_its_pytest_plugin_and_its_command(built: Built) -> None:
    entry_points = _entry_points(built, built.sandbox_wheel, SANDBOX_DIST_INFO)
    assert dict(entry_points["pytest11"]) == {"legallymail_sandbox": f"{SANDBOX}.pytest_plugin"}
    assert dict(entry_points["console_scripts"]) == {"legallymail-sandbox": f"{SANDBOX}.cli:main"}


def _sandbox_files() -> list[Path]:
    return sorted(p for p in (REPO / "sandbox" / SANDBOX).rglob("*") if p.is_file() and "__pycache__" not in p.parts)


def _third_party_imports() -> set[str]:
    """The top-level modules the sandbox's code imports from outside itself and the standard library."""
    found: set[str] = set()
    for path in _sandbox_files():
        if path.suffix != ".py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module.split(".")[0])
            elif isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
    return {name for name in found if name not in sys.stdlib_module_names and name not in ("__future__", SANDBOX)}


def test_the_sandbox_declares_every_dependency_it_imports_and_the_provider_it_shares_the_vocabulary_with(
    built: Built,
) -> None:
    meta = _metadata(_wheel_text(built, f"{SANDBOX_DIST_INFO}/METADATA", built.sandbox_wheel))
    assert (meta["Name"], meta["Version"], meta["Requires-Python"]) == (SANDBOX_DISTRIBUTION, SANDBOX_VERSION, ">=3.10")
    assert meta["License-Expression"] == "Apache-2.0"
    requires = {re.split(r"[<>=!~ ;\[]", r, maxsplit=1)[0].lower(): r for r in meta.get_all("Requires-Dist", [])}
    assert requires[DISTRIBUTION] == f"{DISTRIBUTION}>={VERSION}"
    # pytest imports the plugin, so pytest is there whenever the plugin is; the rest must be declared.
    imported = {name.replace("_", "-") for name in _third_party_imports() - {"pytest"}}
    assert imported == {DISTRIBUTION, "fastapi", "starlette", "uvicorn", "requests"}
    assert imported <= set(requires), sorted(imported - set(requires))


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
    wheels = (built.wheel.name, built.sandbox_wheel.name)
    for pattern in patterns:
        wheel_glob = pattern.replace("<version>", "*")
        assert [w for w in wheels if fnmatch.fnmatchcase(w, wheel_glob)], (pattern, wheels)
    assert any(fnmatch.fnmatchcase(built.sandbox_wheel.name, p.replace("<version>", "*")) for p in patterns)


def test_sdist_carries_the_test_suite_the_docs_and_the_license(built: Built) -> None:
    members = _sdist_members(built)
    for name in ("LICENSE", "NOTICE", "CHANGELOG.md", "README.md", "pyproject.toml", "PKG-INFO"):
        assert name in members, name
    # The suite runs from an unpacked sdist: the tests and what they import or run (the package, demo/, the
    # example DAGs with their CSV and HTML files).
    for directory in ("tests", "demo", "example_dags", PACKAGE, "sandbox", "docs"):
        missing = _source_files(directory) - set(members)
        assert not missing, f"missing from the sdist: {sorted(missing)}"
    leaked = [n for n in members if {".venv", ".tools", "__pycache__", ".git", "_build"} & set(PurePosixPath(n).parts)]
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
    assert not (venv / "bin" / "legallymail-sandbox").exists()  # the emulator is a distribution of its own
    assert (venv / "bin" / "legallymail-verify-archive").is_file()
    # The sandbox beside it: its command and the plugin pytest would load.
    _run(
        uv, "pip", "install", "--quiet", "--offline", "--no-deps", "--python", python, built.sandbox_wheel, cwd=tmp_path
    )
    plugin = 'import importlib.metadata as md; print([e.value for e in md.entry_points(group="pytest11")])'
    assert _run(python, "-c", plugin, cwd=tmp_path).stdout.strip() == f"['{SANDBOX}.pytest_plugin']"
    assert (venv / "bin" / "legallymail-sandbox").is_file()
