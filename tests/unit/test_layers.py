"""Imports follow the layers: operators, sensors, triggers, notifications -> domain logic -> hooks -> client.

A newcomer can rely on the direction: nothing in a lower layer imports a higher one (not even lazily or
for type checking), the sandbox (the distribution ``legallymail_sandbox``) uses only the provider's shared
vocabulary while the provider never imports it, and DAG files that use only Legitmailer never load the
LegallyMail hook.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

import airflow_provider_legallymail
import legallymail_sandbox

PACKAGE = Path(airflow_provider_legallymail.__file__).parent
NAME = "airflow_provider_legallymail"
SANDBOX = Path(legallymail_sandbox.__file__).parent
SANDBOX_NAME = "legallymail_sandbox"

# The layer of each folder of the package; a module may import its own layer and lower ones. The root
# modules (exceptions, statuses, limits, validation, storage, ...) are the vocabulary, layer 0.
VOCABULARY = 0
LAYERS: dict[str, int] = {
    "client": 1,
    "models": 1,
    "hooks": 2,
    "delivery": 3,
    "waiting": 3,
    "legitmailer": 3,
    "evidence": 3,
    "operators": 4,
    "sensors": 4,
    "triggers": 4,
    "notifications": 4,
}


def _part(module: str) -> str:
    """The folder of the package that ``module`` belongs to ('' for the root vocabulary)."""
    head = module.removeprefix(NAME).lstrip(".").split(".")[0]
    return head if (PACKAGE / head).is_dir() else ""


def _imports(path: Path, name: str = NAME) -> list[tuple[int, str]]:
    """Every import of package ``name`` in ``path``: top level, inside functions and under TYPE_CHECKING."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(name):
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
        elif isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names if alias.name.startswith(name)]
    return found


def _modules(package: Path = PACKAGE) -> list[Path]:
    return sorted(p for p in package.rglob("*.py") if "__pycache__" not in p.parts)


def test_every_folder_of_the_package_has_a_layer() -> None:
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert folders <= set(LAYERS), "add new folders to LAYERS"


def test_the_provider_never_imports_the_sandbox() -> None:
    """Production code must not need the emulator: a worker installs the provider alone."""
    wrong = [f"{p.relative_to(PACKAGE)}:{line}" for p in _modules() for line, _ in _imports(p, SANDBOX_NAME)]
    assert wrong == []


@pytest.mark.parametrize("path", _modules(SANDBOX), ids=lambda p: str(p.relative_to(SANDBOX)))
def test_the_sandbox_imports_only_the_providers_vocabulary(path: Path) -> None:
    wrong = [f"line {line}: {imported}" for line, imported in _imports(path) if _part(imported) != ""]
    assert wrong == []


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_imports_a_higher_layer(path: Path) -> None:
    module = NAME + "." + ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
    part = _part(module)
    wrong = []
    for line, imported in _imports(path):
        target = _part(imported)
        if LAYERS.get(target, VOCABULARY) > LAYERS.get(part, VOCABULARY):
            wrong.append(f"line {line}: {imported}")
    assert wrong == [], f"{module} ({part or 'vocabulary'}) imports a higher layer"


def _loaded_by(code: str) -> list[str]:
    """The modules that ``code`` loads in a fresh interpreter, beyond ``airflow.sdk``."""
    child = (
        "import json, sys\nimport airflow.sdk\nbefore = set(sys.modules)\n"
        + code
        + "\nprint(json.dumps(sorted(set(sys.modules) - before)))\n"
    )
    out = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, check=True).stdout
    loaded: list[str] = json.loads(out.strip().splitlines()[-1])
    return loaded


