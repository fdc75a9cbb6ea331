"""A DAG file importing the sensors loads neither ``requests`` nor the triggers and their poller."""

from __future__ import annotations

import json
import subprocess
import sys


def test_importing_the_sensors_loads_nothing_heavy() -> None:
    child = (
        "import json, sys\nimport airflow.sdk\nfrom airflow.sdk import BaseSensorOperator\nbefore = set(sys.modules)\n"
        "import airflow_provider_legallymail.sensors.legallymail\n"
        "print(json.dumps(sorted(set(sys.modules) - before)))\n"
    )
    out = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, check=True).stdout
    loaded = json.loads(out.strip().splitlines()[-1])
    assert "airflow_provider_legallymail.sensors.legallymail" in loaded
    heavy = ("requests", "urllib3", "airflow.triggers", "airflow_provider_legallymail.triggers")
    assert [m for m in loaded if m.startswith(heavy) or m.endswith(("waiting.poller", "hooks.legallymail"))] == []
