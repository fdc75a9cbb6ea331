"""What a DAG file pays to import this provider's hooks, on top of ``airflow.sdk``.

Each sample is a fresh interpreter that imports ``airflow.sdk`` first (every DAG file does), then times
the import of the hook modules. The official HTTP provider's hook is measured the same way, in the same
run, as the baseline. Also reports which heavy modules the import dragged in.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys

SAMPLES = 7
HEAVY = ("requests", "urllib3", "fastapi", "uvicorn", "legallymail_sandbox")

CASES = {
    "airflow-provider-legallymail hooks": [
        "airflow_provider_legallymail.hooks.legallymail",
        "airflow_provider_legallymail.hooks.legitmailer",
    ],
    "apache-airflow-providers-http HttpHook": ["airflow.providers.http.hooks.http"],
    "airflow-provider-legallymail operators + notifiers": [
        "airflow_provider_legallymail.operators.legallymail",
        "airflow_provider_legallymail.notifications.legallymail",
    ],
    "airflow-provider-legallymail sensors": ["airflow_provider_legallymail.sensors.legallymail"],
    "airflow-provider-legallymail event triggers": ["airflow_provider_legallymail.triggers.legallymail"],
    "airflow-provider-legallymail every operator and sensor": [
        "airflow_provider_legallymail.operators.legallymail",
        "airflow_provider_legallymail.operators.legitmailer",
        "airflow_provider_legallymail.operators.evidence",
        "airflow_provider_legallymail.sensors.legallymail",
        "airflow_provider_legallymail.notifications.legallymail",
    ],
}

_CHILD = """
import importlib, json, sys, time
import airflow.sdk
from airflow.sdk import BaseHook  # resolve the lazy attribute every hook module needs
before = set(sys.modules)
start = time.perf_counter()
for name in {modules!r}:
    importlib.import_module(name)
elapsed = time.perf_counter() - start
heavy = [m for m in {heavy!r} if m in sys.modules and m not in before]
print(json.dumps({{"seconds": elapsed, "new_modules": len(set(sys.modules) - before), "heavy": heavy}}))
"""


def sample(modules: list[str]) -> dict[str, object]:
    code = _CHILD.format(modules=modules, heavy=HEAVY)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    result: dict[str, object] = json.loads(out.strip().splitlines()[-1])
    return result


def main() -> None:
    # An installed wheel is byte-compiled (UV_COMPILE_BYTECODE=1); an editable checkout under
    # PYTHONDONTWRITEBYTECODE is not. Compile ours so both sides are measured from .pyc files.
    import compileall
    from pathlib import Path

    compileall.compile_dir(str(Path(__file__).resolve().parents[1] / "airflow_provider_legallymail"), quiet=1)
    rows = {}
    for label, modules in CASES.items():
        runs = [sample(modules) for _ in range(SAMPLES)]
        rows[label] = {
            "median_ms": statistics.median(float(r["seconds"]) for r in runs) * 1000,  # type: ignore[arg-type]
            "new_modules": runs[-1]["new_modules"],
            "heavy": runs[-1]["heavy"],
        }
    print(f"Import cost on top of airflow.sdk, median of {SAMPLES} fresh interpreters ({sys.version.split()[0]})")
    for label, row in rows.items():
        print(
            f"  {label:52s} {row['median_ms']:8.1f} ms  {row['new_modules']:4d} new modules  "
            f"heavy: {', '.join(row['heavy']) or 'none'}"  # type: ignore[arg-type]
        )
    ours, base = (rows[label]["median_ms"] for label in list(CASES)[:2])
    print(f"  ratio (our hooks / http provider's hook): {float(ours) / float(base):.2f}")  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