def test_legitmailer_code_never_loads_the_legallymail_hook() -> None:
    loaded = _loaded_by(
        "import importlib, pkgutil\n"
        "import airflow_provider_legallymail.operators.legitmailer\n"
        "import airflow_provider_legallymail.hooks.legitmailer\n"
        "import airflow_provider_legallymail.legitmailer as domain\n"
        "for info in pkgutil.iter_modules(domain.__path__):\n"
        "    importlib.import_module('airflow_provider_legallymail.legitmailer.' + info.name)"
    )
    assert f"{NAME}.legitmailer.template_batches" in loaded
    assert f"{NAME}.hooks.legitmailer" in loaded
    assert [name for name in loaded if name.startswith((f"{NAME}.hooks.legallymail", f"{NAME}.delivery.lost"))] == []


def test_a_dag_file_importing_the_legitmailer_operators_loads_nothing_heavy() -> None:
    loaded = _loaded_by("import airflow_provider_legallymail.operators.legitmailer")
    assert f"{NAME}.operators.legitmailer" in loaded
    heavy = ("requests", "urllib3", "sqlite3", "fastapi", "uvicorn", SANDBOX_NAME, f"{NAME}.hooks.legitmailer")
    assert [name for name in loaded if name.startswith(heavy)] == []
    assert f"{NAME}.legitmailer.template_batches" not in loaded


# -- the waiting side: one home per job, no import circle ------------------------------------------------------
WAITING_HOMES: dict[str, tuple[str, ...]] = {
    "wait": ("WaitSpec", "wait_spec", "wait_spec_after_send", "task_deadline", "fixed_deadline"),  # the wait
    "decision": ("decide", "reached_statuses", "event_for", "finish", "result"),  # the one decision
    "tolerance": ("Tolerance", "tolerance"),  # the settled target's parameters
    "observations": ("fetch_observation", "email_observation", "row_fingerprint"),  # reading the API
    "policy": ("choose", "PollerConfig", "Action", "Watch", "RecentFeed", "ApiClock"),  # the poller's policy
    "poller": ("Poller", "shared_poller", "Subscription", "load_hook"),  # the shared poller
    "events": ("reached", "payload", "check_statuses", "EventSpacing"),  # the AssetWatcher side, pure
    "event_source": ("EventSource", "sent_times"),  # the AssetWatcher side, its loop and the ledger scan
    "seen": ("SeenState", "seen_store"),  # the event triggers' memory
}


def _graph() -> dict[str, set[str]]:
    """Module -> the package modules it imports (top level, in functions and under TYPE_CHECKING)."""
    modules = {
        ".".join([NAME, *(p for p in path.relative_to(PACKAGE).with_suffix("").parts if p != "__init__")]): path
        for path in _modules()
    }

    def resolve(name: str) -> str:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name

    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        targets = {resolve(imported) for _, imported in _imports(path)}
        graph[module] = targets - {module, NAME, ""}
    return graph


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while (top := stack.pop()) != node:
                component.append(top)
            if component:
                found.append(sorted([node, *component]))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_no_modules_of_the_package_import_each_other_in_a_circle() -> None:
    assert _circles(_graph()) == []


def test_the_circle_check_finds_a_circle() -> None:
    assert _circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_waiting_side_has_one_home_per_job() -> None:
    import importlib

    waiting = {p.stem for p in (PACKAGE / "waiting").glob("*.py")} - {"__init__"}
    assert waiting == set(WAITING_HOMES)
    for module, names in WAITING_HOMES.items():
        loaded = importlib.import_module(f"{NAME}.waiting.{module}")
        assert [n for n in names if getattr(loaded, n, None) is None or _home(getattr(loaded, n)) != module] == []


def _home(obj: object) -> str:
    return str(getattr(obj, "__module__", "")).rpartition(".")[2]


def test_the_sandbox_speed_reaches_the_waiting_side_in_one_place_and_no_client_budget_is_replaced() -> None:
    """The connection's ``sandbox_speed`` becomes the injected clock's parameter once; the poller never
    overwrites its hook client's budget (a budget is injected, or the client is built with it)."""
    speed = [p.name for p in (PACKAGE / "waiting").glob("*.py") for _ in p.read_text().split(".sandbox_speed")[1:]]
    assert speed == ["poller.py"]
    assert [p.name for p in (PACKAGE / "waiting").glob("*.py") if ".budget = " in p.read_text()] == []
