"""``python -m demo.airflow_cli <airflow args>``: the ``airflow`` command, its waits told the sandbox's clock speed.

The sensors' poller counts API seconds (a signature is first re-checked 15 s after it was requested). The
demo's sandbox runs ``EXAMPLE_SPEED`` times faster than real time, so the poller is configured with that
speed (as ``tests/`` and ``make bench`` do) before Airflow runs: a signature that takes a sandbox minute is
then seen within a second, not after a real quarter-minute. Against the real API nothing of this applies.
``--asset-events <dag_id> [<trigger events JSON>]`` runs an Asset-scheduled DAG with its pending events and
the events the watchers fired instead (``demo.assets``).
"""

from __future__ import annotations

import sys

from airflow_provider_legallymail.waiting import poller
from demo.examples import EXAMPLE_SPEED


def main(args: list[str]) -> int:
    poller.DEFAULT_CONFIG = poller.configured(speed=EXAMPLE_SPEED)
    if args[:1] == ["--asset-events"]:
        from demo.assets import main as run_asset_dag

        return run_asset_dag(*args[1:3])
    from airflow.__main__ import main as airflow_main

    sys.argv = ["airflow", *args]
    airflow_main()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
